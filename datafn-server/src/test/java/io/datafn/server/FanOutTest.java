package io.datafn.server;

import io.datafn.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fan-out of cursor messages to many sockets of one namespace, through real WebSockets: more sockets than one fan-out
 * slice (WebSocketHub.SLICE), every socket hears a commit's cursor exactly once, and a burst of concurrent commits
 * (which finish out of seq order) reaches each socket as cursors that never go down and end at the last seq.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class FanOutTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int SOCKETS = 300;

    @Parameter
    TestDb db;

    TestServer s;
    final List<WsClient> clients = new ArrayList<>();

    @AfterEach
    void stop() {
        for (WsClient c : clients) {
            c.ws.abort();
        }
        clients.clear();
        if (s != null) {
            s.close();
        }
    }

    void openSockets() throws Exception {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, ClientLimits.defaults().withWsMaxPerSource(0).withMaxConnectionsPerSource(0));
        for (int i = 0; i < SOCKETS; i++) {
            WsClient c = new WsClient();
            c.ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(s.url.replace("http", "ws") + "/datafn/ws"), c)
                    .get(10, TimeUnit.SECONDS);
            clients.add(c);
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (s.server.websocketHub().size() < SOCKETS && System.nanoTime() < until) {
            Thread.sleep(10); // a container may finish the handshake before the hub registered the socket
        }
        assertThat(s.server.websocketHub().size()).isEqualTo(SOCKETS);
    }

    static String insert(int i) {
        return "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:" + i + "\",\"record\":{\"label\":\"t" + i + "\"}}";
    }

    static String cursor(long seq) {
        return "{\"type\":\"cursor\",\"cursor\":\"" + seq + "\",\"targeting\":{\"mode\":\"namespace-broadcast\",\"degraded\":false}}";
    }

    @Test
    void permessageDeflate_isNotNegotiated_andTheCursorComesAsOnePlainTextFrame() throws Exception {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        try (RawHttp c = new RawHttp(s, "127.0.0.1")) {
            String head = c.upgradeWebSocket("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n");
            assertThat(head).startsWith("HTTP/1.1 101").doesNotContainIgnoringCase("Sec-WebSocket-Extensions");
            java.io.InputStream in = c.socket().getInputStream();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (s.server.websocketHub().size() < 1 && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(s.post("mutation", insert(1)).status()).isEqualTo(200);
            c.socket().setSoTimeout(10_000);
            assertThat(in.read()).as("FIN + text, no RSV1 (compressed) bit").isEqualTo(0x81);
            int len = in.read();
            byte[] payload = in.readNBytes(len);
            assertThat(new String(payload, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(cursor(1));
        }
    }

    @Test
    void oneCommit_reachesEverySocketOfTheNamespaceOnce() throws Exception {
        openSockets();
        assertThat(s.post("mutation", insert(1)).status()).isEqualTo(200);
        for (WsClient c : clients) {
            assertThat(c.next()).isEqualTo(cursor(1));
        }
        Thread.sleep(200);
        for (WsClient c : clients) {
            assertThat(c.messages).isEmpty();
        }
    }

    @Test
    void aBurstOfConcurrentCommits_reachesEverySocketInOrder_endingAtTheLastSeq() throws Exception {
        openSockets();
        int writes = 40;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 1; i <= writes; i++) {
                int n = i;
                fs.add(pool.submit(() -> s.post("mutation", insert(n)).status()));
            }
            for (Future<Integer> f : fs) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(200);
            }
        } finally {
            pool.shutdown();
        }
        List<List<String>> received = new ArrayList<>();
        for (WsClient c : clients) {
            List<String> got = new ArrayList<>();
            while (got.isEmpty() || !got.get(got.size() - 1).equals(cursor(writes))) {
                String m = c.next();
                assertThat(m).as("a message after %s", got).isNotNull();
                got.add(m);
            }
            received.add(got);
        }
        Thread.sleep(300);
        for (int i = 0; i < clients.size(); i++) {
            List<String> got = received.get(i);
            clients.get(i).messages.drainTo(got);
            assertThat(got).as("a socket's messages end with the last seq").last().isEqualTo(cursor(writes));
            long last = 0;
            for (String m : got) {
                long seq = Long.parseLong(m.replaceAll("^\\{\"type\":\"cursor\",\"cursor\":\"(\\d+)\".*$", "$1"));
                assertThat(m).isEqualTo(cursor(seq));
                assertThat(seq).as("cursors of a socket never go down: %s", got).isGreaterThanOrEqualTo(last);
                last = seq;
            }
        }
    }
}
