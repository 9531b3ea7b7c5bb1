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

    /** Issue 9 items 1 and 4: a note, a resource of 22 long text fields, and tasks with many-many tags. */
    static final String LIMITS_SCHEMA;

    static {
        StringBuilder wide = new StringBuilder();
        for (int f = 0; f < 22; f++) {
            wide.append(f == 0 ? "" : ",").append("{\"name\":\"f").append(f).append("\",\"type\":\"string\"}");
        }
        LIMITS_SCHEMA = """
                {"resources":[
                  {"name":"note","version":1,"fields":[{"name":"title","type":"string"},{"name":"meta","type":"json","nullable":true}]},
                  {"name":"wide","version":1,"fields":[%s]},
                  {"name":"task","version":1,"fields":[{"name":"label","type":"string"}]},
                  {"name":"tag","version":1,"fields":[{"name":"label","type":"string"}]}],
                 "relations":[{"from":"task","to":"tag","type":"many-many","relation":"tags","inverse":"tasks"}]}
                """.formatted(wide);
    }

    static final long MAX_RESULT_BYTES = io.datafn.Limits.defaults().maxResultBytes();

    void startLimits() {
        s = TestServer.start(db, LIMITS_SCHEMA, b -> b);
    }

    /** Seeds 100 rows of ~44 KB each (22 fields of 2 000 characters). */
    void seedWideRows() {
        String value = "x".repeat(2000);
        StringBuilder rows = new StringBuilder();
        for (int r = 0; r < 100; r++) {
            rows.append(r == 0 ? "" : ",").append("{\"id\":\"wide:").append(r).append("\"");
            for (int f = 0; f < 22; f++) {
                rows.append(",\"f").append(f).append("\":\"").append(value).append("\"");
            }
            rows.append("}");
        }
        TestServer.Reply seeded = s.post("seed", "{\"clientId\":\"c1\",\"data\":{\"wide\":[" + rows + "]}}");
        assertThat(seeded.status()).as("%s", seeded.body()).isEqualTo(200);
    }

    static String repeat(String item, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(item.replace("#", Integer.toString(i)));
        }
        return b.toString();
    }

    /** Unrelated requests still succeed: a query, a mutation, a clone (the connections were left out of transactions). */
    int checks;

    void serverStillServes() {
        assertThat(s.query("{\"resource\":\"wide\",\"select\":[\"id\"],\"limit\":3}").get("data").size()).isLessThanOrEqualTo(3);
        for (int i = 0; i < 5; i++) {
            String title = "after " + checks++;
            s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"record\":{\"title\":\"" + title + "\"}}");
            assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"title\":\"" + title + "\"}}").get("data")).hasSize(1);
        }
        TestServer.Reply clone = s.post("clone", "{\"clientId\":\"c2\",\"tables\":[\"note\"]}");
        assertThat(clone.status()).isEqualTo(200);
        assertThat(clone.body()).as("clone body").isNotNull();
        assertThat(clone.result().get("ok").asBoolean()).isTrue();
        assertThat(clone.result().get("data").get("note").size()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void aBatchOfWideQueries_isLimitExceededAtTheQueryThatPassesTheMaximum_andTheServerKeepsServing() {
        startLimits();
        seedWideRows();
        // ~17 KB of request, ~2.2 GB of answer: each query answers ~4.4 MB, the 8th passes 32 MiB
        String batch = "[" + repeat("{\"resource\":\"wide\",\"limit\":100}", 500) + "]";
        long started = System.nanoTime();
        TestServer.Reply r = s.post("query", batch);
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertError(r, 400, "LIMIT_EXCEEDED", "Result exceeds maximum size", "$");
        assertThat(r.error().get("details").get("index").asInt()).isEqualTo(7);
        assertThat(r.error().get("details").get("max").asLong()).isEqualTo(MAX_RESULT_BYTES);
        assertThat(ms).as("answered in %d ms", ms).isLessThan(10_000);
        serverStillServes();
        // four at once
        java.util.List<java.util.concurrent.CompletableFuture<TestServer.Reply>> parallel = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            parallel.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> s.post("query", batch)));
        }
        for (var f : parallel) {
            assertError(f.join(), 400, "LIMIT_EXCEEDED", "Result exceeds maximum size", "$");
        }
        serverStillServes();
    }

    @Test
    void aTransactOfWideQueries_isLimitExceededAtItsStep_rolledBack_andTheServerKeepsServing() {
        startLimits();
        seedWideRows();
        String steps = "{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:t\",\"record\":{\"title\":\"t\"}},"
                + repeat("{\"resource\":\"wide\",\"limit\":100}", 99);
        TestServer.Reply r = s.post("transact", "{\"steps\":[" + steps + "]}");
        // step 0 is the insert; steps 1..7 answer ~31 MB, step 8 passes 32 MiB
        assertError(r, 400, "LIMIT_EXCEEDED", "Result exceeds maximum size", "steps[8]");
        assertThat(r.error().get("details").get("max").asLong()).isEqualTo(MAX_RESULT_BYTES);
        assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"id\":\"note:t\"}}").get("data")).isEmpty();
        // not atomic: the insert commits, the step past the maximum fails on its own, a small query after it answers
        String looseSteps = "{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:t\",\"record\":{\"title\":\"t\"}},"
                + repeat("{\"resource\":\"wide\",\"limit\":100}", 98) + ",{\"resource\":\"note\",\"filters\":{\"id\":\"note:t\"}}";
        TestServer.Reply loose = s.post("transact", "{\"atomic\":false,\"steps\":[" + looseSteps + "]}");
        assertThat(loose.status()).as("%s", loose.body()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode results = loose.result().get("results");
        assertThat(results.get(7).get("ok").asBoolean()).isTrue();
        com.fasterxml.jackson.databind.JsonNode failed = results.get(8).get("result").get("error");
        assertThat(failed.get("code").asText()).isEqualTo("LIMIT_EXCEEDED");
        assertThat(failed.get("message").asText()).isEqualTo("Result exceeds maximum size");
        assertThat(failed.get("path").asText()).isEqualTo("steps[8]");
        assertThat(results.get(98).get("result").get("error").get("path").asText()).isEqualTo("steps[98]");
        assertThat(results.get(99).get("result").get("data")).hasSize(1);
        serverStillServes();
    }

    @Test
    void aConfiguredResultMaximum_boundsOneQuery_andAQueryBatchHoldsAtMostMaxBatchSizeQueries() {
        s = TestServer.start(db, LIMITS_SCHEMA, b -> b.limits(io.datafn.Limits.defaults().withMaxResultBytes(1000)));
        for (int i = 0; i < 20; i++) {
            s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:" + i + "\",\"record\":{\"title\":\"" + "y".repeat(60) + "\"}}");
        }
        TestServer.Reply one = s.post("query", "{\"resource\":\"note\"}");
        assertError(one, 400, "LIMIT_EXCEEDED", "Result exceeds maximum size", "$");
        assertThat(one.error().get("details").get("max").asLong()).isEqualTo(1000);
        assertThat(one.error().get("details").has("index")).isFalse();
        assertThat(s.query("{\"resource\":\"note\",\"limit\":2}").get("data")).hasSize(2);
        TestServer.Reply tooMany = s.post("query", "[" + repeat("{\"resource\":\"note\",\"limit\":1}", 501) + "]");
        assertError(tooMany, 400, "LIMIT_EXCEEDED", "Query batch exceeds maximum size", "$");
        assertThat(tooMany.error().get("details").get("max").asInt()).isEqualTo(500);
    }

    static final String TOO_LARGE = "Filter exceeds maximum conditions (500)";

    void assertFilterTooLarge(TestServer.Reply r, String path) {
        assertError(r, 400, "LIMIT_EXCEEDED", TOO_LARGE, path);
        assertThat(r.error().get("details").get("max").asInt()).isEqualTo(500);
    }

    @Test
    void filtersPastFiveHundredConditions_areLimitExceededWithTheOffendingPath_onEveryDatabase() {
        startLimits();
        String or998 = "[" + repeat("{\"title\":\"t#\"}", 998) + "]";
        assertFilterTooLarge(s.post("query", "{\"resource\":\"note\",\"filters\":{\"$or\":" + or998 + "}}"), "filters.$or");
        assertFilterTooLarge(s.post("query", "{\"resource\":\"note\",\"filters\":{\"$and\":" + or998 + "}}"), "filters.$and");
        assertFilterTooLarge(s.post("query", "{\"resource\":\"task\",\"filters\":{\"tags\":{\"$any\":{\"$or\":"
                + or998.replace("title", "label") + "}}}}"), "filters.tags.$any.$or");
        assertFilterTooLarge(s.post("query", "{\"resource\":\"note\",\"groupBy\":[\"title\"],\"aggregations\":{\"n\":{\"op\":\"count\",\"field\":\"*\"}},"
                + "\"having\":{\"$or\":" + repeat("{\"n\":#}", 998).transform(x -> "[" + x + "]") + "}}"), "having.$or");
        assertFilterTooLarge(s.post("transact", "{\"steps\":[{\"resource\":\"note\",\"filters\":{\"$or\":" + or998 + "}}]}"),
                "steps[0].filters.$or");
        assertFilterTooLarge(s.post("query", "[{\"resource\":\"note\"},{\"resource\":\"note\",\"filters\":{\"$or\":" + or998 + "}}]"),
                "filters.$or");
        // in lists count one condition per value; an array of 1 000 objects on a json field is an in list
        assertFilterTooLarge(s.post("query", "{\"resource\":\"note\",\"filters\":{\"meta\":[" + repeat("{\"k\":#}", 1000) + "]}}"),
                "filters.meta");
        assertFilterTooLarge(s.post("query", "{\"resource\":\"note\",\"filters\":{\"title\":{\"in\":[" + repeat("\"t#\"", 501) + "]}}}"),
                "filters.title.in");
        // the conditions of nested branches add up: 300 branches of two conditions pass 500 at the first of branch 250
        assertFilterTooLarge(s.post("query", "{\"resource\":\"note\",\"filters\":{\"$or\":["
                + repeat("{\"title\":\"t#\",\"meta\":null}", 300) + "]}}"), "filters.$or[250].title");
        // nothing was changed, and at the maximum every form answers on every database
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"t7\",\"meta\":{\"k\":7}}}");
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"t7\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"x\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":\"tag:1\"}}");
        String or500 = "[" + repeat("{\"title\":\"t#\"}", 500) + "]";
        assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"$or\":" + or500 + "}}").get("data")).hasSize(1);
        assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"$not\":{\"$or\":" + or500 + "}}}").get("data")).isEmpty();
        assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"$and\":[" + repeat("{\"title\":{\"ne\":\"u#\"}}", 500) + "]}}")
                .get("data")).hasSize(1);
        // inside a relation quantifier a condition counts twice (SQLite adds the subquery's depth to the query's)
        String or250 = "[" + repeat("{\"label\":\"t#\"}", 250) + "]";
        assertThat(s.query("{\"resource\":\"task\",\"filters\":{\"tags\":{\"$any\":{\"$or\":" + or250 + "}}}}")
                .get("data")).hasSize(1);
        assertThat(s.query("{\"resource\":\"task\",\"filters\":{\"tags\":{\"$none\":{\"$or\":" + or250 + "}}}}")
                .get("data")).isEmpty();
        assertThat(s.query("{\"resource\":\"task\",\"filters\":{\"tags.label\":[" + repeat("\"t#\"", 250) + "]}}")
                .get("data")).hasSize(1);
        assertFilterTooLarge(s.post("query", "{\"resource\":\"task\",\"filters\":{\"tags\":{\"$any\":{\"$or\":["
                + repeat("{\"label\":\"t#\"}", 251) + "]}}}}"), "filters.tags.$any.$or[250].label");
        assertFilterTooLarge(s.post("query", "{\"resource\":\"task\",\"filters\":{\"tags.label\":[" + repeat("\"t#\"", 251) + "]}}"),
                "filters.tags.label");
        assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"meta\":[" + repeat("{\"k\":#}", 500) + "]}}").get("data")).hasSize(1);
        assertThat(s.query("{\"resource\":\"note\",\"filters\":{\"title\":[" + repeat("\"t#\"", 500) + "]}}").get("data")).hasSize(1);
        assertThat(s.query("{\"resource\":\"note\",\"groupBy\":[\"title\"],\"aggregations\":{\"n\":{\"op\":\"count\",\"field\":\"*\"}},"
                + "\"having\":{\"$or\":[" + repeat("{\"n\":#}", 500) + "]}}").get("groups")).hasSize(1);
    }

    @Test
    void aSeedOfFifteenThousandRecords_andARelateOfSevenThousandTargets_work_onEveryDatabase() {
        startLimits();
        TestServer.Reply seeded = s.post("seed", "{\"clientId\":\"c1\",\"data\":{\"tag\":["
                + repeat("{\"id\":\"tag:#\",\"label\":\"label of tag number #\"}", 15_000) + "]}}");
        assertThat(seeded.status()).as("%s", seeded.body()).isEqualTo(200);
        assertThat(seeded.result().get("seeded").get("tag").asInt()).isEqualTo(15_000);
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"x\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":["
                + repeat("\"tag:#\"", 7_000) + "]}}");
        TestServer.Reply pulled = s.post("pull", "{\"clientId\":\"c1\",\"cursors\":{\"tag\":\"0\"},\"limit\":1000}");
        assertThat(pulled.status()).isEqualTo(200);
        TestServer.Reply clone = s.post("clone", "{\"clientId\":\"c1\",\"tables\":[\"task\"],\"includeJoins\":true}");
        assertThat(clone.status()).isEqualTo(200);
        assertThat(clone.result().get("joins").get("join_task_tags_tag")).hasSize(7_000);
        serverStillServes();
    }
}
