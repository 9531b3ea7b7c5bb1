package io.datafn.server;

import io.datafn.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/** REST wrappers (inner statuses kept) and rate limiting (429 with Retry-After). */
@ParameterizedClass
@EnumSource(TestDb.class)
class RestAndRateLimitTest {
    @Parameter
    TestDb db;

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    TestServer.Reply rest(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url + "/datafn/resources/" + path)).header("Content-Type", "application/json");
        return s.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void rest_insertQueryPatchDelete() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.rest(true));
        TestServer.Reply r = rest("POST", "task", "{\"clientId\":\"client:1\",\"mutationId\":\"m-rest1\",\"id\":\"task:1\",\"record\":{\"label\":\"A\"},\"operation\":\"insert\",\"resource\":\"goal\"}");
        assertJson(r.body(), "{\"ok\":true,\"result\":{\"ok\":true,\"mutationId\":\"m-rest1\",\"affectedIds\":[\"task:1\"],\"errors\":[],\"deduped\":false}}");
        String q = URLEncoder.encode("{\"select\":[\"id\",\"label\"],\"filters\":{\"id\":\"task:1\"}}", StandardCharsets.UTF_8);
        assertJson(rest("GET", "task?q=" + q, null).result(), "{\"data\":[{\"id\":\"task:1\",\"label\":\"A\"}],\"nextCursor\":null}");
        r = rest("PATCH", "task/task:1?clientId=client:1&mutationId=m2", "{\"record\":{\"label\":\"B\"}}");
        assertThat(r.status()).isEqualTo(200);
        assertThat(s.query("{\"resource\":\"task\"}").get("data").get(0).get("label").asText()).isEqualTo("B");
        r = rest("DELETE", "task/task:1?clientId=client:1&mutationId=m3", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(s.query("{\"resource\":\"task\"}").get("data")).isEmpty();
    }

    @Test
    void rest_errorsKeepTheirStatus() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.rest(true));
        assertJson(rest("GET", "nope", null).body(), "{\"ok\":false,\"error\":{\"code\":\"DFQL_UNKNOWN_RESOURCE\",\"message\":\"Unknown resource: nope\",\"details\":{\"path\":\"resource\",\"resource\":\"nope\"}}}");
        assertThat(rest("GET", "users%2F..%2Fadmin", null).message()).isEqualTo("Invalid path segment");
        assertThat(rest("GET", "task%00evil", null).status()).isEqualTo(400);
        assertJson(rest("DELETE", "task/task:1", null).body(), "{\"ok\":false,\"error\":{\"code\":\"DFQL_INVALID\",\"message\":\"Invalid DFQL: clientId is required\",\"details\":{\"path\":\"clientId\"}}}");
        assertThat(rest("GET", "task?q=%7Bbad", null).path()).isEqualTo("q");
        rest("POST", "task?clientId=c&mutationId=m1", "{\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"A\"}}");
        TestServer.Reply dup = rest("POST", "task?clientId=c&mutationId=m2", "{\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"A\"}}");
        assertThat(dup.status()).isEqualTo(409);
        assertThat(rest("PATCH", "task/task:none?clientId=c&mutationId=m3", "{\"record\":{\"priority\":1}}").status()).isEqualTo(404);
    }

    @Test
    void rest_malformedSegments_areInvalidAtTheSegmentsPath() throws IOException {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.rest(true));
        String invalid = "{\"ok\":false,\"error\":{\"code\":\"DFQL_INVALID\",\"message\":\"Invalid path segment\",\"details\":{\"path\":\"%s\"}}}";
        String patch = "{\"record\":{\"label\":\"x\"}}";
        // NUL, a bad or cut escape (Jetty itself refuses those), a lone surrogate, a cut UTF-8 sequence
        for (String bad : List.of("ta%00sks", "%00", "ta%ZZsks", "ta%sks", "ta%4", "ta%ED%A0%80sks", "ta%C3sks")) {
            try (RawHttp c = new RawHttp(s)) {
                assertInvalid(c.send("GET /datafn/resources/" + bad + " HTTP/1.1", null).read(), invalid.formatted("resource"), bad);
                assertInvalid(c.send("PATCH /datafn/resources/task/ab" + bad + "?clientId=c&mutationId=m-bad HTTP/1.1", patch).read(),
                        invalid.formatted("id"), bad);
                assertInvalid(c.send("DELETE /datafn/resources/tasks/" + bad + "?clientId=c&mutationId=m-bad HTTP/1.1", null).read(),
                        invalid.formatted("id"), bad);
            }
        }
        assertThat(s.query("{\"resource\":\"task\"}").get("data")).isEmpty();
    }

    private static void assertInvalid(RawHttp.Reply r, String expected, String segment) {
        assertThat(r.status()).as(segment).isEqualTo(400);
        assertJson(Json.parse(r.body()), expected);
    }

    @Test
    void rest_isOffByDefault() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        assertThat(rest("GET", "task", null).status()).isEqualTo(404);
    }

    @Test
    void rateLimit_answers429WithRetryAfter() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.rateLimit(3, Duration.ofSeconds(60)));
        for (int i = 0; i < 3; i++) {
            assertThat(s.post("query", "{\"resource\":\"task\"}").status()).isEqualTo(200);
        }
        TestServer.Reply r = s.post("query", "{\"resource\":\"task\"}");
        assertThat(r.status()).isEqualTo(429);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"RATE_LIMITED\",\"message\":\"Too many requests\",\"details\":{\"path\":\"$\"}}}");
        assertThat(r.header("Retry-After")).isEqualTo("60");
        assertThat(s.post("mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"x\"}}").status())
                .as("limits are per action").isEqualTo(200);
    }
}
