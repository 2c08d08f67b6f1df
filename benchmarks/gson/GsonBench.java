// The Gson side of the benchmark suite (benchmarks/bench_gson.py compiles and runs it).
// Usage: GsonBench MODE MAX_SECONDS FILE, FILE a JSON array of payload strings; MODE is
//   replay   parse each payload to a tree and write it back (Gson's version of the replay round trip)
//   write    write trees parsed beforehand (untimed): Gson's writing of the same payloads
//   parse    parse each payload to a tree
// Times, inside this JVM: "cold", the first pass, first thing after start-up (the JIT has compiled
// nothing yet); then a warm-up until the passes stop getting faster (see warm()), at most MAX_SECONDS;
// then "warm", the best of 5 passes of about half a second each (less for a tiny MAX_SECONDS).
// Prints {"cold": {"count": N, "wall": s, "cpu": s}, "warm": {...}, "warmup_seconds": s}; "cpu" is the process's
// CPU time (JIT compiler and GC threads included), "wall" the elapsed time.
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

    private static String timing(long count, double wall, double cpu) {
        return "{\"count\": " + count + ", \"wall\": " + wall + ", \"cpu\": " + cpu + "}";
    }

    private static String once(int count, Pass pass) {
        long wall = System.nanoTime(), cpu = cpu();
        pass.run();
        return timing(count, (System.nanoTime() - wall) / 1e9, (cpu() - cpu) / 1e9);
    }

    // Warm-up in rounds of half a second (a quarter of MAX_SECONDS if less) until three rounds in a row
    // bring no pass 2% faster than the fastest before them (the JIT has compiled what it will), at most
    // MAX_SECONDS; then the best of 5 timed passes, each repeating the payloads for about a round.
    private static String warm(int count, double maxSeconds, Pass pass) {
        long started = System.nanoTime(), deadline = started + (long) (maxSeconds * 1e9);
        long chunk = (long) Math.min(500_000_000L, maxSeconds * 0.25e9); // a round, and a timed pass
        long fastest = Long.MAX_VALUE;
        for (int stale = 0; stale < 3 && System.nanoTime() < deadline; ) {
            long roundEnd = System.nanoTime() + chunk, round = Long.MAX_VALUE;
            do {
                long t = System.nanoTime();
                pass.run();
                round = Math.min(round, System.nanoTime() - t);
            } while (System.nanoTime() < roundEnd);
            stale = round < fastest * 0.98 ? 0 : stale + 1;
            fastest = Math.min(fastest, round);
        }
        double warmup = (System.nanoTime() - started) / 1e9;
        int reps = (int) Math.max(1, chunk / Math.max(1, fastest));
        String best = null;
        double bestWall = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long wall = System.nanoTime(), cpu = cpu();
            for (int r = 0; r < reps; r++) pass.run();
            double w = (System.nanoTime() - wall) / 1e9, c = (cpu() - cpu) / 1e9;
            if (w < bestWall) {
                bestWall = w;
                best = timing((long) count * reps, w, c);
            }
        }
        return best + ", \"warmup_seconds\": " + warmup;
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        double seconds = Double.parseDouble(args[1]);
        JsonArray array = JsonParser.parseString(
                new String(Files.readAllBytes(Paths.get(args[2])), StandardCharsets.UTF_8)).getAsJsonArray();
        List<String> payloads = new ArrayList<>();
        for (JsonElement e : array) payloads.add(e.getAsString());
        List<JsonElement> trees = new ArrayList<>();
        Pass pass;
        switch (mode) {
            case "replay":
                pass = () -> { for (String p : payloads) sink += GSON.toJson(JsonParser.parseString(p)).length(); };
                break;
            case "write":
                for (String p : payloads) trees.add(JsonParser.parseString(p));
                pass = () -> { for (JsonElement t : trees) sink += GSON.toJson(t).length(); };
                break;
            case "parse":
                pass = () -> { for (String p : payloads) sink += JsonParser.parseString(p).hashCode() & 1; };
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + mode + " (replay, write or parse)");
        }
        int n = payloads.size();
        String cold = once(n, pass);
        System.out.println("{\"cold\": " + cold + ", \"warm\": " + warm(n, seconds, pass) + "}");
        if (sink == 42) System.err.println(); // keeps the passes' results alive
    }
}
