import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * Test oracle: POSTs with the JDK's HttpURLConnection the way group A
 * (Aurora 0.14, 0.15) used it: the configured headers in order, then the
 * TimeStamp header, a connect timeout only, the body written with
 * DataOutputStream.writeBytes. One request per line, tab-separated:
 * URL, timeout in ms, body, then header name/value pairs. Answers
 * "status N" or "error ExceptionClass".
 */
public class UrlConnectionPost {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t", -1);
            String answer;
            try {
                HttpURLConnection connection = (HttpURLConnection) new URL(parts[0]).openConnection();
                connection.setDoOutput(true);
                connection.setRequestMethod("POST");
                connection.setConnectTimeout(Integer.parseInt(parts[1]));
                for (int i = 3; i + 1 < parts.length; i += 2) {
                    connection.setRequestProperty(parts[i], parts[i + 1]);
                }
                connection.setRequestProperty("TimeStamp", Long.toString(System.currentTimeMillis()));
                DataOutputStream body = new DataOutputStream(connection.getOutputStream());
                body.writeBytes(parts[2]);
                body.close();
                answer = "status " + connection.getResponseCode();
            } catch (Exception e) {
                answer = "error " + e.getClass().getName();
            }
            System.out.println(answer);
            System.out.flush();
        }
    }
}
