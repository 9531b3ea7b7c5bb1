package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.server.TestServer.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static io.datafn.server.JsonAssert.assertError;
import static io.datafn.server.JsonAssert.assertJson;
import static io.datafn.server.JsonAssert.ids;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /datafn/transact} over fixture F1, on SQLite and PostgreSQL. */
@ParameterizedClass
@EnumSource(TestDb.class)
class TransactBlackBoxTest {
    static TestServer s;

    @Parameter
    TestDb db;

    @BeforeEach
    void start() {
        if (s == null) {
            s = TestServer.start(db, Fixtures.F1_SCHEMA);
            Fixtures.loadF1(s);
        }
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (s != null) {
            s.close();
            s = null;
        }
    }

    private static Reply transact(String body) {
        return s.post("transact", body);
    }

    private static JsonNode ok(String body) {
        Reply r = transact(body);
        assertThat(r.status()).as("status of %s", r.body()).isEqualTo(200);
        assertThat(r.body().path("ok").asBoolean()).isTrue();
        return r.result();
    }

    private static boolean exists(String resource, String id) {
        return !s.query("{\"resource\":\"" + resource + "\",\"filters\":{\"id\":\"" + id + "\"}}").path("data").isEmpty();
    }

    @Test
    void atomic_allStepsSucceed_returnsKindOkResultPerStep() {
        JsonNode r = ok("""
                {"transactionId":"tx-1","atomic":true,"steps":[
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:tx-ok","mutationId":"m-tx-ok","record":{"label":"tx"}}},
                  {"query":{"resource":"tag","select":["id","label"],"filters":{"id":"tag:tx-ok"}}}]}""");
        assertJson(r, """
                {"ok":true,"results":[
                  {"kind":"mutation","ok":true,"result":{"ok":true,"mutationId":"m-tx-ok","affectedIds":["tag:tx-ok"],"errors":[],"deduped":false}},
                  {"kind":"query","ok":true,"result":{"data":[{"id":"tag:tx-ok","label":"tx"}],"nextCursor":null}}]}""");
        assertThat(exists("tag", "tag:tx-ok")).isTrue();
    }

    @Test
    void atomic_failedStep_rollsBackEveryStepAndSkipsTheRest() {
        JsonNode r = ok("""
                {"steps":[
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:tx-rb","mutationId":"m-rb-0","record":{"label":"rb"}}},
                  {"mutation":{"resource":"task","operation":"merge","id":"task:t1","mutationId":"m-rb-1","record":{"priority":1},"if":{"priority":99}}},
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:tx-rb-after","mutationId":"m-rb-2","record":{"label":"after"}}}]}""");
        assertJson(r, """
                {"ok":false,
                 "results":[
                  {"kind":"mutation","ok":false,"rolledBack":true,"result":{"ok":true,"mutationId":"m-rb-0","affectedIds":["tag:tx-rb"],"errors":[],"deduped":false}},
                  {"kind":"mutation","ok":false,"result":{"ok":false,"mutationId":"m-rb-1","affectedIds":[],
                    "errors":[{"code":"CONFLICT","message":"Guard condition not met","path":"if","retryable":false}],"deduped":false,
                    "error":{"code":"CONFLICT","message":"Guard condition not met","path":"if"}}}],
                 "error":{"code":"TRANSACTION_ROLLED_BACK","message":"Step 1 failed; all steps rolled back"}}""");
        assertThat(exists("tag", "tag:tx-rb")).isFalse();
        assertThat(exists("tag", "tag:tx-rb-after")).isFalse();
    }

    @Test
    void atomic_rolledBackKeyedStep_leavesNoIdempotencyRecord() {
        String failing = """
                {"steps":[
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:tx-key","clientId":"c1","mutationId":"m-tx-key","record":{"label":"k"}}},
                  {"mutation":{"resource":"task","operation":"replace","id":"task:tx-none","record":{"label":"x"}}}]}""";
        assertThat(ok(failing).path("ok").asBoolean(true)).isFalse();
        JsonNode again = s.mutate("""
                {"resource":"tag","operation":"insert","id":"tag:tx-key","clientId":"c1","mutationId":"m-tx-key","record":{"label":"k"}}""");
        assertThat(again.path("deduped").asBoolean(true)).isFalse();
        assertThat(exists("tag", "tag:tx-key")).isTrue();
    }

    @Test
    void atomic_queryStep_seesEarlierMutationStepsOfTheSameTransaction() {
        JsonNode r = ok("""
                {"steps":[
                  {"mutation":{"resource":"task","operation":"insert","id":"task:tx-see","record":{"label":"see","priority":42}}},
                  {"mutation":{"resource":"task","operation":"merge","id":"task:tx-see","record":{"priority":43}}},
                  {"query":{"resource":"task","select":["id","priority"],"filters":{"priority":{"gte":43}}}}]}""");
        assertJson(r.path("results").get(2).path("result"), "{\"data\":[{\"id\":\"task:tx-see\",\"priority\":43}],\"nextCursor\":null}");
    }

