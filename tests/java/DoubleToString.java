import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;

/**
 * Test oracle: one double per input line, as its IEEE-754 bits in hex
 * (up to 16 hex digits); writes Double.toString of it, one per line.
 */
public class DoubleToString {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII), 1 << 16);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
        String line;
        while ((line = in.readLine()) != null) {
            long bits = Long.parseUnsignedLong(line.trim(), 16);
            out.write(Double.toString(Double.longBitsToDouble(bits)));
            out.write('\n');
        }
        out.flush();
    }
}
