package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.store.StoreTx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.datafn.server.JsonAssert.assertError;
import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Push answers per mutation (PROTOCOL.md "Sync", push): a bad mutation is its own non-retryable error and the others
 * are applied; a record deleted elsewhere is not retryable; a record that never came is retried a bounded number of
 * times, then quarantined; push replace upserts. On SQLite and PostgreSQL.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class PushErrorsBlackBoxTest {
    static final String SCHEMA = """
            {"resources":[
              {"name":"task","version":1,"idPrefix":"task","fields":[
                 {"name":"label","type":"string","required":true,"maxLength":5},
                 {"name":"status","type":"string","enum":["open","done"],"default":"open"},
                 {"name":"dueAt","type":"date","nullable":true}]},
              {"name":"tag","version":1,"fields":[{"name":"name","type":"string"}]}
            ],
            "relations":[{"from":"task","to":"tag","type":"many-many","relation":"tags"}]}
            """;

    @Parameter
    TestDb db;

    TestServer s;

    void start() {
        s = TestServer.start(db, SCHEMA, b -> b.limits(io.datafn.Limits.defaults().withMaxPushAttempts(3)));
    }

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    static String m(String mid, String body) {
        return "{\"clientId\":\"c1\",\"mutationId\":\"" + mid + "\"," + body + "}";
    }

    static String push(String... mutations) {
        return "{\"clientId\":\"c1\",\"mutations\":[" + String.join(",", mutations) + "]}";
    }

    @Test
    void push_oneMutationBreakingAFieldRule_isItsOwnErrorAndTheOthersApply() {
        start();
        TestServer.Reply r = s.post("push", push(
                m("m1", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"ok\"}"),
                m("m2", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:2\",\"record\":{\"label\":\"far too long\"}"),
                m("m3", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:3\",\"record\":{\"label\":\"x\",\"status\":\"nope\"}"),
                m("m4", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:4\",\"record\":{\"label\":\"x\",\"color\":1}"),
                m("m5", "\"resource\":\"ghost\",\"operation\":\"insert\",\"id\":\"g:1\",\"record\":{}"),
                m("m6", "\"resource\":\"task\",\"operation\":\"merge\",\"record\":{\"label\":\"x\"}"),
                m("m7", "\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"nope\":\"tag:1\"}"),
                m("m8", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:8\",\"record\":{\"label\":\"last\"}")));
        assertThat(r.status()).isEqualTo(400);
        JsonNode res = r.result();
        assertJson(res.get("applied"), "[\"m1\",\"m8\"]");
        assertJson(res.get("errors"), """
                [{"mutationId":"m2","code":"DFQL_INVALID","message":"Field 'label' must have at most 5 characters","path":"record.label","retryable":false},
                 {"mutationId":"m3","code":"DFQL_INVALID","message":"Field 'status' must be one of [\\"open\\", \\"done\\"]","path":"record.status","retryable":false},
                 {"mutationId":"m4","code":"DFQL_UNKNOWN_FIELD","message":"Unknown field: color on task","path":"record.color","retryable":false},
                 {"mutationId":"m5","code":"DFQL_UNKNOWN_RESOURCE","message":"Unknown resource: ghost","path":"resource","retryable":false},
                 {"mutationId":"m6","code":"DFQL_INVALID","message":"Invalid DFQL: id must be string","path":"id","retryable":false},
                 {"mutationId":"m7","code":"DFQL_UNKNOWN_RELATION","message":"Unknown relation: nope","path":"relations.nope","retryable":false}]
                """);
        assertThat(res.get("cursor").asText()).isEqualTo("2");
        assertThat(JsonAssert.ids(s.query("{\"resource\":\"task\"}"))).containsExactly("task:1", "task:8");
    }

    @Test
    void push_malformedEnvelope_failsTheWholeRequest() {
        start();
        assertError(s.post("push", "{\"clientId\":\"c1\",\"mutations\":{}}"), 400, "DFQL_INVALID",
                "Invalid DFQL: mutations must be array", "mutations");
        assertError(s.post("push", push(
                        m("m1", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"ok\"}"),
                        "{\"clientId\":\"other\",\"mutationId\":\"m2\",\"resource\":\"ghost\"}")),
                400, "DFQL_INVALID", "Invalid DFQL: push.mutations[1].clientId must equal request.clientId",
                "mutations[1].clientId");
        assertThat(JsonAssert.ids(s.query("{\"resource\":\"task\"}"))).isEmpty();
    }

    @Test
    void push_mergeOfARecordDeletedElsewhere_isNotRetryable() {
        start();
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"a\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:1\"}");
        TestServer.Reply r = s.post("push", push(m("m1", "\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"status\":\"done\"}")));
        assertJson(r.result().get("errors"), "[{\"mutationId\":\"m1\",\"code\":\"NOT_FOUND\",\"message\":\"Record was deleted\",\"path\":\"id\",\"retryable\":false}]");
        // relating to a deleted record too
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:2\",\"record\":{\"label\":\"b\"}}");
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"name\":\"t\"}}");
        s.mutate("{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:1\"}");
        TestServer.Reply rel = s.post("push", push(m("m2", "\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:2\",\"relations\":{\"tags\":\"tag:1\"}")));
        assertJson(rel.result().get("errors"), "[{\"mutationId\":\"m2\",\"code\":\"NOT_FOUND\",\"message\":\"Record was deleted\",\"path\":\"relations.tags\",\"retryable\":false}]");
        // a replay answers the same, deduplicated
        TestServer.Reply again = s.post("push", push(m("m1", "\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"status\":\"done\"}")));
        assertThat(again.result().get("errors").get(0).get("retryable").asBoolean()).isFalse();
    }

    @Test
    void push_recordThatNeverCame_isRetriedBoundedTimesThenQuarantined() {
        start();
        String merge = push(m("m1", "\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:9\",\"record\":{\"status\":\"done\"}"));
        for (int i = 1; i <= 2; i++) {
            JsonNode e = s.post("push", merge).result().get("errors").get(0);
            assertThat(e.get("retryable").asBoolean()).as("attempt %d", i).isTrue();
            assertThat(e.get("message").asText()).isEqualTo("Record not found: task:9");
        }
        JsonNode last = s.post("push", merge).result().get("errors").get(0);
        assertJson(last, "{\"mutationId\":\"m1\",\"code\":\"NOT_FOUND\",\"message\":\"Record not found: task:9 (given up after 3 attempts)\",\"path\":\"id\",\"retryable\":false}");
        JsonNode replay = s.post("push", merge).result().get("errors").get(0);
        assertThat(replay.get("retryable").asBoolean()).isFalse();

        List<StoreTx.Quarantined> q = s.server.store().quarantined("datafn", 10);
        assertThat(q).hasSize(1);
        assertThat(q.get(0).clientId()).isEqualTo("c1");
        assertThat(q.get(0).mutationId()).isEqualTo("m1");
        assertThat(q.get(0).code()).isEqualTo("NOT_FOUND");
        assertThat(q.get(0).attempts()).isEqualTo(3);
        assertThat(q.get(0).payload()).contains("task:9");
        int cleared = s.server.store().clearQuarantine("datafn", "c1", "m1");
        assertThat(cleared).isEqualTo(1);
        assertThat(quarantined()).isEmpty();
    }

    @Test
    void push_recordArrivingBeforeTheBound_isApplied() {
        start();
        String merge = push(m("m1", "\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:9\",\"record\":{\"status\":\"done\"}"));
        assertThat(s.post("push", merge).result().get("errors").get(0).get("retryable").asBoolean()).isTrue();
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:9\",\"record\":{\"label\":\"late\"}}");
        TestServer.Reply ok = s.post("push", merge);
        assertThat(ok.status()).isEqualTo(200);
        assertJson(ok.result().get("applied"), "[\"m1\"]");
        assertThat(quarantined()).isEmpty();
    }

    List<StoreTx.Quarantined> quarantined() {
        return s.server.store().quarantined(null, 10);
    }

    @Test
    void push_replaceOfAMissingRecord_createsIt() {
        start();
        TestServer.Reply r = s.post("push", push(m("m1", "\"resource\":\"task\",\"operation\":\"replace\",\"id\":\"task:5\",\"record\":{\"label\":\"new\"}")));
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        assertJson(r.result().get("applied"), "[\"m1\"]");
        JsonNode row = s.query("{\"resource\":\"task\"}").get("data").get(0);
        assertThat(row.get("label").asText()).isEqualTo("new");
        assertThat(row.get("status").asText()).isEqualTo("open"); // defaults apply
        // the single-mutation route keeps NOT_FOUND for a missing record
        assertError(s.post("mutation", "{\"resource\":\"task\",\"operation\":\"replace\",\"id\":\"task:6\",\"record\":{\"label\":\"x\"}}"),
                404, "NOT_FOUND", "Record not found: task:6", "id");
    }
}
