package io.datafn.server;

import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /datafn/ws}: cursor messages after every write path, per namespace, on every node; limits and close codes. */
@ParameterizedClass
@EnumSource(TestDb.class)
class WebSocketTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Parameter
    TestDb db;

    TestServer s;
    TestServer other;

    @AfterEach
    void stop() {
        if (other != null) {
            other.close();
        }
        if (s != null) {
            s.close();
        }
    }

    static WsClient connect(TestServer server, String ns) throws Exception {
        WsClient c = new WsClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder();
        if (ns != null) {
            b.header("X-Ns", ns);
        }
        c.ws = b.buildAsync(URI.create(server.url.replace("http", "ws") + "/datafn/ws"), c).get(10, TimeUnit.SECONDS);
        try {
            c.ws.sendText("{\"type\":\"hello\",\"clientId\":\"c1\",\"cursors\":{\"tag\":\"0\"}}", true).get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // the server may already have closed a refused socket; its close code is what the test reads
        }
        return c;
    }

    static String cursor(long seq) {
        return "{\"type\":\"cursor\",\"cursor\":\"" + seq + "\",\"targeting\":{\"mode\":\"namespace-broadcast\",\"degraded\":false}}";
    }

    TestServer start(int maxSockets, int maxPerNs) {
        return TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.websocketLimits(maxSockets, maxPerNs).namespaceProvider(ctx -> {
            String ns = ctx.header("X-Ns");
            if (ns == null) {
                throw new DatafnException(ErrorCode.UNAUTHORIZED, "no namespace", "$");
            }
            return ns;
        }));
    }

    String insert(String id) {
        return "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"" + id + "\",\"record\":{\"label\":\"x\"}}";
    }

    TestServer.Reply post(TestServer node, String ns, String endpoint, String body) {
        return node.send(java.net.http.HttpRequest.newBuilder(URI.create(node.url + "/datafn/" + endpoint))
                .header("X-Ns", ns).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void everyWritePath_sendsOneCursorMessagePerCommit_toTheNamespaceOnly() throws Exception {
        s = start(100, 100);
        WsClient alice = connect(s, "alice");
        WsClient alice2 = connect(s, "alice");
        WsClient bob = connect(s, "bob");
        post(s, "alice", "mutation", insert("tag:1"));
        assertThat(alice.next()).isEqualTo(cursor(1));
        assertThat(alice2.next()).isEqualTo(cursor(1));
        post(s, "alice", "transact", "{\"steps\":[{\"mutation\":" + insert("tag:2") + "},{\"mutation\":" + insert("tag:3") + "}]}");
        assertThat(alice.next()).isEqualTo(cursor(3));
        post(s, "alice", "push", "{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:4\",\"record\":{\"label\":\"x\"},\"clientId\":\"c\",\"mutationId\":\"m\"}]}");
        assertThat(alice.next()).isEqualTo(cursor(4));
        post(s, "alice", "seed", "{\"data\":{\"tag\":[{\"id\":\"tag:5\",\"label\":\"s\"}]}}");
        assertThat(alice.next()).isEqualTo(cursor(5));
        assertThat(bob.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void limitsAndUnauthorized_closeWithTheProtocolCodes() throws Exception {
        s = start(2, 1);
        connect(s, "a");
        awaitSockets(1); // the client may see the handshake's 101 before the hub registered the socket
        WsClient second = connect(s, "a");
        assertThat(second.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4503);
        connect(s, "b");
        awaitSockets(2);
        WsClient third = connect(s, "c");
        assertThat(third.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4503);
        WsClient anonymous = connect(s, null);
        assertThat(anonymous.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4401);
    }

    void awaitSockets(int n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s.server.websocketHub().size() < n && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(s.server.websocketHub().size()).isEqualTo(n);
    }

    @Test
    void upgrades_keepNoHttpSession() throws Exception {
        // Javalin asks for an HTTP session on every upgrade; none may stay in memory (it grew with every reconnect)
        s = start(100, 100);
        java.util.List<WsClient> open = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            open.add(connect(s, "ns" + (i % 2)));
        }
        awaitSockets(20);
        org.eclipse.jetty.session.DefaultSessionCache cache = (org.eclipse.jetty.session.DefaultSessionCache)
                s.app.jettyServer().server().getDescendant(org.eclipse.jetty.ee10.servlet.SessionHandler.class).getSessionCache();
        assertThat(cache.getSessionsTotal()).as("sessions made by the upgrades").isGreaterThanOrEqualTo(20);
        assertThat(cache.getSessionsCurrent()).as("sessions still held").isZero();
        for (WsClient c : open) {
            c.ws.abort();
        }
    }

    @Test
    void heartbeat_aSocketThatNeverPongsIsClosed1001_oneThatPongsStays() throws Exception {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.websocketHeartbeat(Duration.ofMillis(300), Duration.ofMillis(300)));
        WsClient answering = connect(s, null); // the JDK client answers pings, as browsers do
        try (RawHttp silent = new RawHttp(s, "127.0.0.1")) {
            assertThat(silent.upgradeWebSocket("")).startsWith("HTTP/1.1 101");
            java.io.InputStream in = silent.socket().getInputStream();
            silent.socket().setSoTimeout(10_000);
            int pings = 0;
            while (true) { // frames from the server are unmasked and short here: opcode byte, length byte, payload
                int opcode = in.read() & 0x0f;
                byte[] payload = in.readNBytes(in.read() & 0x7f);
                if (opcode == 0x9) {
                    pings++; // never answered
                    continue;
                }
                assertThat(opcode).as("a close frame").isEqualTo(0x8);
                assertThat(((payload[0] & 0xff) << 8) | (payload[1] & 0xff)).isEqualTo(1001);
                assertThat(new String(payload, 2, payload.length - 2, java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo("Heartbeat timeout");
                break;
            }
            assertThat(pings).isEqualTo(1);
        }
        Thread.sleep(1_000); // several more intervals
        assertThat(answering.closed).isNotDone();
        assertThat(s.post("mutation", insert("tag:hb")).status()).isEqualTo(200);
        assertThat(answering.next()).isEqualTo(cursor(1));
    }

    @Test
    void shutdown_closesSocketsWithGoingAway() throws Exception {
        s = start(10, 10);
        WsClient c = connect(s, "a");
        s.server.websocketHub().close();
        assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
    }

    @Test
    void aCommitOnOneNode_reachesSocketsOnAnotherNode_withinASecond() throws Exception {
        // PostgreSQL: LISTEN/NOTIFY; MariaDB and SQLite (two stores on one file): each node polls the seq counters
        s = TestServer.startNode(db.freshUrl(), Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns")));
        other = TestServer.startNode(s.jdbcUrl, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns")));
        Thread.sleep(500); // both listeners connected
        String ns = "ns-" + db.name();
        WsClient onOther = connect(other, ns);
        WsClient onSame = connect(s, ns);
        post(s, ns, "mutation", insert("tag:1"));
        assertThat(onOther.next()).isEqualTo(cursor(1));
        assertThat(onSame.next()).isEqualTo(cursor(1));
        // and back: a write on B reaches A's socket and B's own
        post(other, ns, "mutation", insert("tag:2"));
        assertThat(onSame.next()).isEqualTo(cursor(2));
        assertThat(onOther.next()).isEqualTo(cursor(2));
        // warm now (the first round paid for class loading and JIT on a loaded machine): timed from the write's answer
        post(s, ns, "mutation", insert("tag:3"));
        long start = System.nanoTime();
        assertThat(onOther.next()).isEqualTo(cursor(3));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        assertThat(onSame.next()).isEqualTo(cursor(3));
        Thread.sleep(500); // a few polls later: nothing announced twice
        assertThat(onSame.messages).isEmpty();
        assertThat(onOther.messages).isEmpty();
    }
}
