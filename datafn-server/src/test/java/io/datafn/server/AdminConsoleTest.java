package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.DatafnServer;
import io.datafn.auth.NamespaceProvider;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin console's surface over HTTP: off unless a token is given, its files, the admin token choosing the
 * namespace, the namespace counters, and normal authentication left exactly as it was.
 */
class AdminConsoleTest {
    static final String TOKEN = "admin-token-for-the-tests-0123456789";
    /** Like {@code --auth jwt}: a caller without {@code X-Token: ok-<user>} is 401, else namespace {@code user:<user>}. */
    static final NamespaceProvider STRICT = ctx -> {
        String t = ctx.header("X-Token");
        if (t == null || !t.startsWith("ok-")) {
            throw new DatafnException(ErrorCode.UNAUTHORIZED, "Missing or invalid token", "$");
        }
        return "user:" + t.substring(3);
    };

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    /** On SQLite: only the namespace listing reads the database in its own way (it runs on every database). */
    private void start(NamespaceProvider provider, boolean admin) {
        start(TestDb.SQLITE, provider, admin);
    }

    private void start(TestDb db, NamespaceProvider provider, boolean admin) {
        db.assumeAvailable();
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> {
            DatafnServer.Builder x = b.namespaceProvider(provider);
            return admin ? x.admin(TOKEN) : x;
        });
    }

    private TestServer.Reply send(String method, String endpoint, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + endpoint))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return s.send(b.build());
    }

    private TestServer.Reply asAdmin(String method, String endpoint, String body, String namespace) {
        return send(method, endpoint, body, "Authorization", "Bearer " + TOKEN, "X-Datafn-Namespace", namespace);
    }

    @Test
    void withoutToken_theConsoleIsOff_404Envelope() {
        start(NamespaceProvider.SINGLE, false);
        for (String path : new String[]{"admin", "admin/assets/app.js", "admin/namespaces"}) {
            TestServer.Reply r = s.get(path);
            assertThat(r.status()).as(path).isEqualTo(404);
            assertThat(r.code()).isEqualTo("NOT_FOUND");
            assertThat(r.path()).isEqualTo("$");
        }
        // the namespace header means nothing without the console: the provider decides
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:a\",\"record\":{\"label\":\"a\"}}");
        TestServer.Reply r = send("POST", "query", "{\"resource\":\"tag\"}", "X-Datafn-Namespace", "elsewhere",
                "Authorization", "Bearer " + TOKEN);
        assertThat(r.result().get("data")).hasSize(1);
    }

    @Test
    void pageAndFiles_areServedFromTheJar_andNothingElse() {
        start(STRICT, true);
        TestServer.Reply page = s.get("admin");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).isEqualTo("text/html;charset=utf-8");
        assertThat(page.raw().body()).contains("<meta name=\"datafn-base\" content=\"/datafn\">")
                .contains("src=\"/datafn/admin/assets/app.js\"").doesNotContain("http://").doesNotContain("https://");
        TestServer.Reply js = s.get("admin/assets/app.js");
        assertThat(js.status()).isEqualTo(200);
        assertThat(js.header("Content-Type")).isEqualTo("text/javascript;charset=utf-8");
        assertThat(js.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(s.get("admin/assets/app.css").header("Content-Type")).startsWith("text/css");
        for (String bad : new String[]{"admin/assets/index.html", "admin/assets/..%2FAdminConsole.class", "admin/assets/x.js"}) {
            TestServer.Reply r = s.get(bad);
            assertThat(r.status()).as(bad).isEqualTo(404);
            assertThat(r.code()).isEqualTo("NOT_FOUND");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void namespaces_needTheAdminToken_andListEverySeqCounter(TestDb db) {
        start(db, STRICT, true);
        TestServer.Reply none = s.get("admin/namespaces");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.code()).isEqualTo("UNAUTHORIZED");
        assertThat(none.path()).isEqualTo("$");
        TestServer.Reply wrong = send("GET", "admin/namespaces", null, "Authorization", "Bearer " + TOKEN + "x");
        assertThat(wrong.status()).isEqualTo(401);
        send("POST", "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"a\"}}", "X-Token", "ok-ann");
        send("POST", "mutation", "[{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"b\"}},"
                + "{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"c\"}}]", "X-Token", "ok-bob");
        TestServer.Reply r = asAdmin("GET", "admin/namespaces", null, "ignored");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.result().get("namespaces").toString())
                .isEqualTo("[{\"namespace\":\"user:ann\",\"seq\":1},{\"namespace\":\"user:bob\",\"seq\":2}]");
    }

    @Test
    void adminToken_actsInTheChosenNamespace_andItsWritesAreInTheChangeLog() {
        start(STRICT, true);
        send("POST", "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:ann\",\"record\":{\"label\":\"ann's\"}}",
                "X-Token", "ok-ann");
        JsonNode seen = asAdmin("POST", "query", "{\"resource\":\"tag\"}", "user:ann").result();
        assertThat(seen.get("data").get(0).get("id").asText()).isEqualTo("tag:ann");
        assertThat(asAdmin("POST", "query", "{\"resource\":\"tag\"}", "user:bob").result().get("data")).isEmpty();

        TestServer.Reply m = asAdmin("POST", "mutation",
                "{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:ann\",\"record\":{\"label\":\"edited\"}}", "user:ann");
        assertThat(m.status()).isEqualTo(200);
        // ann sees the admin's edit, and pulls it as a change like any other
        TestServer.Reply pull = send("POST", "pull", "{\"cursor\":\"1\"}", "X-Token", "ok-ann");
        JsonNode change = pull.result().get("changes").get(0);
        assertThat(change.get("serverSeq").asLong()).isEqualTo(2);
        assertThat(change.get("op").asText()).isEqualTo("upsert");
        assertThat(change.get("record").get("label").asText()).isEqualTo("edited");
        // without a namespace header the admin is in the default namespace
        assertThat(send("POST", "query", "{\"resource\":\"tag\"}", "Authorization", "Bearer " + TOKEN).result()
                .get("data")).isEmpty();
    }

    @Test
    void normalAuthentication_isUnchangedWithTheConsoleOn() {
        start(STRICT, true);
        TestServer.Reply wrongBearer = send("POST", "query", "{\"resource\":\"tag\"}", "Authorization", "Bearer nope",
                "X-Datafn-Namespace", "user:ann");
        assertThat(wrongBearer.status()).isEqualTo(401);
        assertThat(wrongBearer.code()).isEqualTo("UNAUTHORIZED");
        TestServer.Reply headerOnly = send("POST", "query", "{\"resource\":\"tag\"}", "X-Datafn-Namespace", "user:ann");
        assertThat(headerOnly.status()).isEqualTo(401);
        // a normal caller's namespace header is ignored: bob stays in user:bob
        send("POST", "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:x\",\"record\":{\"label\":\"x\"}}",
                "X-Token", "ok-ann");
        TestServer.Reply bob = send("POST", "query", "{\"resource\":\"tag\"}", "X-Token", "ok-bob", "X-Datafn-Namespace", "user:ann");
        assertThat(bob.result().get("data")).isEmpty();
    }

    @Test
    void badNamespaceHeader_is400() {
        start(STRICT, true);
        TestServer.Reply r = asAdmin("POST", "query", "{\"resource\":\"tag\"}", "n".repeat(256));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("DFQL_INVALID");
        assertThat(r.path()).isEqualTo("$");
        assertThat(r.message()).startsWith("Invalid X-Datafn-Namespace");
    }

    @Test
    void websocket_withTheAdminTokenInTheQuery_followsTheChosenNamespace() throws Exception {
        start(STRICT, true);
        io.datafn.testing.WsClient refused = new io.datafn.testing.WsClient();
        java.net.http.HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(s.url.replace("http", "ws")
                + "/datafn/ws?adminToken=wrong&namespace=user:ann"), refused).join();
        assertThat(refused.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4401);

        io.datafn.testing.WsClient admin = new io.datafn.testing.WsClient();
        admin.ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(s.url.replace("http", "ws")
                + "/datafn/ws?adminToken=" + TOKEN + "&namespace=user%3Aann"), admin).join();
        send("POST", "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"b\"}}", "X-Token", "ok-bob");
        send("POST", "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"a\"}}", "X-Token", "ok-ann");
        String msg = admin.messages.poll(5, TimeUnit.SECONDS);
        assertThat(msg).contains("\"type\":\"cursor\"").contains("\"cursor\":\"1\"");
        assertThat(admin.messages.poll(300, TimeUnit.MILLISECONDS)).isNull(); // bob's commit went to bob's sockets
        admin.ws.abort();
    }
}