    @Test
    void atomic_queryStepBeforeAFailure_isMarkedRolledBack() {
        JsonNode r = ok("""
                {"steps":[
                  {"query":{"resource":"goal","select":["id"],"filters":{"id":"goal:g1"}}},
                  {"mutation":{"resource":"task","operation":"insert","id":"task:t1","mutationId":"m-dup","record":{"label":"dup"}}}]}""");
        assertJson(r.path("results").get(0), "{\"kind\":\"query\",\"ok\":false,\"rolledBack\":true,\"result\":{\"data\":[{\"id\":\"goal:g1\"}],\"nextCursor\":null}}");
        assertThat(r.path("results").get(1).path("result").path("error").path("code").asText()).isEqualTo("CONFLICT");
        assertThat(r.path("error").path("message").asText()).isEqualTo("Step 1 failed; all steps rolled back");
    }

    @Test
    void nonAtomic_runsEveryStepAndKeepsSuccesses() {
        JsonNode r = ok("""
                {"atomic":false,"steps":[
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:na-1","record":{"label":"1"}}},
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:na-1","mutationId":"m-na-dup","record":{"label":"dup"}}},
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:na-2","record":{"label":"2"}}}]}""");
        assertThat(r.path("ok").asBoolean(true)).isFalse();
        assertThat(r.has("error")).isFalse();
        assertThat(r.path("results")).hasSize(3);
        assertJson(r.path("results").get(1), """
                {"kind":"mutation","ok":false,"result":{"ok":false,"mutationId":"m-na-dup","affectedIds":[],
                  "errors":[{"code":"CONFLICT","message":"Record already exists","path":"id","retryable":true}],"deduped":false,
                  "error":{"code":"CONFLICT","message":"Record already exists","path":"id"}}}""");
        assertThat(r.path("results").get(2).path("ok").asBoolean()).isTrue();
        assertThat(exists("tag", "tag:na-1")).isTrue();
        assertThat(exists("tag", "tag:na-2")).isTrue();
    }

    @Test
    void bareSteps_areClassifiedAsMutationOrQuery() {
        JsonNode r = ok("""
                {"steps":[
                  {"resource":"tag","operation":"insert","id":"tag:bare","record":{"label":"bare"}},
                  {"resource":"tag","select":["id"],"filters":{"id":"tag:bare"}},
                  {"resource":"tag","id":"tag:bare","select":["label"]}]}""");
        assertThat(r.path("ok").asBoolean()).isTrue();
        assertThat(r.path("results").get(0).path("kind").asText()).isEqualTo("mutation");
        assertThat(r.path("results").get(1).path("kind").asText()).isEqualTo("query");
        assertThat(ids(r.path("results").get(1).path("result"))).containsExactly("tag:bare");
        assertThat(r.path("results").get(2).path("kind").asText()).isEqualTo("query");
    }

    @Test
    void bareStep_unknownOperation_failsAsAStep() {
        JsonNode r = ok("""
                {"steps":[
                  {"resource":"tag","operation":"insert","id":"tag:bare-op","record":{"label":"x"}},
                  {"resource":"tag","operation":"invalid_op","id":"tag:bare-op"}]}""");
        assertThat(r.path("ok").asBoolean(true)).isFalse();
        assertThat(r.path("results")).hasSize(2);
        assertThat(r.path("results").get(1).path("result").path("error").path("code").asText()).isEqualTo("DFQL_UNSUPPORTED");
        assertThat(exists("tag", "tag:bare-op")).isFalse();
    }

    @Test
    void wrappedStep_unknownOperation_isRejectedUpFront() {
        assertError(transact("{\"steps\":[{\"mutation\":{\"resource\":\"tag\",\"operation\":\"invalid_op\",\"id\":\"tag:x\"}}]}"),
                400, "DFQL_UNSUPPORTED", "Unsupported DFQL feature: mutation.operation.invalid_op", "steps[0].mutation.operation");
    }

    @Test
    void invalidSteps_areRejectedWithTheStepPath() {
        assertError(transact("{\"steps\":[{\"query\":{\"resource\":\"goal\"}},{\"mutation\":{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:v\",\"record\":{\"label\":1}}}]}"),
                400, "DFQL_INVALID", "Field 'label' expects string, got number", "steps[1].mutation.record.label");
        assertError(transact("{\"steps\":[{\"query\":{\"resource\":\"nope\"}}]}"),
                400, "DFQL_UNKNOWN_RESOURCE", "Unknown resource: nope", "steps[0].query.resource");
        assertError(transact("{\"steps\":[1]}"), 400, "DFQL_INVALID", "Invalid DFQL: step must be object", "steps[0]");
        assertError(transact("{\"steps\":[{\"id\":\"x\"}]}"), 400, "DFQL_INVALID", "Invalid DFQL: step must be a query or mutation", "steps[0]");
        assertThat(exists("task", "task:v")).isFalse();
    }

