import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonDeserializer;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Test oracle: real Gson on entity classes written for tests/idl/edges/edges.thrift the way
 * the payload-format note describes Aurora's (cachedHashCode first, then the IDL fields in
 * order; a union as setField and value; hashCode as Objects.hash over the fields, cached).
 * One request per line, answered by one line:
 *   an Edges object as JSON -> Gson's JSON of what it read, TAB, hashCode(), TAB, Gson's JSON after hashing
 *   "ids"                   -> the identity hashes of the enum constants, as a JSON object
 * A union's value is read with the arm's declared type (Gson would read an Object as a
 * double or a map); everything else is Gson's own reading and writing.
 */
public class GsonEdges {
    enum Mood { SAD, OK, GLAD }

    static final class Leaf {
        int cachedHashCode;
        int n;
        String s;

        @Override public int hashCode() {
            if (cachedHashCode == 0) cachedHashCode = Objects.hash(n, s);
            return cachedHashCode;
        }
    }

    static final class Pick {
        enum _Fields { FLAG, TINY, SMALL, BIG, OTHER, LEAF, FLAGS, REAL, MOOD }

        int cachedHashCode;
        _Fields setField;
        Object value;

        @Override public int hashCode() {
            if (cachedHashCode == 0) cachedHashCode = Objects.hash(setField, value);
            return cachedHashCode;
        }
    }

    static final class Edges {
        int cachedHashCode;
        byte b;
        short s;
        boolean t;
        Map<Byte, String> byByte;
        Map<Short, Integer> byShort;
        Map<Long, Boolean> byLong;
        Map<Boolean, String> byBool;
        Map<Double, Integer> byDouble;
        Map<Mood, Leaf> byMood;
        List<Boolean> flags;
        Set<Boolean> flagSet;
        Map<String, List<Boolean>> flagLists;
        Pick pick;
        List<Pick> picks;
        Set<Byte> tinies;
        List<Short> smalls;

        @Override public int hashCode() {
            if (cachedHashCode == 0) {
                cachedHashCode = Objects.hash(b, s, t, byByte, byShort, byLong, byBool, byDouble, byMood, flags,
                                              flagSet, flagLists, pick, picks, tinies, smalls);
            }
            return cachedHashCode;
        }
    }

    static final Map<Pick._Fields, Type> ARMS = new EnumMap<>(Pick._Fields.class);
    static {
        ARMS.put(Pick._Fields.FLAG, Boolean.class);
        ARMS.put(Pick._Fields.TINY, Byte.class);
        ARMS.put(Pick._Fields.SMALL, Short.class);
        ARMS.put(Pick._Fields.BIG, Long.class);
        ARMS.put(Pick._Fields.OTHER, Long.class);
        ARMS.put(Pick._Fields.LEAF, Leaf.class);
        ARMS.put(Pick._Fields.FLAGS, new TypeToken<List<Boolean>>() {}.getType());
        ARMS.put(Pick._Fields.REAL, Double.class);
        ARMS.put(Pick._Fields.MOOD, Mood.class);
    }

    public static void main(String[] args) throws Exception {
        JsonDeserializer<Pick> readPick = (json, type, context) -> {
            JsonObject obj = json.getAsJsonObject();
            Pick pick = new Pick();
            pick.cachedHashCode = obj.get("cachedHashCode").getAsInt();
            pick.setField = Pick._Fields.valueOf(obj.get("setField").getAsString());
            pick.value = context.deserialize(obj.get("value"), ARMS.get(pick.setField));
            return pick;
        };
        Gson gson = new GsonBuilder().registerTypeAdapter(Pick.class, readPick).create();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("ids")) {
                Map<String, Integer> ids = new LinkedHashMap<>();
                for (Mood m : Mood.values()) ids.put("Mood." + m.name(), System.identityHashCode(m));
                for (Pick._Fields f : Pick._Fields.values()) ids.put("Pick._Fields." + f.name(), System.identityHashCode(f));
                out.append(gson.toJson(ids)).append('\n');
                continue;
            }
            Edges edges = gson.fromJson(line, Edges.class);
            String before = gson.toJson(edges);
            int hash = edges.hashCode();
            out.append(before).append('\t').append(hash).append('\t').append(gson.toJson(edges)).append('\n');
        }
        System.out.print(out);
    }
}
