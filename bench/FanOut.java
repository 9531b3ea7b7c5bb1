import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WebSocket fan-out load (bench/fanout.sh; BENCHMARKS.md "Fan-out"). Opens SOCKETS WebSockets to the server node(s),
 * spread over NAMESPACES users (with --secret: one HS256 token per user, the server run with --auth jwt; without it
 * every socket is in the shared namespace), sends the client's hello, then sends WRITES single inserts at RATE per
 * second to the first node, one at a time, and times for each write the gap from sending its mutation to each socket
 * of its namespace receiving the cursor message that covers it. The k-th write of a namespace is the k-th seq after
 * the priming write's cursor (one insert = one change = one seq); a cursor counts only when it arrives after the
 * write was sent. Prints one table row; exits when done (every phase has a deadline).
 *
 * <pre>
 * java -cp datafn-server.jar bench/FanOut.java --ws ws://127.0.0.1:18960/datafn/ws[,ws://…] --http http://127.0.0.1:18960/datafn
 *      --sockets 2000 --namespaces 1 --writes 100 --rate 10 --pids 1234[,5678] [--secret S] [--run label] [--header]
 * </pre>
 */
public final class FanOut {
    static final Pattern CURSOR = Pattern.compile("\"type\":\"cursor\",\"cursor\":\"(\\d+)\"");

