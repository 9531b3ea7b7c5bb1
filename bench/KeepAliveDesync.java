import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

/**
 * Keep-alive connections beside refused requests (issue 9, RELIABILITY.md): {@code clients} keep-alive raw HTTP/1.1
 * connections send {@code POST pull} (valid, invalid JSON, padded, 413 by Content-Length with the body sent, Expect:
 * 100-continue, a GET), the head and body in one write, two, or two with a pause of up to 3 ms, each with an
 * X-Request-Id that its answer must carry; {@code garbage} threads send heads over 64 KiB (431) and heads Jetty's parser
 * refuses on connections of their own; {@code burners} threads spin. Prints the counts and the first problems; exit 1 on
 * any. Against a standalone server started with {@code --max-payload-bytes 65536}:
 *
 * <pre>
 * java bench/KeepAliveDesync.java PORT CLIENTS SECONDS [GARBAGE [BURNERS]]     # e.g. 18431 8 120 16
 * </pre>
 */
public class KeepAliveDesync {
    static int port;
    static final AtomicLong ok = new AtomicLong(), bad = new AtomicLong(), sent = new AtomicLong(), reconnects = new AtomicLong();
    static final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    static volatile boolean stop;
    static final Map<Integer,String> lastDesc = new ConcurrentHashMap<>();

