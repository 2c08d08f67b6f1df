import com.google.gson.Gson;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;

/**
 * Test oracle (needs gson.jar): one string per input line as UTF-16 code
 * units in hex (4 hex digits each); writes new Gson().toJson(string) in the
 * same hex form, so lone surrogates and non-ASCII survive the pipe.
 */
public class GsonEscape {
    static final char[] HEX = "0123456789abcdef".toCharArray();

    static String decode(String hex) {
        char[] units = new char[hex.length() / 4];
        for (int i = 0; i < units.length; i++) {
            units[i] = (char) Integer.parseInt(hex.substring(4 * i, 4 * i + 4), 16);
        }
        return new String(units);
    }

    static String encode(String s) {
        StringBuilder sb = new StringBuilder(4 * s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15]).append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        Gson gson = new Gson();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII), 1 << 16);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
        String line;
        while ((line = in.readLine()) != null) {
            out.write(encode(gson.toJson(decode(line.trim()))));
            out.write('\n');
        }
        out.flush();
    }
}
