package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow clients (issue: slow uploads stop the server): 300 connections that send a body at one byte a second, and 300
 * that send their headers at one byte a second, hold no request thread; {@code GET status} stays fast meanwhile. A
 * request head or a whole request that takes longer than its deadline is answered 408 and closed; one remote address
 * holds a bounded number of connections and WebSockets. Bounded: about 8 seconds of trickling, a few seconds for the
 * rest, then every socket is closed.
 */
class SlowClientsTest {
    static final ClientLimits SHORT = ClientLimits.defaults().withHeaderTimeout(Duration.ofMillis(1000))
            .withRequestTimeout(Duration.ofMillis(2000));

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    @Test
    void slowUploadsAndSlowHeaders_leaveStatusFast() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA);
        for (int i = 0; i < 200; i++) {
            s.get("status"); // warm: the figure is about slow clients, not about a cold JVM
        }
        List<Socket> slow = new ArrayList<>();
        // the deadlines count from each connection's first byte: the probing ends 8 s after the first one opened, so
        // that a slow start (600 connections on a loaded machine) cannot push the first heads past their 10 s
        long end = System.nanoTime() + 8_000_000_000L;
        try {
            // six sources of 100 connections each (below the per-source limit, so that all of them hang); the
            // probe below comes from 127.0.0.1
            for (int i = 0; i < 300; i++) {
                String from = "127.0.0." + (2 + i % 6);
                Socket b = RawHttp.connect(s, from);
                b.getOutputStream().write(("POST /datafn/query HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 60000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                slow.add(b);
                Socket h = RawHttp.connect(s, from);
                h.getOutputStream().write("GET /datafn/status HTTP/1.1\r\nHost: t\r\n".getBytes(StandardCharsets.ISO_8859_1));
                slow.add(h);
            }
            List<Long> latencies = new ArrayList<>();
            int refused = 0;
            do {
                for (Socket sock : slow) {
                    try {
                        OutputStream out = sock.getOutputStream();
                        out.write('X'); // a body byte, or a byte of an endless header name
                        out.flush();
                    } catch (IOException closedByServer) {
                        refused++;
                    }
                }
                Thread.sleep(200); // the server has taken the new bytes
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    TestServer.Reply r = s.get("status");
                    latencies.add((System.nanoTime() - t0) / 1_000_000);
                    assertThat(r.status()).isEqualTo(200);
                }
                Thread.sleep(800);
            } while (System.nanoTime() < end);
            // within the default deadlines (10 s for a head, 60 s for a request) every slow client is still there
            assertThat(refused).as("writes that failed on a slow connection").isZero();
            Collections.sort(latencies);
            long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
            System.out.printf("SlowClientsTest: GET status while 600 slow clients hang: %d probes, p50 %d ms, p99 %d ms,"
                    + " max %d ms%n", latencies.size(), latencies.get(latencies.size() / 2), p99, latencies.get(latencies.size() - 1));
            assertThat(p99).as("p99 of GET status while 600 slow clients hang, ms (all: %s)", latencies).isLessThan(100);
        } finally {
            for (Socket sock : slow) {
                sock.close();
            }
        }
    }

    @Test
    void slowHead_isAnswered408AndClosed_atTheHeaderTimeout() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, SHORT);
        try (RawHttp c = new RawHttp(s)) {
            long t0 = System.nanoTime();
            c.write("GET /datafn/status HTTP/1.1\r\nHost: t\r\n");
            trickleUntilAnswered(c, "X");
            RawHttp.Reply r = c.read();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTimeout(r, "Request head not received within 1000 ms", 1000);
            assertThat(ms).isBetween(900L, 2500L);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void slowBody_isAnswered408AndClosed_atTheRequestTimeout() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, SHORT);
        try (RawHttp c = new RawHttp(s)) {
            long t0 = System.nanoTime();
            c.write("POST /datafn/query HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n[");
            trickleUntilAnswered(c, " ");
            RawHttp.Reply r = c.read();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTimeout(r, "Request not received within 2000 ms", 2000);
            assertThat(ms).isBetween(1900L, 3500L);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(s.get("status").status()).isEqualTo(200);
    }

    @Test
    void idleKeepAliveConnection_isNotTimedOut_theClockStartsAtTheFirstByte() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, SHORT);
        try (RawHttp c = new RawHttp(s)) {
            assertThat(c.send("GET /datafn/status HTTP/1.1", null).read().status()).isEqualTo(200);
            Thread.sleep(2300); // longer than both deadlines, shorter than Jetty's idle timeout
            assertThat(c.send("GET /datafn/status HTTP/1.1", null).read().status()).isEqualTo(200);
            // a request sent in pieces within the deadline is answered as usual
            c.write("POST /datafn/query HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n");
            Thread.sleep(400);
            c.write("Content-Length: 31\r\n\r\n[{\"resource\":");
            Thread.sleep(400);
            c.write("\"goal\",\"limit\":1}]");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    @Test
    void connectionsPerSource_areBounded_otherSourcesAreServed() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, ClientLimits.defaults().withMaxConnectionsPerSource(5));
        List<RawHttp> held = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                held.add(new RawHttp(s, "127.0.0.2"));
            }
            // the five are open and usable
            assertThat(held.get(4).send("GET /datafn/status HTTP/1.1", null).read().status()).isEqualTo(200);
            try (RawHttp sixth = new RawHttp(s, "127.0.0.2")) {
                RawHttp.Reply r = sixth.read();
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.headers()).containsEntry("connection", "close").containsEntry("retry-after", "1");
                JsonNode body = Json.parse(r.body());
                assertThat(body.path("ok").asBoolean(true)).isFalse();
                assertThat(body.path("error").path("code").asText()).isEqualTo("SERVICE_UNAVAILABLE");
                assertThat(body.path("error").path("message").asText()).isEqualTo("Too many connections from this address");
                assertThat(sixth.closedByServer()).isTrue();
            }
            try (RawHttp other = new RawHttp(s, "127.0.0.3")) {
                assertThat(other.send("GET /datafn/status HTTP/1.1", null).read().status()).isEqualTo(200);
            }
            held.remove(0).close();
            Thread.sleep(200); // the server sees the close
            try (RawHttp again = new RawHttp(s, "127.0.0.2")) {
                assertThat(again.send("GET /datafn/status HTTP/1.1", null).read().status()).isEqualTo(200);
            }
        } finally {
            for (RawHttp c : held) {
                c.close();
            }
        }
    }

    @Test
    void webSocketsPerSource_areBounded_andGivenBackOnClose() throws Exception {
        s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, ClientLimits.defaults().withWsMaxPerSource(2));
        List<RawHttp> open = new ArrayList<>();
        try {
            open.add(upgrade("127.0.0.2"));
            open.add(upgrade("127.0.0.2"));
            try (RawHttp third = upgrade("127.0.0.2")) {
                assertThat(closeCode(third)).isEqualTo(4503);
            }
            for (RawHttp ws : open) {
                assertThat(closeCode(ws)).as("an accepted socket stays open").isEqualTo(-1);
            }
            try (RawHttp other = upgrade("127.0.0.3")) {
                assertThat(closeCode(other)).isEqualTo(-1);
            }
            open.remove(0).close();
            Thread.sleep(300); // the server sees the close
            try (RawHttp again = upgrade("127.0.0.2")) {
                assertThat(closeCode(again)).isEqualTo(-1);
            }
        } finally {
            for (RawHttp c : open) {
                c.close();
            }
        }
    }

    private static void assertTimeout(RawHttp.Reply r, String message, long max) {
        assertThat(r.status()).isEqualTo(408);
        assertThat(r.headers()).containsEntry("connection", "close");
        JsonNode e = Json.parse(r.body()).path("error");
        assertThat(e.path("code").asText()).isEqualTo("LIMIT_EXCEEDED");
        assertThat(e.path("message").asText()).isEqualTo(message);
        assertThat(e.path("details").path("path").asText()).isEqualTo("$");
        assertThat(e.path("details").path("max").asLong()).isEqualTo(max);
    }

    /** Sends {@code piece} every 200 ms until the server answers (at most 6 s). */
    private static void trickleUntilAnswered(RawHttp c, String piece) throws Exception {
        long end = System.nanoTime() + 6_000_000_000L;
        while (c.socket().getInputStream().available() == 0 && System.nanoTime() < end) {
            try {
                c.write(piece);
            } catch (IOException closed) {
                return;
            }
            Thread.sleep(200);
        }
    }

    /** A WebSocket handshake from {@code from}; the 101 head is read. */
    private RawHttp upgrade(String from) throws IOException {
        RawHttp c = new RawHttp(s, from);
        c.write("GET /datafn/ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        InputStream in = c.socket().getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            assertThat(b).as("connection closed in the handshake: %s", head).isNotNegative();
            head.write(b);
        }
        assertThat(head.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 101");
        return c;
    }

    /** The code of the close frame the server sends within 500 ms; -1 when it sends nothing (the socket is open). */
    private static int closeCode(RawHttp c) throws IOException {
        Socket sock = c.socket();
        sock.setSoTimeout(500);
        InputStream in = sock.getInputStream();
        try {
            int op = in.read();
            assertThat(op).as("frame opcode (0x88 is close)").isEqualTo(0x88);
            int len = in.read() & 0x7f;
            assertThat(len).isGreaterThanOrEqualTo(2);
            return (in.read() << 8) | in.read();
        } catch (SocketTimeoutException open) {
            return -1;
        }
    }
}
