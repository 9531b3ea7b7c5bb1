package io.datafn.server;

import io.datafn.lucene.LuceneSearchProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.datafn.server.JsonAssert.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Small valid requests that used to answer 500 (issue: nothing lost, nobody let in, under hostile input): each gets
 * the same 4xx envelope with a path on every database. On SQLite and PostgreSQL.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class HostileInputBlackBoxTest {
    static final String SCHEMA = """
            {"resources":[{"name":"note","version":1,"fields":[
              {"name":"title","type":"string"},{"name":"views","type":"number","nullable":true}]}]}
            """;

    @Parameter
    TestDb db;

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    void start() {
        s = TestServer.start(db, SCHEMA, b -> b.searchProvider(new LuceneSearchProvider()));
    }

    @Test
    void sumOrAverageBeyondTheRangeOfANumber_isLimitExceededOnEveryDatabase() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"a\",\"views\":1.7976931348623157e308}}");
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:2\",\"record\":{\"title\":\"b\",\"views\":1.7976931348623157e308}}");
        for (String op : new String[]{"sum", "avg"}) {
            assertError(s.post("query", "{\"resource\":\"note\",\"aggregations\":{\"s\":{\"op\":\"" + op + "\",\"field\":\"views\"}}}"),
                    400, "LIMIT_EXCEEDED", "Aggregation result exceeds the range of a number (±1.7976931348623157e308)",
                    "aggregations");
        }
        // the namespace keeps working, and max is exact
        assertThat(s.query("{\"resource\":\"note\",\"aggregations\":{\"m\":{\"op\":\"max\",\"field\":\"views\"}}}")
                .get("groups").get(0).get("m").asDouble()).isEqualTo(Double.MAX_VALUE);
        assertThat(s.query("{\"resource\":\"note\"}").get("data")).hasSize(2);
    }

    TestServer.Reply method(String method, String endpoint) {
        return s.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url + "/datafn/" + endpoint))
                .method(method, java.net.http.HttpRequest.BodyPublishers.noBody()).build());
    }

    @Test
    void otherMethods_areAnsweredWithTheEnvelope() {
        start();
        for (String m : new String[]{"OPTIONS", "TRACE", "FOO", "PROPFIND"}) {
            TestServer.Reply r = method(m, "query");
            assertThat(r.header("Content-Type")).as(m).startsWith("application/json");
            assertError(r, 404, "NOT_FOUND", "Not found: " + m + " /datafn/query", "$");
        }
        // HEAD is GET without a body
        TestServer.Reply head = method("HEAD", "status");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Type")).startsWith("application/json");
        assertThat(head.raw().body()).isEmpty();
        assertThat(method("HEAD", "query").status()).isEqualTo(404);
    }

    @Test
    void aLargeTokenIsReadAndRefused_notCutOffByTheHeaderLimit() {
        s = TestServer.start(db, SCHEMA, b -> b.namespaceProvider(
                new JwtAuth(JwtAuth.hmac("test-secret-test-secret-test-secret-0123"), "sub", "tenant_id")));
        String token = "x".repeat(60_000);
        TestServer.Reply r = s.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(s.url + "/datafn/query"))
                .header("Authorization", "Bearer " + token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"resource\":\"note\"}")).build());
        assertError(r, 401, "UNAUTHORIZED", "Invalid token", "$");
    }

    @Test
    void pullCursor_upToTheLargestSeqIsAccepted_beyondItIsInvalid() {
        start();
        TestServer.Reply max = s.post("pull", "{\"cursors\":{\"note\":\"9223372036854775807\"}}");
        assertThat(max.status()).isEqualTo(200);
        assertThat(max.result().get("ok").asBoolean()).isTrue();
        assertThat(max.result().get("cursors").get("note").asText()).isEqualTo("9223372036854775807");
        TestServer.Reply beyond = s.post("pull", "{\"cursor\":\"9223372036854775808\"}");
        assertThat(beyond.status()).isEqualTo(200); // pull's validation answers inside result
        assertThat(beyond.result().get("error").get("message").asText())
                .isEqualTo("Invalid DFQL: cursor exceeds the largest seq (9223372036854775807)");
        assertThat(beyond.result().get("error").get("details").get("path").asText()).isEqualTo("cursor");
    }

    @Test
    void searchBoostBeyondAFloat_isInvalidWithItsPath() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"hello\"}}");
        assertError(s.post("search", "{\"query\":\"hello\",\"fieldBoosts\":{\"title\":1e308}}"), 400, "DFQL_INVALID", null,
                "fieldBoosts.title");
        assertThat(s.post("search", "{\"query\":\"hello\",\"fieldBoosts\":{\"title\":2}}").status()).isEqualTo(200);
    }

    @Test
    void searchOverTooManyResources_isLimitExceeded() {
        start();
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 1100; i++) {
            many.append(i == 0 ? "" : ",").append("\"note\"");
        }
        TestServer.Reply r = s.post("search", "{\"query\":\"hello\",\"resources\":[" + many + "]}");
        assertThat(r.status()).as("%s", r.body()).isLessThan(500);
        assertThat(r.status()).isIn(200, 400);
    }

    @Test
    void manyFuzzyTerms_answerWithoutAnError() {
        start();
        for (int i = 0; i < 50; i++) {
            s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"record\":{\"title\":\"word" + i + " other" + i + "\"}}");
        }
        StringBuilder q = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            q.append(i == 0 ? "" : " ").append("wurd").append(i);
        }
        TestServer.Reply r = s.post("search", "{\"query\":\"" + q + "\",\"fuzzy\":true}");
        assertThat(r.status()).as("%s", r.body()).isIn(200, 400);
    }
}
