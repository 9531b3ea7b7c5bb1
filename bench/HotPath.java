import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.schema.SchemaParser;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Diagnostic, not part of the benchmark's figures: the server's own CPU per request, without HTTP, measured with
 * thread CPU time so that other load on the machine barely changes it. One thread calls the router in a loop with
 * the same request bodies as bench/wrk-*.lua, against the bench database that bench/run.sh loaded.
 *
 * <pre>
 * java -cp datafn-server/target/datafn-server.jar bench/HotPath.java [jdbcUrl] [requests] [query|mutation]
 * </pre>
 */
public final class HotPath {
    public static void main(String[] args) throws Exception {
        String url = args.length > 0 ? args[0] : "jdbc:postgresql://127.0.0.1:5432/datafn_bench?user=postgres";
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        String only = args.length > 2 ? args[2] : null;
        DatafnServer server = DatafnServer.builder()
                .schema(SchemaParser.parse(Path.of("bench/bench.schema.json")))
                .store(JdbcStore.open(url, null, null, 2))
                .build();
        Random rnd = new Random(42);
        String run = Long.toString(System.nanoTime());
        int[] seq = {0};
        java.util.function.Supplier<String> query = () -> {
            int cat = rnd.nextInt(10);
            int minp = rnd.nextInt(91);
            if (rnd.nextBoolean()) {
                return "{\"resource\":\"items\",\"filters\":{\"category\":\"c" + cat + "\",\"priority\":{\"gte\":" + minp
                        + "}},\"sort\":[\"-priority\"],\"limit\":20}";
            }
            return "{\"resource\":\"items\",\"filters\":{\"category\":\"c" + cat + "\",\"priority\":{\"gte\":" + minp
                    + "}},\"sort\":[\"-priority\"],\"limit\":20,\"cursor\":{\"after\":{\"priority\":"
                    + (minp + 5 + rnd.nextInt(95 - minp)) + ",\"id\":\"item:" + String.format("%06d", 1 + rnd.nextInt(100_000)) + "\"}}}";
        };
        java.util.function.Supplier<String> mutation = () -> {
            int i = ++seq[0];
            return "{\"resource\":\"items\",\"operation\":\"insert\",\"clientId\":\"hotpath-" + run + "\",\"mutationId\":\"m" + i
                    + "\",\"record\":{\"title\":\"Bench item " + i + "\",\"category\":\"c" + rnd.nextInt(10) + "\",\"priority\":"
                    + rnd.nextInt(100) + ",\"done\":false,\"dueAt\":\"2026-01-0" + (1 + rnd.nextInt(9)) + "T12:00:00.000Z\"}}";
        };
        for (String kind : new String[]{"query", "mutation"}) {
            if (only != null && !only.equals(kind)) {
                continue;
            }
            java.util.function.Supplier<String> body = kind.equals("query") ? query : mutation;
            String path = "/datafn/" + kind;
            int count = kind.equals("query") ? n : n / 4;
            loop(server, path, body, count); // warm-up
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            int rounds = 5;
            double[] cpus = new double[rounds];
            double[] walls = new double[rounds];
            double[] allocs = new double[rounds];
            com.sun.management.ThreadMXBean amx = (com.sun.management.ThreadMXBean) mx;
            for (int r = 0; r < rounds; r++) {
                long cpu0 = mx.getCurrentThreadCpuTime();
                long a0 = amx.getCurrentThreadAllocatedBytes();
                long t0 = System.nanoTime();
                loop(server, path, body, count / rounds);
                cpus[r] = (mx.getCurrentThreadCpuTime() - cpu0) / 1e3 / (count / rounds);
                allocs[r] = (amx.getCurrentThreadAllocatedBytes() - a0) / 1024.0 / (count / rounds);
                walls[r] = (System.nanoTime() - t0) / 1e3 / (count / rounds);
            }
            java.util.Arrays.sort(cpus);
            java.util.Arrays.sort(walls);
            java.util.Arrays.sort(allocs);
            System.out.printf("%-8s %6d requests in %d rounds: request thread CPU min %6.1f / median %6.1f us/request,"
                    + " wall median %6.1f us/request, allocated median %6.1f KiB/request%n", kind, count, rounds, cpus[0],
                    cpus[rounds / 2], walls[rounds / 2], allocs[rounds / 2]);
        }
        server.shutdown(1000);
    }

    private static void loop(DatafnServer server, String path, java.util.function.Supplier<String> body, int count) {
        for (int i = 0; i < count; i++) {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            Response r = server.router().handle(new Request("POST", path, Map.of(),
                    h -> h.equalsIgnoreCase("Content-Type") ? "application/json" : null, b.length,
                    new ByteArrayInputStream(b), null));
            if (r.status() != 200) {
                throw new IllegalStateException(path + " -> " + r.status() + " " + new String(r.body(), StandardCharsets.UTF_8));
            }
        }
    }
}