    public static void main(String[] a) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < a.length; i++) {
            if (a[i].equals("--header")) {
                o.put("header", "true");
            } else {
                o.put(a[i].substring(2), a[++i]);
            }
        }
        if (o.containsKey("header")) {
            System.out.printf("| %-34s | %6s | %5s | %5s | %6s | %9s | %6s | %6s | %6s | %6s | %9s | %8s | %8s | %7s | %7s | %9s |%n",
                    "scenario", "socks", "ns", "nodes", "writes", "delivered", "missed", "p50 ms", "p99 ms", "max ms",
                    "msgs/s", "cpu ms/w", "cpu µs/m", "RSS MB", "heap MB", "load µs/m");
            System.out.println("|" + "-".repeat(36) + "|--------|-------|-------|--------|-----------|--------|--------|--------|--------|-----------|----------|----------|---------|---------|-----------|");
            if (!o.containsKey("ws")) {
                return;
            }
        }
        try {
            new FanOut(o).run();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1); // the opener and reader threads would keep the JVM alive
        }
        System.exit(0);
    }

    final String[] wsUrls;
    final String http;
    final int sockets, namespaces, writes;
    final double rate;
    final String secret, run, label;
    final long[] pids;
    /** namespaces that get writes: write j goes to namespace j % written */
    final int written;
    final String[] tokens;
    /** per written namespace: the seq of its priming write (its base) and the send time of its k-th write */
    final long[] base;
    final AtomicLongArray[] sentAt;
    final int[] writesOf;
    final AtomicLong delivered = new AtomicLong();
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final List<Sock> all = new ArrayList<>();

    FanOut(Map<String, String> o) throws Exception {
        wsUrls = o.get("ws").split(",");
        http = o.get("http");
        sockets = Integer.parseInt(o.getOrDefault("sockets", "100"));
        namespaces = Integer.parseInt(o.getOrDefault("namespaces", "1"));
        writes = Integer.parseInt(o.getOrDefault("writes", "100"));
        rate = Double.parseDouble(o.getOrDefault("rate", "10"));
        secret = o.get("secret");
        label = o.get("label");
        run = o.getOrDefault("run", "r" + System.currentTimeMillis());
        pids = Arrays.stream(o.getOrDefault("pids", "").split(",")).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        if (secret == null && namespaces != 1) {
            throw new IllegalArgumentException("several namespaces need --secret (the server with --auth jwt)");
        }
        written = Math.min(namespaces, writes);
        tokens = new String[namespaces];
        for (int i = 0; i < namespaces; i++) {
            tokens[i] = secret == null ? null : token(secret, run + "-u" + i);
        }
        base = new long[written];
        Arrays.fill(base, -1);
        sentAt = new AtomicLongArray[written];
        writesOf = new int[written];
        for (int j = 0; j < writes; j++) {
            writesOf[j % written]++;
        }
        for (int n = 0; n < written; n++) {
            sentAt[n] = new AtomicLongArray(writesOf[n] + 1);
        }
    }

    /**
     * One socket, read by a {@link Reader} thread: its namespace, the writes of it already matched to a cursor, and
     * their latencies. A plain RFC 6455 client (handshake, unmasked server frames, masked client frames, pong for
     * ping), so that reading 100 000 messages a second costs the load program little next to the server.
     */
    final class Sock {
        final int ns;
        final long[] latencies;
        int matched;
        long lastCursor = -1;
        SocketChannel ch;
        /** bytes of a frame not yet complete */
        ByteBuffer leftover = ByteBuffer.allocate(0);

        Sock(int ns) {
            this.ns = ns;
            this.latencies = new long[ns < written ? writesOf[ns] : 0];
        }

        /** Connects, upgrades, sends the client's hello. */
        void open(URI uri, String token, InetAddress local) throws Exception {
            ch = SocketChannel.open();
            ch.bind(new InetSocketAddress(local, 0));
            ch.socket().setTcpNoDelay(true);
            ch.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
            String head = "GET " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                    + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n" + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
            writeFully(ByteBuffer.wrap(head.getBytes(StandardCharsets.ISO_8859_1)));
            ByteBuffer in = ByteBuffer.allocate(4096);
            int end;
            while ((end = headEnd(in)) < 0) {
                if (ch.read(in) < 0) {
                    throw new IllegalStateException("connection closed during the upgrade");
                }
            }
            String response = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
            if (!response.startsWith("HTTP/1.1 101")) {
                throw new IllegalStateException("upgrade refused: " + response.lines().findFirst().orElse(""));
            }
            leftover = ByteBuffer.wrap(Arrays.copyOfRange(in.array(), end, in.position()));
            writeFully(frame(0x1, ("{\"type\":\"hello\",\"clientId\":\"fanout-" + run + "\",\"cursors\":{}}").getBytes(StandardCharsets.UTF_8)));
            ch.configureBlocking(false);
        }

        void writeFully(ByteBuffer b) throws Exception {
            synchronized (this) {
                while (b.hasRemaining()) {
                    if (ch.write(b) == 0) {
                        Thread.onSpinWait();
                    }
                }
            }
        }

        /** Parses every complete frame of {@code leftover + data}; keeps the incomplete rest. */
        void received(ByteBuffer data, long now) throws Exception {
            ByteBuffer b;
            if (leftover.hasRemaining()) {
                b = ByteBuffer.allocate(leftover.remaining() + data.remaining()).put(leftover).put(data).flip();
            } else {
                b = data;
            }
            while (b.remaining() >= 2) {
                int start = b.position();
                int op = b.get(start) & 0x0f;
                long len = b.get(start + 1) & 0x7f;
                int hdr = 2;
                if (len == 126) {
                    if (b.remaining() < 4) {
                        break;
                    }
                    len = b.getShort(start + 2) & 0xffff;
                    hdr = 4;
                } else if (len == 127) {
                    if (b.remaining() < 10) {
                        break;
                    }
                    len = b.getLong(start + 2);
                    hdr = 10;
                }
                if (b.remaining() < hdr + len) {
                    break;
                }
                byte[] payload = new byte[(int) len];
                b.position(start + hdr);
                b.get(payload);
                switch (op) {
                    case 0x1 -> {
                        long c = cursorOf(payload);
                        if (c >= 0) {
                            cursor(c, now);
                        }
                    }
                    case 0x9 -> writeFully(frame(0xA, payload));
                    case 0x8 -> {
                        int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                        System.err.println("socket closed by the server: " + code + " "
                                + new String(payload, Math.min(2, payload.length), Math.max(0, payload.length - 2), StandardCharsets.UTF_8));
                        closedByServer.incrementAndGet();
                        ch.close();
                        return;
                    }
                    default -> {
                    }
                }
            }
            leftover = b.hasRemaining() ? ByteBuffer.allocate(b.remaining()).put(b).flip() : ByteBuffer.allocate(0);
        }

        synchronized void cursor(long c, long now) {
            lastCursor = Math.max(lastCursor, c);
            if (ns >= written) {
                return;
            }
            long b = base[ns];
            if (b < 0) {
                return; // priming not finished: not measured
            }
            delivered.incrementAndGet();
            while (matched < latencies.length && b + matched + 1 <= c) {
                long t0 = sentAt[ns].get(matched + 1);
                if (t0 == 0 || t0 > now) {
                    break;
                }
                latencies[matched++] = now - t0;
            }
        }

        synchronized long lastCursor() {
            return lastCursor;
        }

        synchronized boolean done() {
            return matched == latencies.length;
        }
    }

    static final byte[] CURSOR_KEY = "\"cursor\":\"".getBytes(StandardCharsets.US_ASCII);

    /** The seq of a {@code {"type":"cursor","cursor":"<seq>",...}} message, or -1. */
    static long cursorOf(byte[] p) {
        outer:
        for (int i = 0; i + CURSOR_KEY.length < p.length; i++) {
            for (int j = 0; j < CURSOR_KEY.length; j++) {
                if (p[i + j] != CURSOR_KEY[j]) {
                    continue outer;
                }
            }
            long v = 0;
            for (int k = i + CURSOR_KEY.length; k < p.length && p[k] >= '0' && p[k] <= '9'; k++) {
                v = v * 10 + (p[k] - '0');
            }
            return v;
        }
        return -1;
    }

    static int headEnd(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 3; i < in.position(); i++) {
            if (a[i - 3] == '\r' && a[i - 2] == '\n' && a[i - 1] == '\r' && a[i] == '\n') {
                return i + 1;
            }
        }
        return -1;
    }

    /** A masked client frame (FIN set). */
    static ByteBuffer frame(int opcode, byte[] payload) {
        ByteBuffer f = ByteBuffer.allocate(payload.length + 8);
        f.put((byte) (0x80 | opcode));
        f.put((byte) (0x80 | payload.length)); // client payloads here are < 126 bytes
        byte[] mask = {1, 2, 3, 4};
        f.put(mask);
        for (int i = 0; i < payload.length; i++) {
            f.put((byte) (payload[i] ^ mask[i & 3]));
        }
        return f.flip();
    }

    /** A selector thread reading its share of the sockets. */
    final class Reader extends Thread {
        final Selector selector = Selector.open();
        final java.util.concurrent.ConcurrentLinkedQueue<Sock> joining = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);

        Reader(int i) throws Exception {
            super("fanout-reader-" + i);
            setDaemon(true);
        }

        void join(Sock s) {
            joining.add(s);
            selector.wakeup();
        }

        @Override
        public void run() {
            try {
                while (true) {
                    selector.select();
                    long now = System.nanoTime();
                    for (Sock s; (s = joining.poll()) != null; ) {
                        s.ch.register(selector, SelectionKey.OP_READ, s);
                        if (s.leftover.hasRemaining()) {
                            s.received(ByteBuffer.allocate(0), now);
                        }
                    }
                    for (SelectionKey k : selector.selectedKeys()) {
                        Sock s = (Sock) k.attachment();
                        buf.clear();
                        int n;
                        try {
                            n = s.ch.read(buf);
                        } catch (java.io.IOException e) {
                            n = -1;
                        }
                        if (n < 0) {
                            k.cancel();
                            s.ch.close();
                            continue;
                        }
                        buf.flip();
                        s.received(buf, now);
                    }
                    selector.selectedKeys().clear();
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        }
    }

    final AtomicInteger closedByServer = new AtomicInteger();

    void run() throws Exception {
        int readers = Math.max(1, Math.min(4, sockets / 500));
        Reader[] r = new Reader[readers];
        for (int i = 0; i < readers; i++) {
            r[i] = new Reader(i);
            r[i].start();
        }
        ExecutorService openers = Executors.newFixedThreadPool(16);
        List<java.util.concurrent.Future<?>> opening = new ArrayList<>();
        long openStart = System.nanoTime();
        long openDeadline = TimeUnit.SECONDS.toNanos(30) + TimeUnit.MILLISECONDS.toNanos(30) * sockets;
        for (int i = 0; i < sockets; i++) {
            // sockets of a namespace are spread over the nodes: socket i → node i % nodes, namespace i % namespaces;
            // local addresses 127.0.0.1-127.0.0.8 in turn (ephemeral ports and per-address limits)
            Sock s = new Sock(i % namespaces);
            all.add(s);
            URI uri = URI.create(wsUrls[i % wsUrls.length]);
            InetAddress local = InetAddress.getByAddress(new byte[]{127, 0, 0, (byte) (1 + i % 8)});
            Reader reader = r[i % readers];
            opening.add(openers.submit(() -> {
                s.open(uri, tokens[s.ns], local);
                opened.incrementAndGet();
                reader.join(s);
                return null;
            }));
        }
        for (java.util.concurrent.Future<?> f : opening) {
            long left = openDeadline - (System.nanoTime() - openStart);
            try {
                f.get(Math.max(1, left), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                failed.incrementAndGet();
                if (failed.get() <= 3) {
                    System.err.println("socket failed: " + e.getCause());
                }
            }
        }
        openers.shutdown();
        double openSecs = (System.nanoTime() - openStart) / 1e9;
        if (opened.get() != sockets) {
            throw new IllegalStateException(opened.get() + " of " + sockets + " sockets opened (" + failed.get() + " failed)");
        }
        Thread.sleep(1000); // the server registers a socket after the handshake: let the last ones settle
        if (closedByServer.get() > 0) {
            throw new IllegalStateException(closedByServer.get() + " sockets were closed by the server");
        }
        System.err.printf("%d sockets open in %.1f s%n", sockets, openSecs);

        HttpClient writer = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // priming: one write per written namespace; its cursor on that namespace's first socket is the base
        for (int n = 0; n < written; n++) {
            post(writer, n, "prime-" + n);
            Sock first = all.get(n);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (first.lastCursor() < 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no cursor message within 10 s of the priming write of namespace " + n);
                }
                Thread.sleep(1);
            }
            base[n] = first.lastCursor();
        }
        Thread.sleep(500); // the priming cursors reach every socket before the measure starts

        delivered.set(0);
        long[] cpu0 = cpu();
        long self0 = selfCpuNanos();
        long start = System.nanoTime();
        long interval = (long) (1e9 / rate);
        int late = 0;
        int[] sent = new int[written];
        for (int j = 0; j < writes; j++) {
            long due = start + j * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            } else if (wait < -interval) {
                late++;
            }
            int n = j % written;
            int k = ++sent[n];
            sentAt[n].set(k, System.nanoTime());
            post(writer, n, "w-" + j);
        }
        long lastSent = System.nanoTime();
        long drainDeadline = lastSent + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < drainDeadline && !all.stream().allMatch(Sock::done)) {
            Thread.sleep(5);
        }
        long end = System.nanoTime();
        long[] cpu1 = cpu();
        long self1 = selfCpuNanos();

        // every (write, socket of its namespace) pair
        long pairs = 0;
        for (Sock s : all) {
            pairs += s.latencies.length;
        }
        long[] lat = new long[(int) pairs];
        int at = 0;
        long missed = 0;
        for (Sock s : all) {
            synchronized (s) {
                System.arraycopy(s.latencies, 0, lat, at, s.matched);
                at += s.matched;
                missed += s.latencies.length - s.matched;
            }
        }
        lat = Arrays.copyOf(lat, at);
        Arrays.sort(lat);
        double secs = (end - start) / 1e9;
        long cpuTicks = 0;
        for (int i = 0; i < pids.length; i++) {
            cpuTicks += cpu1[i] - cpu0[i];
        }
        double cpuMs = cpuTicks * 10.0; // USER_HZ = 100
        long rss = 0, heap = 0;
        for (long pid : pids) {
            rss += rssKb(pid);
            heap += heapKb(pid);
        }
        String name = (secret == null ? "shared ns" : namespaces + " ns") + ", " + wsUrls.length + " node" + (wsUrls.length > 1 ? "s" : "")
                + (label != null ? " " + label : "");
        System.out.printf("| %-34s | %6d | %5d | %5d | %6d | %9d | %6d | %6.1f | %6.1f | %6.1f | %9.0f | %8.2f | %8.1f | %7.0f | %7.0f | %9.1f |%n",
                name, sockets, namespaces, wsUrls.length, writes, delivered.get(), missed,
                pct(lat, 0.50), pct(lat, 0.99), lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6,
                delivered.get() / secs, cpuMs / writes, cpuMs * 1000 / Math.max(1, delivered.get()), rss / 1024.0, heap / 1024.0,
                (self1 - self0) / 1e3 / Math.max(1, delivered.get()));
        if (late > 0) {
            System.err.println(late + " writes were sent more than one interval late (the writer could not keep the rate)");
        }
        for (Sock s : all) {
            try {
                s.writeFully(frame(0x8, new byte[]{0x03, (byte) 0xe8}));
                s.ch.close();
            } catch (Exception ignored) {
                // already closed
            }
        }
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }

    void post(HttpClient c, int ns, String mutationId) throws Exception {
        String body = "{\"resource\":\"items\",\"operation\":\"insert\",\"record\":{\"title\":\"fan-out " + mutationId
                + "\",\"priority\":1},\"clientId\":\"fanout-" + run + "\",\"mutationId\":\"" + run + "-" + mutationId + "\"}";
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(http + "/mutation")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (tokens[ns] != null) {
            b.header("Authorization", "Bearer " + tokens[ns]);
        }
        HttpResponse<String> r = c.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !r.body().contains("\"ok\":true,\"mutationId\"")) {
            throw new IllegalStateException("mutation answered " + r.statusCode() + ": " + r.body());
        }
    }

    /** CPU time of this load program: how much of the machine the measuring itself takes. */
    static long selfCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    long[] cpu() throws Exception {
        long[] t = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            String stat = Files.readString(Path.of("/proc/" + pids[i] + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            t[i] = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        }
        return t;
    }

    static long rssKb(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /** Heap in use as {@code jcmd PID GC.heap_info} reports it ("… used NNNK"). */
    static long heapKb(long pid) throws Exception {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        Matcher m = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** An HS256 JWT for user {@code sub}, as the server's --auth jwt --jwt-secret verifies (java-jwt from the server jar). */
    static String token(String secret, String sub) {
        return com.auth0.jwt.JWT.create().withSubject(sub).withExpiresAt(java.time.Instant.now().plusSeconds(3600))
                .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(secret));
    }
}
