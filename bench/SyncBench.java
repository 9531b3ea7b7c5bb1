import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sync load generator for bench/sync.sh (run with the JDK's source launcher: java SyncBench.java ...). It only talks
 * HTTP to a running server on 127.0.0.1 and prints one result line per scenario.
 *
 *   push URL SECRET TOTAL BATCH WRITERS NAMESPACES RUN   push TOTAL inserts in batches, WRITERS threads, over
 *                                                    NAMESPACES users; RUN keeps ids and mutation ids of runs apart
 *   pull URL SECRET LIMIT USER                       pull everything from cursor 0 with the given page size
 *   jwt SECRET USER                                  print a token for USER
 *   jwts SECRET N                                    print tokens for bench-user-0 .. bench-user-(N-1), one a line
 */
public final class SyncBench {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "push" -> push(args[1], args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]), Integer.parseInt(args[6]), args[7]);
            case "pull" -> pull(args[1], args[2], Integer.parseInt(args[3]), args[4]);
            case "jwt" -> System.out.println(token(args[1], args[2]));
            case "jwts" -> {
                StringBuilder out = new StringBuilder();
                for (int n = 0; n < Integer.parseInt(args[2]); n++) {
                    out.append(token(args[1], "bench-user-" + n)).append('\n');
                }
                System.out.print(out);
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** An HS256 JWT for user {@code sub}, as the server's --auth jwt --jwt-secret verifies. */
    static String token(String secret, String sub) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        long exp = System.currentTimeMillis() / 1000 + 3600;
        String payload = b64.encodeToString(("{\"sub\":\"" + sub + "\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String sig = b64.encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.UTF_8)));
        return header + "." + payload + "." + sig;
    }

    static String post(String url, String token, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body().substring(0, Math.min(300, r.body().length())));
        }
        return r.body();
    }

    static void push(String base, String secret, int total, int batch, int writers, int namespaces, String run) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        AtomicLong done = new AtomicLong();
        int batches = total / batch;
        long[] millis = new long[batches];
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            fs.add(pool.submit(() -> {
                String[] tokens = new String[namespaces];
                for (int n = 0; n < namespaces; n++) {
                    tokens[n] = token(secret, "bench-user-" + n);
                }
                for (int b = writer; b < batches; b += writers) {
                    StringBuilder body = new StringBuilder("{\"clientId\":\"w" + writer + "\",\"mutations\":[");
                    for (int i = 0; i < batch; i++) {
                        String id = "item:" + run + "-w" + writer + "-b" + b + "-" + i;
                        body.append(i == 0 ? "" : ",").append("{\"resource\":\"items\",\"operation\":\"insert\",\"id\":\"")
                                .append(id).append("\",\"record\":{\"title\":\"Item ").append(b).append('-').append(i)
                                .append("\",\"priority\":").append(i % 10).append(",\"done\":false},\"clientId\":\"w")
                                .append(writer).append("\",\"mutationId\":\"m-").append(run).append('-').append(b).append('-').append(i).append("\"}");
                    }
                    body.append("]}");
                    long t0 = System.nanoTime();
                    post(base + "/push", tokens[b % namespaces], body.toString());
                    millis[b] = (System.nanoTime() - t0) / 1_000_000;
                    done.addAndGet(batch);
                }
                return null;
            }));
        }
        try {
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow(); // a failed writer must not leave the others (non-daemon threads) running
        }
        double secs = (System.nanoTime() - start) / 1e9;
        java.util.Arrays.sort(millis);
        System.out.printf("push: %d mutations in batches of %d, %d writers, %d namespace(s): %.1f s, %.0f mutations/s,"
                        + " p50 %d ms, p99 %d ms per push%n", done.get(), batch, writers, namespaces, secs, done.get() / secs,
                millis[batches / 2], millis[Math.min(batches - 1, batches * 99 / 100)]);
    }

    static final Pattern HAS_MORE = Pattern.compile("\"hasMore\":(true|false)");
    static final Pattern CURSOR = Pattern.compile("\"cursors\":\\{\"items\":\"(\\d+)\"");

    static void pull(String base, String secret, int limit, String user) throws Exception {
        String token = token(secret, user);
        String cursor = "0";
        long changes = 0;
        int pages = 0;
        long start = System.nanoTime();
        while (true) {
            String body = post(base + "/pull", token, "{\"clientId\":\"bench\",\"cursors\":{\"items\":\"" + cursor + "\"},\"limit\":" + limit + "}");
            pages++;
            Matcher c = CURSOR.matcher(body);
            if (!c.find()) {
                throw new IllegalStateException("no cursor in " + body.substring(0, Math.min(300, body.length())));
            }
            long next = Long.parseLong(c.group(1));
            changes += countRecords(body);
            cursor = Long.toString(next);
            Matcher m = HAS_MORE.matcher(body);
            if (!m.find() || m.group(1).equals("false")) {
                break;
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("pull: %d changes in %d pages of %d: %.1f s, %.0f changes/s (final cursor %s)%n",
                changes, pages, limit, secs, changes / secs, cursor);
    }

    /** Records in a pull page: every entry of records.items carries one "id". */
    static long countRecords(String body) {
        int at = body.indexOf("\"records\":{\"items\":[");
        int end = body.indexOf("]", at);
        long n = 0;
        for (int i = body.indexOf("\"id\":", at); i >= 0 && i < end; i = body.indexOf("\"id\":", i + 1)) {
            n++;
        }
        return n;
    }
}
