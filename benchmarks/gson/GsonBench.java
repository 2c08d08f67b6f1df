// The Gson side of the benchmark suite (benchmarks/bench_gson.py compiles and runs it).
// Reads a JSON array of payload strings and times Gson on them inside this JVM:
//   cold-replay FILE         one pass of parse-to-tree-and-write, first thing in a fresh JVM
//   cold-write FILE          parse every payload (untimed), then one pass writing the trees
//   warm SECONDS FILE        warm-up, then best of 5 passes of each: replay, write, parse
// Prints one JSON object: {"NAME": {"count": N, "wall": s, "cpu": s}, ...}; "cpu" is the whole
// process's CPU time (JIT compiler and GC threads included), "wall" the elapsed time.
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

public final class GsonBench {
    private static final Gson GSON = new Gson(); // Aurora's writer: default Gson, HTML-safe escaping
    private static long sink;

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private interface Pass { void run(); }

    private static String timing(int count, Pass pass) {
        long wall = System.nanoTime(), cpu = cpu();
        pass.run();
        long w = System.nanoTime() - wall, c = cpu() - cpu;
        return "{\"count\": " + count + ", \"wall\": " + (w / 1e9) + ", \"cpu\": " + (c / 1e9) + "}";
    }

    private static String best(int count, double seconds, Pass pass) {
        long until = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < until) pass.run(); // warm-up: the JIT compiles the hot paths
        // each timed pass repeats the payloads enough to last about 0.2 s
        long once = System.nanoTime();
        pass.run();
        once = Math.max(1, System.nanoTime() - once);
        int reps = (int) Math.max(1, 200_000_000L / once);
        String best = null;
        double bestWall = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long wall = System.nanoTime(), cpu = cpu();
            for (int r = 0; r < reps; r++) pass.run();
            double w = (System.nanoTime() - wall) / 1e9, c = (cpu() - cpu) / 1e9;
            if (w < bestWall) {
                bestWall = w;
                best = "{\"count\": " + ((long) count * reps) + ", \"wall\": " + w + ", \"cpu\": " + c + "}";
            }
        }
        return best;
    }

    public static void main(String[] args) throws Exception {
        String file = args[args.length - 1];
        JsonArray array = JsonParser.parseString(
                new String(Files.readAllBytes(Paths.get(file)), StandardCharsets.UTF_8)).getAsJsonArray();
        List<String> payloads = new ArrayList<>();
        for (JsonElement e : array) payloads.add(e.getAsString());
        int n = payloads.size();
        Pass replay = () -> { for (String p : payloads) sink += GSON.toJson(JsonParser.parseString(p)).length(); };
        List<JsonElement> trees = new ArrayList<>();
        Pass write = () -> { for (JsonElement t : trees) sink += GSON.toJson(t).length(); };
        Pass parse = () -> { for (String p : payloads) sink += JsonParser.parseString(p).hashCode() & 1; };
        String out;
        switch (args[0]) {
            case "cold-replay":
                out = "{\"replay\": " + timing(n, replay) + "}";
                break;
            case "cold-write":
                for (String p : payloads) trees.add(JsonParser.parseString(p));
                out = "{\"write\": " + timing(n, write) + "}";
                break;
            case "warm":
                double seconds = Double.parseDouble(args[1]);
                for (String p : payloads) trees.add(JsonParser.parseString(p));
                out = "{\"replay\": " + best(n, seconds, replay) + ", \"write\": " + best(n, seconds, write)
                        + ", \"parse\": " + best(n, seconds, parse) + "}";
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.println(out);
        if (sink == 42) System.err.println(); // keeps the passes' results alive
    }
}
