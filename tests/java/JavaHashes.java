import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Test oracle for the hash rules of the JDK: one request per input line,
 * "KIND ARGS...", answered by one line holding the JDK's hashCode.
 *   long V | int V | short V | byte V   (decimal; the boxed type's hashCode)
 *   intcast V                           ((int) of the long V)
 *   bool true|false                     (Boolean.hashCode)
 *   double BITS                         (Double.hashCode, BITS as hex bits)
 *   objects H...                        (Objects.hash over objects hashing to H; "null" is null)
 *   list H... | set H... | map K V K V...
 * Collection elements are distinct objects whose hashCode is the given H, so
 * a set or map keeps every element even when two H are equal.
 */
public class JavaHashes {
    static final class Fixed {
        final int hash;
        Fixed(int hash) { this.hash = hash; }
        @Override public int hashCode() { return hash; }
        // equals stays identity, so equal hashes never collapse entries
    }

    static Fixed fixed(String token) {
        return token.equals("null") ? null : new Fixed(Integer.parseInt(token));
    }

    static int answer(String[] t) {
        switch (t[0]) {
            case "long": return Long.hashCode(Long.parseLong(t[1]));
            case "int": return Integer.hashCode(Integer.parseInt(t[1]));
            case "short": return Short.hashCode(Short.parseShort(t[1]));
            case "byte": return Byte.hashCode(Byte.parseByte(t[1]));
            case "intcast": return (int) Long.parseLong(t[1]);
            case "bool": return Boolean.hashCode(Boolean.parseBoolean(t[1]));
            case "double": return Double.hashCode(Double.longBitsToDouble(Long.parseUnsignedLong(t[1], 16)));
            default: break;
        }
        List<Fixed> items = new ArrayList<>();
        for (int i = 1; i < t.length; i++) items.add(fixed(t[i]));
        switch (t[0]) {
            case "objects": return Objects.hash(items.toArray());
            case "list": return items.hashCode();
            case "set": return new HashSet<>(items).hashCode();
            case "map": {
                Map<Fixed, Fixed> map = new HashMap<>();
                for (int i = 0; i + 1 < items.size(); i += 2) map.put(items.get(i), items.get(i + 1));
                return map.hashCode();
            }
            default: throw new IllegalArgumentException("unknown request: " + t[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII), 1 << 16);
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
        String line;
        while ((line = in.readLine()) != null) {
            out.write(Integer.toString(answer(line.trim().split(" +"))));
            out.write('\n');
        }
        out.flush();
    }
}
