import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Test oracle: each line is a charset name; answers the JDK's own name for it
 * (Charset.forName), or "unknown" when the JDK has no such charset or the
 * name is illegal. The request "*" answers every available charset's name,
 * space-separated.
 */
public class JavaCharsets {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("*")) {
                System.out.println(String.join(" ", Charset.availableCharsets().keySet()));
                continue;
            }
            String answer;
            try {
                answer = Charset.forName(line).name();
            } catch (IllegalArgumentException e) {  // unsupported or illegal name
                answer = "unknown";
            }
            System.out.println(answer);
        }
    }
}