    public static void main(String[] a) throws Exception {
        port = Integer.parseInt(a[0]);
        int conns = Integer.parseInt(a[1]);
        long seconds = Long.parseLong(a[2]);
        int garbage = a.length > 3 ? Integer.parseInt(a[3]) : 2;
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            int id = i;
            Thread t = new Thread(() -> client(id));
            t.start();
            ts.add(t);
        }
        for (int i = 0; i < garbage; i++) {
            int id = i;
            Thread t = new Thread(() -> garbage(id));
            t.start();
            ts.add(t);
        }
        int burners = a.length > 4 ? Integer.parseInt(a[4]) : 0;
        for (int i = 0; i < burners; i++) {
            Thread t = new Thread(() -> { long x = 0; while (!stop) { x += System.nanoTime() % 7; } if (x == 42) System.out.print(""); });
            t.setDaemon(true);
            t.start();
        }
        long end = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < end && bad.get() < 20) {
            Thread.sleep(1000);
        }
        stop = true;
        for (Thread t : ts) t.join(30000);
        System.out.println("sent=" + sent + " ok=" + ok + " bad=" + bad + " reconnects=" + reconnects);
        synchronized (problems) { problems.stream().limit(40).forEach(System.out::println); }
        System.exit(bad.get() == 0 ? 0 : 1);
    }

    static Socket open() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(15000);
        return s;
    }

    static void client(int id) {
        Random rnd = new Random(id * 7919L);
        long n = 0;
        Socket s = null;
        try {
            while (!stop) {
                if (s == null) { s = open(); reconnects.incrementAndGet(); }
                String rid = "c" + id + "-" + (++n);
                int kind = rnd.nextInt(100);
                String body;
                int expect;
                String extra = "";
                boolean closes = false;
                boolean declaredOnly = false;
                boolean expect100 = false;
                if (kind < 60) { body = "{\"cursor\":\"0\",\"limit\":" + (1 + rnd.nextInt(50)) + "}"; expect = 200; }
                else if (kind < 72) { body = "{\"cursor\":"; expect = 400; }
                else if (kind < 80) { body = "{\"cursor\":\"0\",\"limit\":5," + "\"pad\":\"" + "x".repeat(rnd.nextInt(6000)) + "\"}"; expect = 200; }
                else if (kind < 84) { body = null; expect = 413; declaredOnly = true; }
                else if (kind < 88) { body = "{\"cursor\":\"0\",\"limit\":3}"; expect = 200; expect100 = true; }
                else if (kind < 94) { body = ""; expect = -1; } // GET
                else { body = "{\"cursor\":\"0\",\"limit\":2}"; expect = 401; extra = "Authorization: Bearer x.y.z\r\n"; }
                // auth none: a bad bearer token may be ignored; accept any status for that kind
                if (extra.length() > 0) expect = -2;
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                String head;
                byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
                if (expect == -1) {
                    head = "GET /datafn/status HTTP/1.1\r\nHost: t\r\nX-Request-Id: " + rid + "\r\n\r\n";
                } else if (declaredOnly) {
                    head = "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Request-Id: " + rid
                            + "\r\nContent-Length: 100000\r\n\r\n";
                } else {
                    head = "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nX-Request-Id: " + rid
                            + "\r\n" + extra + (expect100 ? "Expect: 100-continue\r\n" : "") + "Content-Length: " + b.length + "\r\n\r\n";
                }
                sent.incrementAndGet();
                byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
                int mode = rnd.nextInt(4);
                lastDesc.put(id, rid + " kind " + kind + " mode " + mode + " head " + head.replace("\r\n", "|") + " body " + (body == null ? "" : body.substring(0, Math.min(60, body.length()))));
                if (declaredOnly) {
                    out.write(h);
                    out.flush();
                    if (mode > 0) sleepMicros(rnd.nextInt(3000));
                    out.write(new byte[100000]);
                    out.flush();
                } else if (expect100) {
                    out.write(h); out.flush();
                    Reply r100 = Reply.read(in);
                    if (r100 == null) { problem("no 100 reply " + rid); s.close(); s = null; continue; }
                    if (r100.status == 100) {
                        out.write(b); out.flush();
                    } else {
                        // answered without the body: check it
                        check(rid, r100, expect);
                        if (r100.close) { s.close(); s = null; }
                        continue;
                    }
                } else if (mode == 0 || b.length == 0) {
                    byte[] all = new byte[h.length + b.length];
                    System.arraycopy(h, 0, all, 0, h.length);
                    System.arraycopy(b, 0, all, h.length, b.length);
                    out.write(all); out.flush();
                } else if (mode == 1) {
                    out.write(h); out.flush();
                    out.write(b); out.flush();
                } else if (mode == 2) {
                    out.write(h); out.flush();
                    sleepMicros(rnd.nextInt(3000));
                    out.write(b); out.flush();
                } else {
                    int cut = rnd.nextInt(b.length);
                    out.write(h); out.write(b, 0, cut); out.flush();
                    sleepMicros(rnd.nextInt(3000));
                    out.write(b, cut, b.length - cut); out.flush();
                }
                Reply r = Reply.read(in);
                if (r == null) { problem("no reply (EOF) to " + rid + " kind " + kind + " mode " + mode); s.close(); s = null; continue; }
                check(rid, r, expect);
                if (r.close || closes) { s.close(); s = null; }
            }
        } catch (SocketTimeoutException e) {
            problem("timeout " + lastDesc.get(id) + ": " + e);
        } catch (IOException e) {
            problem("io c" + id + " at " + n + ": " + e);
        }
        if (!stop) client(id + 1000);
    }

    static void check(String rid, Reply r, int expect) {
        String got = r.headers.get("x-request-id");
        if (!rid.equals(got)) { problem("MISMATCH " + lastDesc.values().stream().filter(d -> d.startsWith(rid + " ")).findFirst().orElse(rid) + " got " + got + " status " + r.status + " " + r.body); return; }
        if (expect >= 0 && r.status != expect) { problem("status " + rid + " want " + expect + " got " + r.status + " " + r.body); return; }
        ok.incrementAndGet();
    }

    static void problem(String p) {
        bad.incrementAndGet();
        problems.add(java.time.LocalTime.now() + " " + p);
        System.out.println(java.time.LocalTime.now() + " " + p);
    }

    static void sleepMicros(int us) {
        try { Thread.sleep(us / 1000, (us % 1000) * 1000); } catch (InterruptedException e) { throw new RuntimeException(e); }
    }

    /** Raw garbage and half requests on connections of their own. */
    static void garbage(int id) {
        Random rnd = new Random(id);
        String[] junk = {"GARBAGE\r\n\r\n", "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
                "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\n{\"cu",
                "POST /datafn/p\u0000ull HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}",
                "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nContent-Length: 11\r\n\r\n0123456789"};
        while (!stop) {
            try (Socket s = open()) {
                s.setSoTimeout(3000);
                String j;
                if (rnd.nextBoolean()) {
                    int size = 64 * 1024 - 2000 + rnd.nextInt(6000);
                    j = "POST /datafn/pull HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 24\r\nX-Pad: "
                            + "p".repeat(size) + "\r\n\r\n{\"cursor\":\"0\",\"limit\":1}";
                } else {
                    j = junk[rnd.nextInt(junk.length)];
                }
                s.getOutputStream().write(j.getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().flush();
                if (rnd.nextBoolean()) s.shutdownOutput();
                s.getInputStream().readAllBytes();
            } catch (IOException e) {
                // expected
            }
        }
    }

    static final class Reply {
        int status;
        Map<String, String> headers = new HashMap<>();
        String body;
        boolean close;

        static String line(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') { int l = sb.length(); if (l > 0 && sb.charAt(l - 1) == '\r') sb.setLength(l - 1); return sb.toString(); }
                sb.append((char) c);
            }
            return sb.length() == 0 ? null : sb.toString();
        }

        static Reply read(InputStream in) throws IOException {
            String status = line(in);
            if (status == null) return null;
            Reply r = new Reply();
            r.status = Integer.parseInt(status.split(" ")[1]);
            String l;
            while ((l = line(in)) != null && !l.isEmpty()) {
                int i = l.indexOf(':');
                r.headers.put(l.substring(0, i).trim().toLowerCase(Locale.ROOT), l.substring(i + 1).trim());
            }
            if (r.status == 100) return r;
            r.close = "close".equalsIgnoreCase(r.headers.get("connection"));
            String cl = r.headers.get("content-length");
            byte[] body;
            if (cl != null) {
                body = in.readNBytes(Integer.parseInt(cl));
            } else if ("chunked".equalsIgnoreCase(r.headers.get("transfer-encoding"))) {
                ByteArrayOutputStream bo = new ByteArrayOutputStream();
                while (true) {
                    int size = Integer.parseInt(line(in).trim(), 16);
                    if (size == 0) { line(in); break; }
                    bo.write(in.readNBytes(size));
                    line(in);
                }
                body = bo.toByteArray();
            } else {
                body = new byte[0];
            }
            r.body = new String(body, StandardCharsets.UTF_8);
            if (r.body.length() > 200) r.body = r.body.substring(0, 200);
            return r;
        }
    }
}
