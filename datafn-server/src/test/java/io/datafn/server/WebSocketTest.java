package io.datafn.server;

import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.jdbc.PostgresBus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
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

    /** A client socket that records messages and its close code. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final StringBuilder partial = new StringBuilder();
        WebSocket ws;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }

        String next() throws InterruptedException {
            return messages.poll(10, TimeUnit.SECONDS);
        }
    }

    static Client connect(TestServer server, String ns) throws Exception {
        Client c = new Client();
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
        Client alice = connect(s, "alice");
        Client alice2 = connect(s, "alice");
        Client bob = connect(s, "bob");
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
        Client second = connect(s, "a");
        assertThat(second.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4503);
        connect(s, "b");
        Client third = connect(s, "c");
        assertThat(third.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4503);
        Client anonymous = connect(s, null);
        assertThat(anonymous.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4401);
    }

    @Test
    void shutdown_closesSocketsWithGoingAway() throws Exception {
        s = start(10, 10);
        Client c = connect(s, "a");
        s.server.websocketHub().close();
        assertThat(c.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1001);
    }

    @Test
    void aCommitOnOneNode_reachesSocketsOnAnotherNode() throws Exception {
        if (db != TestDb.POSTGRES) {
            return; // nodes share commits through PostgreSQL LISTEN/NOTIFY; SQLite is a single-node store
        }
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns"))
                .clusterBus(new PostgresBus(TestDb.PG_URL, null, null)));
        other = TestServer.startOn(s.jdbcUrl, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns"))
                .clusterBus(new PostgresBus(TestDb.PG_URL, null, null)));
        Thread.sleep(500); // both listeners connected
        Client onOther = connect(other, "ns-" + db.name());
        post(s, "ns-" + db.name(), "mutation", insert("tag:1"));
        assertThat(onOther.next()).isEqualTo(cursor(1));
    }
}
