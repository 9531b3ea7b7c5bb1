package io.datafn.servlet;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.testing.Database;
import io.datafn.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The servlet adapter black-box, on Jetty 12 ee10 and Undertow 2.3 over real HTTP and a real WebSocket client: the same answers as the
 * Javalin adapter (envelopes, status codes, the streamed clone, the payload limit with a declared length or chunked),
 * and the WebSocket hub behind {@code jakarta.websocket}.
 */
@ParameterizedClass
@MethodSource("containersAndDatabases")
class DatafnServletTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final int MAX_PAYLOAD = 1024;
    static ServletContainer s;

    @Parameter(0)
    ServletContainer.Kind container;

    @Parameter(1)
    Database db;

    /** Jetty on every database; Undertow on SQLite and PostgreSQL (the adapter is the same code on each). */
    static List<Arguments> containersAndDatabases() {
        return List.of(Arguments.of(ServletContainer.Kind.JETTY, Database.SQLITE),
                Arguments.of(ServletContainer.Kind.JETTY, Database.POSTGRES),
                Arguments.of(ServletContainer.Kind.JETTY, Database.MARIADB),
                Arguments.of(ServletContainer.Kind.UNDERTOW, Database.SQLITE),
                Arguments.of(ServletContainer.Kind.UNDERTOW, Database.POSTGRES));
    }

    @BeforeParameterizedClassInvocation
    static void start(ServletContainer.Kind container, Database db) throws Exception {
        s = ServletContainer.start(container, db, b -> b.limits(Limits.defaults().withMaxPayloadBytes(MAX_PAYLOAD)).rest(true)
                .namespaceProvider(ctx -> {
                    String ns = ctx.header("X-Ns");
                    if (ns == null) {
                        throw new DatafnException(ErrorCode.UNAUTHORIZED, "no namespace", "$");
                    }
                    return ns;
                }));
    }

    @AfterParameterizedClassInvocation
    static void stop() throws Exception {
        if (s != null) {
            s.close();
            s = null;
        }
    }

    record Reply(int status, HttpResponse<String> raw) {
        JsonNode json() {
            return Json.parse(raw.body());
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    static Reply send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r);
    }

    static HttpRequest.Builder to(String path) {
        return as("alice", path);
    }

    static HttpRequest.Builder as(String ns, String path) {
        return HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + path)).header("X-Ns", ns);
    }

    static Reply post(String path, String body) throws Exception {
        return send(to(path).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static void assertJson(JsonNode actual, String expected) {
        assertThat(actual).isEqualTo(Json.parse(expected));
    }

    static String insert(String id) {
        return "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"" + id + "\",\"record\":{\"label\":\"" + id + "\"}}";
    }

    @Test
    void statusMutationQuery_answerInTheEnvelope() throws Exception {
        Reply status = send(to("status").GET());
        assertThat(status.status()).isEqualTo(200);
        // the container writes the header its own way ("application/json;charset=utf-8" on Jetty)
        assertThat(status.header("Content-Type").replace(" ", "")).isEqualTo("application/json;charset=utf-8");
        assertThat(status.header("X-Request-Id")).isNotBlank();
        assertThat(status.json().path("ok").asBoolean()).isTrue();
        assertThat(status.json().path("result").has("schemaHash")).isTrue();

        Reply m = post("mutation", insert("tag:q1"));
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.json().at("/result/ok").asBoolean()).isTrue();
        assertThat(m.json().at("/result/affectedIds").toString()).isEqualTo("[\"tag:q1\"]");

        Reply q = post("query", "{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:q1\"},\"select\":[\"id\",\"label\"]}");
        assertThat(q.status()).isEqualTo(200);
        assertJson(q.json().at("/result/data"), "[{\"id\":\"tag:q1\",\"label\":\"tag:q1\"}]");

        // another namespace sees nothing of alice's
        Reply bob = send(as("bob", "query")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:q1\"}}")));
        assertJson(bob.json().at("/result/data"), "[]");
    }

    @Test
    void clone_isStreamed() throws Exception {
        send(as("cloner", "mutation").POST(HttpRequest.BodyPublishers.ofString(insert("tag:c1"))));
        HttpResponse<String> r = HTTP.send(as("cloner", "clone").POST(HttpRequest.BodyPublishers.ofString(
                "{\"tables\":[\"tag\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        // written while it is sent: no Content-Length, chunked
        assertThat(r.headers().firstValue("Content-Length")).isEmpty();
        JsonNode body = Json.parse(r.body());
        assertThat(body.path("ok").asBoolean()).isTrue();
        assertJson(body.at("/result/data"), "{\"tag\":[{\"id\":\"tag:c1\",\"label\":\"tag:c1\"}]}");
        assertJson(body.at("/result/cursors"), "{\"tag\":\"1\"}");
    }

    @Test
    void errors_areTheProtocolsEnvelopes() throws Exception {
        Reply bad = post("query", "{");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().at("/error/code").asText()).isEqualTo("DFQL_INVALID");
        assertThat(bad.json().at("/error/details/path").asText()).isEqualTo("$");

        Reply unknown = send(to("nope").GET());
        assertThat(unknown.status()).isEqualTo(404);
        assertJson(unknown.json(), "{\"ok\":false,\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"Not found: GET /datafn/nope\",\"details\":{\"path\":\"$\"}}}");

        Reply method = send(to("status").method("FOO", HttpRequest.BodyPublishers.noBody()));
        assertThat(method.status()).isEqualTo(404);
        assertThat(method.json().at("/error/message").asText()).isEqualTo("Not found: FOO /datafn/status");

        Reply anonymous = send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/query"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"resource\":\"tag\"}")));
        assertThat(anonymous.status()).isEqualTo(401);
        assertJson(anonymous.json(), "{\"ok\":false,\"error\":{\"code\":\"UNAUTHORIZED\",\"message\":\"no namespace\",\"details\":{\"path\":\"$\"}}}");

        Reply head = send(to("status").method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.raw().body()).isEmpty();
    }

    @Test
    void rest_pathSegmentsReachTheRouterUndecoded_andQueryParametersDecoded() throws Exception {
        assertThat(send(as("rest", "mutation").POST(HttpRequest.BodyPublishers.ofString(insert("tag:r 1")))).status()).isEqualTo(200);
        Reply patch = send(as("rest", "resources/tag/tag%3Ar%201?clientId=c&mutationId=m1")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"record\":{\"label\":\"new\"}}")));
        assertThat(patch.status()).isEqualTo(200);
        assertThat(patch.json().at("/result/affectedIds").toString()).isEqualTo("[\"tag:r 1\"]");
        Reply get = send(as("rest", "resources/tag?q=" + java.net.URLEncoder.encode(
                "{\"filters\":{\"id\":\"tag:r 1\"},\"select\":[\"id\",\"label\"]}", StandardCharsets.UTF_8)).GET());
        assertThat(get.status()).isEqualTo(200);
        assertJson(get.json().at("/result/data"), "[{\"id\":\"tag:r 1\",\"label\":\"new\"}]");
        // a malformed escape in a segment is the router's 400 at the segment, as with Javalin
        Reply bad = send(as("rest", "resources/tag/%E0%A4?clientId=c&mutationId=m2").DELETE());
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().at("/error/details/path").asText()).isEqualTo("id");
    }

    @Test
    void bodyOverTheLimit_is413_withADeclaredLengthOrChunked() throws Exception {
        String tooLarge = "{\"ok\":false,\"error\":{\"code\":\"LIMIT_EXCEEDED\",\"message\":"
                + "\"Request payload exceeds maximum size\",\"details\":{\"path\":\"$\",\"max\":" + MAX_PAYLOAD + "}}}";
        byte[] big = ("{\"resource\":\"tag\",\"filters\":{\"label\":\"" + "x".repeat(MAX_PAYLOAD) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        Reply declared = send(to("query").POST(HttpRequest.BodyPublishers.ofByteArray(big)));
        assertThat(declared.status()).isEqualTo(413);
        assertJson(declared.json(), tooLarge);

        Reply chunked = send(to("query").POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        assertThat(chunked.status()).isEqualTo(413);
        assertJson(chunked.json(), tooLarge);

        // a query string with a form-encoded POST: the body stays the router's (not read as parameters)
        Reply form = send(to("query?x=%41").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resource\":\"tag\",\"filters\":{\"id\":\"none\"}}")));
        assertThat(form.status()).isEqualTo(200);
        assertJson(form.json().at("/result/data"), "[]");
    }

    static WsClient connect(String ns) throws Exception {
        WsClient c = new WsClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder();
        if (ns != null) {
            b.header("X-Ns", ns);
        }
        c.ws = b.buildAsync(URI.create(s.url.replace("http", "ws") + "/datafn/ws"), c).get(10, TimeUnit.SECONDS);
        return c;
    }

    @Test
    void websocket_cursorAfterEachCommit_toTheNamespaceOnly_unauthenticatedClosed4401() throws Exception {
        WsClient carol = connect("carol");
        WsClient dave = connect("dave");
        // the container may finish the handshake before the endpoint's onOpen registered the socket with the hub: a
        // commit before that is (rightly) not announced to it, so wait until both are registered
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (s.datafn.websocketHub().size() < 2 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        Reply r = send(as("carol", "mutation").POST(HttpRequest.BodyPublishers.ofString(insert("tag:w1"))));
        assertThat(r.status()).isEqualTo(200);
        assertThat(carol.next())
                .isEqualTo("{\"type\":\"cursor\",\"cursor\":\"1\",\"targeting\":{\"mode\":\"namespace-broadcast\",\"degraded\":false}}");
        assertThat(dave.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();
        assertThat(s.datafn.websocketHub().size()).isEqualTo(2);

        WsClient anonymous = connect(null);
        assertThat(anonymous.closed.get(10, TimeUnit.SECONDS)).isEqualTo(4401);
    }
}
