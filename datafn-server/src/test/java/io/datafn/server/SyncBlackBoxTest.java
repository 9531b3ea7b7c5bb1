package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/** Clone, pull, push, reconcile and seed (reference-sync.md §13, adapted to PROTOCOL.md), on SQLite and PostgreSQL. */
@ParameterizedClass
@EnumSource(TestDb.class)
class SyncBlackBoxTest {
    @Parameter
    TestDb db;

    TestServer s;

    TestServer start() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        return s;
    }

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    static String push(String... mutations) {
        return "{\"clientId\":\"c1\",\"mutations\":[" + String.join(",", mutations) + "]}";
    }

    static String insertTag(String id, String label, String mid) {
        return "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"" + id + "\",\"record\":{\"label\":\"" + label
                + "\"},\"clientId\":\"c1\",\"mutationId\":\"" + mid + "\"}";
    }

    @Test
    void push_firstOnEmptyNamespace_startsAtSeqOneAndReportsCursors() {
        start();
        TestServer.Reply r = s.post("push", push(insertTag("tag:1", "one", "m1")));
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), "{\"ok\":true,\"result\":{\"ok\":true,\"applied\":[\"m1\"],\"errors\":[],\"cursor\":\"1\",\"cursorBefore\":\"0\"}}");
    }

    @Test
    void push_afterAnotherPush_cursorBeforeIsThePreviousCursor() {
        start();
        JsonNode a = s.post("push", push(insertTag("tag:1", "one", "m1"))).result();
        JsonNode b = s.post("push", push(insertTag("tag:2", "two", "m2"))).result();
        assertThat(b.get("cursorBefore").asText()).isEqualTo(a.get("cursor").asText());
        assertThat(b.get("cursor").asLong()).isGreaterThan(b.get("cursorBefore").asLong());
    }

    @Test
    void push_sameBatchTwice_isIdempotentAndRecordsNoNewChanges() {
        start();
        String body = push(insertTag("tag:1", "one", "m-dup"), insertTag("tag:1", "one", "m-dup"));
        JsonNode first = s.post("push", body).result();
        assertThat(first.get("applied")).hasSize(2);
        JsonNode second = s.post("push", body).result();
        assertJson(second.get("applied"), "[\"m-dup\",\"m-dup\"]");
        assertThat(second.get("cursor").asText()).isEqualTo(first.get("cursor").asText());
        assertThat(second.get("cursorBefore").asText()).isEqualTo(first.get("cursor").asText());
        JsonNode pull = s.post("pull", "{\"cursor\":\"0\",\"limit\":100}").result();
        assertThat(pull.get("changes")).hasSize(1);
    }

    @Test
    void push_failedMutation_is400WithResultAndRetryableFlags() {
        start();
        TestServer.Reply r = s.post("push", push("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:missing\",\"record\":{\"priority\":1},\"clientId\":\"c1\",\"mutationId\":\"m1\"}"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body().get("ok").asBoolean()).isFalse();
        assertJson(r.result(), "{\"ok\":false,\"applied\":[],\"errors\":[{\"mutationId\":\"m1\",\"code\":\"NOT_FOUND\",\"message\":\"Record not found: task:missing\",\"path\":\"id\",\"retryable\":true}],\"cursor\":\"0\",\"cursorBefore\":\"0\"}");
        assertThat(s.post("pull", "{\"cursor\":\"0\"}").result().get("changes")).isEmpty();
    }

    @Test
    void push_guardIsHonoured() {
        start();
        s.post("push", push(insertTag("tag:1", "one", "m1")));
        TestServer.Reply r = s.post("push", push("{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:1\",\"record\":{\"label\":\"two\"},\"if\":{\"label\":\"nope\"},\"clientId\":\"c1\",\"mutationId\":\"m2\"}"));
        assertThat(r.status()).isEqualTo(400);
        assertJson(r.result().get("errors"), "[{\"mutationId\":\"m2\",\"code\":\"CONFLICT\",\"message\":\"Guard condition not met\",\"path\":\"if\",\"retryable\":false}]");
        assertThat(s.query("{\"resource\":\"tag\"}").get("data").get(0).get("label").asText()).isEqualTo("one");
    }

    @Test
    void push_replayOfAStoredGuardFailure_reportsTheSameErrorAgain() {
        start();
        s.post("push", push(insertTag("tag:1", "one", "m1")));
        String guarded = push("{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:1\",\"record\":{\"label\":\"two\"},"
                + "\"if\":{\"label\":\"nope\"},\"clientId\":\"c1\",\"mutationId\":\"m2\"}");
        String expected = "{\"ok\":false,\"result\":{\"ok\":false,\"applied\":[],\"errors\":[{\"mutationId\":\"m2\",\"code\":\"CONFLICT\","
                + "\"message\":\"Guard condition not met\",\"path\":\"if\",\"retryable\":false}],\"cursor\":\"1\",\"cursorBefore\":\"1\"},"
                + "\"error\":{\"code\":\"CONFLICT\",\"message\":\"Guard condition not met\",\"details\":{\"path\":\"if\"}}}";
        for (int i = 0; i < 2; i++) {
            TestServer.Reply r = s.post("push", guarded);
            assertThat(r.status()).isEqualTo(400);
            assertJson(r.body(), expected);
        }
        assertThat(s.query("{\"resource\":\"tag\"}").get("data").get(0).get("label").asText()).isEqualTo("one");
    }

    @Test
    void push_validationErrors_arePerMutationWithRelativePaths_envelopeErrorsFailTheRequest() {
        start();
        TestServer.Reply r = s.post("push", "{\"clientId\":\"c1\",\"mutations\":[" + insertTag("tag:1", "a", "m1")
                + ",{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:2\",\"record\":{\"label\":1},\"clientId\":\"c1\",\"mutationId\":\"m2\"}]}");
        assertThat(r.status()).isEqualTo(400);
        assertJson(r.result().get("applied"), "[\"m1\"]");
        assertJson(r.result().get("errors"), "[{\"mutationId\":\"m2\",\"code\":\"DFQL_INVALID\",\"message\":\"Field 'label' expects string, got number\",\"path\":\"record.label\",\"retryable\":false}]");
        assertThat(r.code()).isEqualTo("DFQL_INVALID");
        assertThat(r.path()).isEqualTo("record.label");
        r = s.post("push", "{\"clientId\":\"c1\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"a\"},\"clientId\":\"c2\",\"mutationId\":\"m\"}]}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.message()).isEqualTo("Invalid DFQL: push.mutations[0].clientId must equal request.clientId");
        assertThat(r.path()).isEqualTo("mutations[0].clientId");
        r = s.post("push", "{\"clientId\":\"c1\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.path()).isEqualTo("mutations");
        r = s.post("push", "{\"clientId\":\"c1\",\"mutations\":[{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"unknownRel\":\"x\"},\"clientId\":\"c1\",\"mutationId\":\"m\"}]}");
        assertThat(r.result().get("errors").get(0).get("code").asText()).isEqualTo("DFQL_UNKNOWN_RELATION");
        assertThat(r.result().get("errors").get(0).get("path").asText()).isEqualTo("relations.unknownRel");
        assertThat(r.result().get("errors").get(0).get("retryable").asBoolean()).isFalse();
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 501; i++) {
            many.append(i == 0 ? "" : ",").append(insertTag("tag:" + i, "x", "m" + i));
        }
        r = s.post("push", "{\"clientId\":\"c1\",\"mutations\":[" + many + "]}");
        assertThat(r.message()).isEqualTo("Batch size 501 exceeds limit 500");
        assertThat(r.path()).isEqualTo("mutations");
    }

    @Test
    void push_withoutKeys_reportsAnErrorItem() {
        start();
        TestServer.Reply r = s.post("push", "{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"a\"}}]}");
        assertThat(r.status()).isEqualTo(400);
        assertJson(r.result().get("errors"), "[{\"mutationId\":\"\",\"code\":\"DFQL_INVALID\",\"message\":\"Invalid DFQL: missing clientId or mutationId\",\"path\":\"$\",\"retryable\":false}]");
    }

    @Test
    void push_insertWithoutId_generatesOne() {
        start();
        JsonNode r = s.post("push", "{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"a\"},\"clientId\":\"c1\",\"mutationId\":\"m1\"}]}").result();
        assertThat(r.get("ok").asBoolean()).isTrue();
        assertThat(s.query("{\"resource\":\"tag\"}").get("data").get(0).get("id").asText()).matches("tag:[0-9a-f-]{36}");
    }

    @Test
    void pull_perTable_bucketsCursorsAndJoins() {
        start();
        s.post("push", push(insertTag("tag:1", "one", "m1"),
                "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:1\",\"record\":{\"label\":\"G\"},\"clientId\":\"c1\",\"mutationId\":\"m2\"}",
                "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\"},\"clientId\":\"c1\",\"mutationId\":\"m3\"}",
                "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":{\"$ref\":\"tag:1\",\"order\":1}},\"clientId\":\"c1\",\"mutationId\":\"m4\"}",
                "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"goal\":\"goal:1\"},\"clientId\":\"c1\",\"mutationId\":\"m5\"}"));
        JsonNode r = s.post("pull", "{\"clientId\":\"c1\",\"cursors\":{\"tag\":\"0\",\"goal\":\"0\",\"task\":\"3\",\"join_task_tags_tag\":\"0\",\"__datafn_actor_feed__\":\"0\",\"nope\":\"5\"},\"limit\":100,\"includeJoins\":true}").result();
        assertThat(r.get("ok").asBoolean()).isTrue();
        assertThat(r.get("records").get("tag").get(0).get("id").asText()).isEqualTo("tag:1");
        assertThat(r.get("records").get("goal").get(0).get("label").asText()).isEqualTo("G");
        assertThat(r.get("records").get("task")).isEmpty();
        assertJson(r.get("merged"), "{\"task\":[{\"id\":\"task:1\",\"goalId\":\"goal:1\"}]}");
        assertJson(r.get("joins").get("join_task_tags_tag").get("upsert"), "[{\"id\":\"task:1:tag:1\",\"from\":\"task:1\",\"to\":\"tag:1\",\"order\":1,\"addedAt\":null}]");
        assertJson(r.get("cursors"), "{\"tag\":\"1\",\"goal\":\"2\",\"task\":\"5\",\"join_task_tags_tag\":\"4\",\"__datafn_actor_feed__\":\"0\",\"nope\":\"5\"}");
        assertJson(r.get("deleted"), "{\"tag\":[],\"goal\":[],\"task\":[],\"nope\":[]}");
        assertThat(r.get("records").get("nope")).isEmpty();
        assertThat(r.get("hasMore").asBoolean()).isFalse();
    }

    @Test
    void pull_deleteThenReinsertInOnePage_isARecordNotADeletion() {
        start();
        s.post("push", push(insertTag("tag:1", "one", "m1"),
                "{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:1\",\"clientId\":\"c1\",\"mutationId\":\"m2\"}",
                insertTag("tag:1", "again", "m3")));
        JsonNode r = s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}").result();
        assertJson(r.get("records").get("tag"), "[{\"id\":\"tag:1\",\"label\":\"again\"}]");
        assertThat(r.get("deleted").get("tag")).isEmpty();
        s.post("push", push("{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:1\",\"record\":{\"label\":\"merged\"},\"clientId\":\"c1\",\"mutationId\":\"m4\"}",
                "{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:1\",\"clientId\":\"c1\",\"mutationId\":\"m5\"}"));
        r = s.post("pull", "{\"cursors\":{\"tag\":\"3\"}}").result();
        assertThat(r.has("merged")).isFalse();
        assertJson(r.get("deleted").get("tag"), "[\"tag:1\"]");
    }

    @Test
    void pull_mergeAfterInsertInOnePage_foldsIntoTheRecord() {
        start();
        s.post("push", push(insertTag("tag:1", "one", "m1"),
                "{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:1\",\"record\":{\"label\":\"updated\"},\"clientId\":\"c1\",\"mutationId\":\"m2\"}"));
        JsonNode r = s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}").result();
        assertJson(r.get("records").get("tag"), "[{\"id\":\"tag:1\",\"label\":\"updated\"}]");
        r = s.post("pull", "{\"cursors\":{\"tag\":\"1\"}}").result();
        assertJson(r.get("merged").get("tag"), "[{\"id\":\"tag:1\",\"label\":\"updated\"}]");
        assertThat(r.get("records").get("tag")).isEmpty();
    }

    @Test
    void pull_limitPagesWithHasMoreAndCapsAtMaxPullLimit() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.limits(Limits.defaults().withMaxPullLimit(20)));
        List<String> inserts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            inserts.add(insertTag(String.format("tag:%02d", i), "t" + i, "m" + i));
        }
        s.post("push", push(inserts.toArray(String[]::new)));
        JsonNode r = s.post("pull", "{\"cursors\":{\"tag\":\"0\"},\"limit\":5000}").result();
        assertThat(r.get("records").get("tag")).hasSize(20);
        assertThat(r.get("hasMore").asBoolean()).isTrue();
        assertThat(r.get("cursors").get("tag").asText()).isEqualTo("20");
        int seen = 20;
        String cursor = "20";
        while (r.get("hasMore").asBoolean()) {
            r = s.post("pull", "{\"cursors\":{\"tag\":\"" + cursor + "\"},\"limit\":15}").result();
            seen += r.get("records").get("tag").size();
            cursor = r.get("cursors").get("tag").asText();
        }
        assertThat(seen).isEqualTo(50);
        assertThat(cursor).isEqualTo("50");
    }

    @Test
    void pull_validationErrors_areHttp200WithResultOkFalse() {
        start();
        TestServer.Reply r = s.post("pull", "{\"cursors\":{\"tag\":\"not-an-int\"}}");
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), "{\"ok\":true,\"result\":{\"ok\":false,\"records\":{},\"deleted\":{},\"cursors\":{},\"error\":{\"code\":\"DFQL_INVALID\",\"message\":\"Invalid DFQL: cursor must be an integer string\",\"details\":{\"path\":\"cursors.tag\"}}}}");
        r = s.post("pull", "{\"cursor\":5}");
        assertThat(r.result().get("error").get("details").get("path").asText()).isEqualTo("cursors");
        r = s.post("pull", "{\"cursor\":\"x\"}");
        assertThat(r.result().get("error").get("message").asText()).contains("cursor must be an integer string");
        r = s.post("pull", "{\"cursors\":{},\"limit\":0}");
        assertThat(r.result().get("error").get("details").get("path").asText()).isEqualTo("limit");
        r = s.post("pull", "{\"clientId\":\"\",\"cursors\":{}}");
        assertThat(r.result().get("error").get("details").get("path").asText()).isEqualTo("clientId");
        r = s.post("pull", "{bad");
        assertThat(r.status()).isEqualTo(400);
    }

    @Test
    void pull_global_pagesWithNextCursorAndNormalisesOps() {
        start();
        s.post("push", push(insertTag("tag:1", "a", "m1"), insertTag("tag:2", "b", "m2"), insertTag("tag:3", "c", "m3")));
        JsonNode p1 = s.post("pull", "{\"clientId\":\"c1\",\"cursor\":\"0\",\"limit\":2}").result();
        assertThat(p1.get("changes")).hasSize(2);
        assertThat(p1.get("changes").get(0).get("op").asText()).isEqualTo("upsert");
        assertThat(p1.get("changes").get(0).get("serverSeq").asLong()).isEqualTo(1);
        assertThat(p1.get("nextCursor").asText()).isEqualTo("2");
        JsonNode p2 = s.post("pull", "{\"clientId\":\"c1\",\"cursor\":\"2\",\"limit\":2}").result();
        assertThat(p2.get("changes").get(0).get("id").asText()).isEqualTo("tag:3");
        assertThat(p2.get("nextCursor").asText()).isEqualTo("3");
        JsonNode p3 = s.post("pull", "{\"clientId\":\"c1\",\"cursor\":\"3\",\"limit\":2}").result();
        assertJson(p3, "{\"ok\":true,\"changes\":[],\"nextCursor\":null}");
    }

    @Test
    void clone_returnsRowsInIdOrderWithCursorsAndJoins() {
        start();
        s.post("push", push(insertTag("tag:2", "b", "m1"), insertTag("tag:1", "a", "m2"),
                "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\"},\"clientId\":\"c1\",\"mutationId\":\"m3\"}",
                "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":[\"tag:1\",\"tag:2\"]},\"clientId\":\"c1\",\"mutationId\":\"m4\"}"));
        JsonNode r = s.post("clone", "{\"clientId\":\"c1\",\"tables\":[\"tag\",\"goal\"],\"includeJoins\":true}").result();
        assertThat(r.get("ok").asBoolean()).isTrue();
        assertJson(r.get("data"), "{\"tag\":[{\"id\":\"tag:1\",\"label\":\"a\"},{\"id\":\"tag:2\",\"label\":\"b\"}],\"goal\":[]}");
        assertJson(r.get("cursors"), "{\"tag\":\"2\",\"goal\":\"0\"}");
        assertThat(r.get("joins").get("join_task_tags_tag")).hasSize(2);
        assertThat(r.has("next")).isFalse();
    }

    @Test
    void clone_paged_followsNext() {
        start();
        s.post("push", push(insertTag("tag:1", "a", "m1"), insertTag("tag:2", "b", "m2"), insertTag("tag:3", "c", "m3")));
        JsonNode r = s.post("clone", "{\"tables\":[\"tag\",\"goal\"],\"page\":{\"table\":\"tag\",\"afterId\":null,\"limit\":2}}").result();
        assertThat(r.get("data").get("tag")).hasSize(2);
        assertJson(r.get("next"), "{\"tag\":\"tag:2\"}");
        r = s.post("clone", "{\"tables\":[\"tag\"],\"page\":{\"table\":\"tag\",\"afterId\":\"tag:2\",\"limit\":2}}").result();
        assertJson(r.get("data"), "{\"tag\":[{\"id\":\"tag:3\",\"label\":\"c\"}]}");
        assertJson(r.get("next"), "{\"tag\":null}");
    }

    @Test
    void clone_validationErrors_are400() {
        start();
        TestServer.Reply r = s.post("clone", "{\"tables\":[\"vector\"]}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("DFQL_UNKNOWN_RESOURCE");
        assertThat(r.path()).isEqualTo("tables");
        r = s.post("clone", "{\"tables\":[\"task\"],\"page\":{\"table\":\"tag\",\"limit\":2}}");
        assertThat(r.message()).isEqualTo("Invalid DFQL: page.table must be in tables list: tag");
        assertThat(r.path()).isEqualTo("page.table");
        r = s.post("clone", "{\"clientId\":7}");
        assertThat(r.path()).isEqualTo("clientId");
    }

    @Test
    void clone_withoutTables_includesEveryResourceAndKv() {
        start();
        JsonNode r = s.post("clone", "{}").result();
        assertThat(r.get("data").has("kv")).isTrue();
        assertThat(r.get("data").has("task")).isTrue();
    }

    @Test
    void reconcile_bothForms() {
        start();
        s.post("push", push(insertTag("tag:1", "a", "m1"), insertTag("tag:2", "b", "m2"), insertTag("tag:3", "c", "m3")));
        JsonNode r = s.post("reconcile", "{\"clientId\":\"c1\",\"resources\":[\"tag\",\"task\"],\"includeJoins\":true}").result();
        assertJson(r, "{\"ok\":true,\"counts\":{\"tag\":3,\"task\":0},\"joinCounts\":{\"join_task_tags_tag\":0},\"latestCursor\":\"3\"}");
        r = s.post("reconcile", "{\"counts\":{\"tag\":2,\"goal\":0}}").result();
        assertJson(r, "{\"ok\":true,\"counts\":{\"tag\":3,\"goal\":0},\"latestCursor\":\"3\",\"drift\":{\"tag\":{\"client\":2,\"server\":3}}}");
        r = s.post("reconcile", "{\"counts\":{\"tag\":3}}").result();
        assertJson(r.get("drift"), "{}");
        TestServer.Reply bad = s.post("reconcile", "{\"resources\":[\"unknown\"]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.message()).isEqualTo("Unknown resource: unknown");
        assertThat(bad.path()).isEqualTo("resources[0]");
        bad = s.post("reconcile", "{\"counts\":{\"nope\":1}}");
        assertThat(bad.code()).isEqualTo("DFQL_UNKNOWN_RESOURCE");
        assertThat(bad.path()).isEqualTo("counts.nope");
    }

    @Test
    void seed_markerAndData() {
        start();
        assertJson(s.post("seed", "{\"clientId\":\"client:device-1\"}").body(), "{\"ok\":true,\"result\":{\"ok\":true}}");
        assertJson(s.post("seed", "{}").body(), "{\"ok\":true,\"result\":{\"ok\":true}}");
        // a JSON null clientId is an absent one (docs/PROTOCOL-NOTES.md), on every sync route
        assertJson(s.post("seed", "{\"clientId\":null}").body(), "{\"ok\":true,\"result\":{\"ok\":true}}");
        assertThat(s.post("pull", "{\"clientId\":null,\"cursors\":{\"goal\":\"0\"}}").result().path("ok").asBoolean()).isTrue();
        assertThat(s.post("clone", "{\"clientId\":null,\"tables\":[\"goal\"]}").status()).isEqualTo(200);
        assertThat(s.post("reconcile", "{\"clientId\":null,\"resources\":[\"goal\"]}").status()).isEqualTo(200);
        assertThat(s.post("push", "{\"clientId\":null,\"mutations\":[]}").status()).isEqualTo(200);
        TestServer.Reply bad = s.post("seed", "{\"clientId\":123}");
        assertJson(bad.body(), "{\"ok\":false,\"error\":{\"code\":\"DFQL_INVALID\",\"message\":\"Invalid DFQL: clientId must be string\",\"details\":{\"path\":\"clientId\"}}}");
        String data = "{\"data\":{\"goal\":[{\"id\":\"goal:s1\",\"label\":\"Seeded\"},{\"label\":\"No id\"}]}}";
        assertJson(s.post("seed", data).result(), "{\"ok\":true,\"seeded\":{\"goal\":2}}");
        JsonNode again = s.post("seed", "{\"data\":{\"goal\":[{\"id\":\"goal:s1\",\"label\":\"Seeded\"}]}}").result();
        assertJson(again, "{\"ok\":true,\"seeded\":{\"goal\":0}}");
        JsonNode rows = s.query("{\"resource\":\"goal\",\"filters\":{\"id\":\"goal:s1\"}}").get("data");
        assertJson(rows, "[{\"id\":\"goal:s1\",\"label\":\"Seeded\",\"status\":null,\"isArchived\":false}]");
        JsonNode pull = s.post("pull", "{\"cursors\":{\"goal\":\"0\"}}").result();
        assertThat(pull.get("records").get("goal")).hasSize(2);
        bad = s.post("seed", "{\"data\":{\"goal\":[{\"id\":\"goal:x\",\"label\":5}]}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.path()).isEqualTo("data.goal[0].label");
        bad = s.post("seed", "{\"data\":{\"nope\":[]}}");
        assertThat(bad.code()).isEqualTo("DFQL_UNKNOWN_RESOURCE");
        assertThat(bad.path()).isEqualTo("data.nope");
        bad = s.post("seed", "{\"data\":{\"goal\":[{\"id\":\"goal:ok\",\"label\":\"fine\"},{\"id\":\"goal:bad\"}]}}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(s.query("{\"resource\":\"goal\",\"filters\":{\"id\":\"goal:ok\"}}").get("data")).isEmpty();
    }

    @Test
    void mutationAndTransact_recordChangesThatPullReturns() {
        start();
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"a\"}}");
        s.post("transact", "{\"steps\":[{\"mutation\":{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:2\",\"record\":{\"label\":\"b\"}}}]}");
        s.post("transact", "{\"steps\":[{\"mutation\":{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:3\",\"record\":{\"label\":\"c\"}}},{\"mutation\":{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"dup\"}}}]}");
        JsonNode r = s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}").result();
        assertThat(r.get("records").get("tag")).hasSize(2);
        assertThat(r.get("cursors").get("tag").asText()).isEqualTo("2");
    }

    @Test
    void status_advertisesSyncCapabilities() {
        start();
        assertJson(s.get("status").result().get("capabilities"), "[\"dfql.query\",\"dfql.mutation\",\"dfql.transact\",\"sync.seed\",\"sync.clone\",\"sync.pull\",\"sync.push\",\"sync.reconcile\"]");
    }
}
