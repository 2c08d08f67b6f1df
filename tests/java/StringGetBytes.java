import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Test oracle: each line is a charset name, a tab, and a string as hex UTF-16
 * code units (4 digits each); answers String.getBytes(name) in hex, or
 * "unsupported" when the JDK knows no such charset.
 */
public class StringGetBytes {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t", -1);
            char[] units = new char[parts[1].length() / 4];
            for (int i = 0; i < units.length; i++) {
                units[i] = (char) Integer.parseInt(parts[1].substring(4 * i, 4 * i + 4), 16);
            }
            String answer;
            try {
                StringBuilder hex = new StringBuilder();
                for (byte b : new String(units).getBytes(parts[0])) {
                    hex.append(String.format("%02x", b & 0xff));
                }
                answer = hex.toString();
            } catch (java.io.UnsupportedEncodingException e) {
                answer = "unsupported";
            }
            System.out.println(answer);
        }
    }
}