    @Test
    void body_withoutStepsArray_isInvalid() {
        assertError(transact("{}"), 400, "DFQL_INVALID", "Invalid DFQL: expected 'steps' array", "steps");
        assertError(transact("{\"steps\":{}}"), 400, "DFQL_INVALID", "Invalid DFQL: expected 'steps' array", "steps");
        assertError(transact("[]"), 400, "DFQL_INVALID", "Invalid DFQL: expected 'steps' array", "steps");
    }

    @Test
    void emptySteps_succeedWithNoResults() {
        assertJson(ok("{\"steps\":[]}"), "{\"ok\":true,\"results\":[]}");
    }

    @Test
    void steps_overConfiguredMaximum_isLimitExceeded() {
        try (TestServer limited = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.limits(Limits.defaults().withMaxTransactSteps(2)))) {
            String q = "{\"query\":{\"resource\":\"goal\"}}";
            Reply r = limited.post("transact", "{\"steps\":[" + q + "," + q + "," + q + "]}");
            assertThat(r.status()).isEqualTo(400);
            assertJson(r.body(), """
                    {"ok":false,"error":{"code":"LIMIT_EXCEEDED","message":"Transaction exceeds maximum steps","details":{"path":"steps","max":2}}}""");
            assertThat(limited.post("transact", "{\"steps\":[" + q + "," + q + "]}").status()).isEqualTo(200);
        }
    }

    @Test
    void steps_overDefaultMaximumOf100_isLimitExceeded() {
        StringBuilder steps = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            steps.append(i == 0 ? "" : ",").append("{\"query\":{\"resource\":\"goal\",\"limit\":1}}");
        }
        Reply r = transact("{\"steps\":[" + steps + "]}");
        assertError(r, 400, "LIMIT_EXCEEDED", "Transaction exceeds maximum steps", "steps");
        assertThat(r.error().path("details").path("max").asInt()).isEqualTo(100);
    }

    @Test
    void keyedStep_replayedWithADifferentPayload_failsTheStepOnMutationId() {
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:tx-mismatch\",\"clientId\":\"c1\",\"mutationId\":\"m-tx-mismatch\",\"record\":{\"label\":\"a\"}}");
        JsonNode r = ok("""
                {"steps":[
                  {"mutation":{"resource":"tag","operation":"insert","id":"tag:tx-mm-other","record":{"label":"o"}}},
                  {"mutation":{"resource":"tag","operation":"merge","id":"tag:tx-mismatch","clientId":"c1","mutationId":"m-tx-mismatch","record":{"label":"b"}}}]}""");
        assertThat(r.path("ok").asBoolean(true)).isFalse();
        JsonNode failed = r.path("results").get(1);
        assertThat(failed.path("ok").asBoolean(true)).isFalse();
        assertThat(failed.path("result").path("error").path("code").asText()).isEqualTo("CONFLICT");
        assertThat(failed.path("result").path("error").path("path").asText()).isEqualTo("mutationId");
        assertThat(failed.path("result").path("errors").get(0).path("retryable").asBoolean(true)).isFalse();
        assertThat(exists("tag", "tag:tx-mm-other")).isFalse();
    }

    @Test
    void keyedStep_replayOfAStoredGuardFailure_isAFailedDedupedStep() {
        String guarded = "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"clientId\":\"c1\","
                + "\"mutationId\":\"m-tx-guard\",\"record\":{\"priority\":7},\"if\":{\"priority\":99}}";
        assertError(s.post("mutation", guarded), 409, "CONFLICT", "Guard condition not met", "if");
        String failed = """
                {"ok":false,"mutationId":"m-tx-guard","affectedIds":[],
                 "errors":[{"code":"CONFLICT","message":"Guard condition not met","path":"if","retryable":false}],"deduped":true,
                 "error":{"code":"CONFLICT","message":"Guard condition not met","path":"if"}}""";
        JsonNode atomic = ok("{\"steps\":[{\"mutation\":{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:tx-guard\","
                + "\"record\":{\"label\":\"g\"}}},{\"mutation\":" + guarded + "}]}");
        assertThat(atomic.path("ok").asBoolean(true)).isFalse();
        assertJson(atomic.path("results").get(1), "{\"kind\":\"mutation\",\"ok\":false,\"result\":" + failed + "}");
        assertThat(exists("tag", "tag:tx-guard")).isFalse();
        JsonNode separate = ok("{\"atomic\":false,\"steps\":[{\"mutation\":" + guarded + "}]}");
        assertJson(separate, "{\"ok\":false,\"results\":[{\"kind\":\"mutation\",\"ok\":false,\"result\":" + failed + "}]}");
    }

    @Test
    void keyedStep_replayedInALaterTransaction_isDeduped() {
        String step = "{\"mutation\":{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:tx-idem\",\"clientId\":\"c1\",\"mutationId\":\"m-tx-idem\",\"record\":{\"label\":\"i\"}}}";
        ok("{\"steps\":[" + step + "]}");
        JsonNode replay = ok("{\"steps\":[" + step + "]}");
        assertThat(replay.path("ok").asBoolean()).isTrue();
        assertThat(replay.path("results").get(0).path("result").path("deduped").asBoolean()).isTrue();
    }
}
