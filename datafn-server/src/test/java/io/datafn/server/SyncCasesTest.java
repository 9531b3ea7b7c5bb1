package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.auth.AuthContext;
import io.datafn.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The black-box cases of reference-sync.md §13 (and the push/pull details of PROTOCOL.md) that
 * {@link SyncBlackBoxTest}, {@link NamespaceIsolationTest}, {@link SeqVisibilityTest} and {@link ClientScenarioTest}
 * do not already cover, adapted to PROTOCOL.md where it decides differently; on SQLite and PostgreSQL.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class SyncCasesTest {
    /** Case 8's schema: a many-many relation with a text metadata column. */
    static final String NODE_SCHEMA = """
            {"resources": [
               {"name": "node", "version": 1, "idPrefix": "node:", "fields": [{"name": "name", "type": "string", "nullable": true}]},
               {"name": "property", "version": 1, "idPrefix": "property:", "fields": [{"name": "name", "type": "string", "nullable": true}]}],
             "relations": [
               {"from": "node", "to": "property", "type": "many-many", "relation": "properties", "inverse": "nodes",
                "metadata": [{"name": "value", "type": "string"}]}]}
            """;

    /** Delete policies: items cascade with their list, notes lose their item, badges are joined to items. */
    static final String CASCADE_SCHEMA = """
            {"resources": [
               {"name": "list", "version": 1, "idPrefix": "list:", "fields": [{"name": "name", "type": "string"}]},
               {"name": "item", "version": 1, "idPrefix": "item:", "fields": [
                 {"name": "name", "type": "string"}, {"name": "listId", "type": "string", "nullable": true}]},
               {"name": "note", "version": 1, "idPrefix": "note:", "fields": [
                 {"name": "text", "type": "string"}, {"name": "itemId", "type": "string", "nullable": true}]},
               {"name": "badge", "version": 1, "idPrefix": "badge:", "fields": [{"name": "name", "type": "string"}]}],
             "relations": [
               {"from": "item", "to": "list", "type": "many-one", "relation": "list", "inverse": "items", "fkField": "listId", "onDelete": "cascade"},
               {"from": "note", "to": "item", "type": "many-one", "relation": "item", "inverse": "notes", "fkField": "itemId", "onDelete": "setNull"},
               {"from": "item", "to": "badge", "type": "many-many", "relation": "badges", "inverse": "items"}]}
            """;

    static final String ALL_F1_CURSORS = "\"goal\":\"%1$s\",\"task\":\"%1$s\",\"tag\":\"%1$s\",\"join_task_tags_tag\":\"%1$s\"";

    @Parameter
    TestDb db;

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    TestServer start() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        return s;
    }

    /** A server whose namespace is the {@code X-Ns} header. */
    TestServer startWithHeaderNamespaces() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns")));
        return s;
    }

    TestServer.Reply post(String ns, String endpoint, String body) {
        return s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + endpoint))
                .header("Content-Type", "application/json").header("X-Ns", ns)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** A mutation of client {@code clientId}: {@code json} is the mutation without its keys. */
    static String mut(String clientId, String mutationId, String json) {
        ObjectNode m = (ObjectNode) Json.parse(json);
        m.put("clientId", clientId).put("mutationId", mutationId);
        return Json.text(m);
    }

    static String mut(String mutationId, String json) {
        return mut("c1", mutationId, json);
    }

    static String pushAs(String clientId, String... mutations) {
        return "{\"clientId\":\"" + clientId + "\",\"mutations\":[" + String.join(",", mutations) + "]}";
    }

    static String push(String... mutations) {
        return pushAs("c1", mutations);
    }

    static String insertTag(String id, String label, String mid) {
        return mut(mid, "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"" + id + "\",\"record\":{\"label\":\"" + label + "\"}}");
    }

    static String insertTask(String id, String label, String mid) {
        return mut(mid, "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"" + id + "\",\"record\":{\"label\":\"" + label + "\"}}");
    }

    /** Posts a push that must succeed completely; returns its result. */
    JsonNode pushOk(String body) {
        TestServer.Reply r = s.post("push", body);
        assertThat(r.status()).as("push %s", r.body()).isEqualTo(200);
        assertThat(r.result().get("errors")).as("push errors").isEmpty();
        return r.result();
    }

    /** Every change row of the namespace, through the legacy global pull. */
    JsonNode changes() {
        return s.post("pull", "{\"cursor\":\"0\",\"limit\":1000}").result().get("changes");
    }

    /** A per-table pull of the F1 tables and join key from one cursor, joins included. */
    JsonNode pullF1(long cursor) {
        JsonNode r = s.post("pull", "{\"clientId\":\"b\",\"cursors\":{" + String.format(ALL_F1_CURSORS, cursor)
                + "},\"limit\":100,\"includeJoins\":true}").result();
        assertThat(r.get("ok").asBoolean()).as("pull %s", r).isTrue();
        return r;
    }

    Connection jdbc() throws SQLException {
        return DriverManager.getConnection(s.jdbcUrl);
    }

    // ------------------------------------------------------------------------------------------------ push

    @Test
    void push_relate_consumesASeq() {
        // case 4
        start();
        pushOk(push(insertTask("task:1", "T", "m1"), insertTag("tag:1", "one", "m2")));
        JsonNode r = pushOk(push(mut("m3", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":{\"$ref\":\"tag:1\",\"order\":1}}}")));
        assertThat(r.get("ok").asBoolean()).isTrue();
        assertThat(r.get("cursorBefore").asText()).isEqualTo("2");
        assertThat(r.get("cursor").asText()).isEqualTo("3");
    }

    @Test
    void push_relateWithMetadata_storesTheJoinRowAndRecordsAJoinChange() {
        // case 8
        s = TestServer.start(db, NODE_SCHEMA);
        pushOk(push(mut("m0", "{\"resource\":\"node\",\"operation\":\"insert\",\"id\":\"node:1\",\"record\":{}}"),
                mut("m00", "{\"resource\":\"property\",\"operation\":\"insert\",\"id\":\"property:1\",\"record\":{}}")));
        JsonNode r = pushOk(push(mut("m-1", "{\"resource\":\"node\",\"operation\":\"relate\",\"id\":\"node:1\",\"relations\":{\"properties\":{\"$ref\":\"property:1\",\"value\":\"v\"}}}")));
        assertJson(r.get("applied"), "[\"m-1\"]");
        JsonNode clone = s.post("clone", "{\"tables\":[\"node\"],\"includeJoins\":true}").result();
        assertJson(clone.get("joins"), "{\"join_node_properties_property\":[{\"id\":\"node:1:property:1\",\"from\":\"node:1\",\"to\":\"property:1\",\"value\":\"v\"}]}");
        List<String> resources = new ArrayList<>();
        changes().forEach(c -> resources.add(c.get("resource").asText()));
        assertThat(resources).containsExactly("node", "property", "join_node_properties_property");
    }

    @Test
    void push_sameRelateTwice_isAppliedTwiceWithNoNewChangeRows() {
        // case 10
        start();
        pushOk(push(insertTask("task:1", "T", "m1"), insertTag("tag:1", "one", "m2"),
                mut("m3", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:1\",\"record\":{\"label\":\"G\"}}")));
        String relate = push(
                mut("r1", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":{\"$ref\":\"tag:1\",\"order\":1}}}"),
                mut("r2", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"goal\":\"goal:1\"}}"));
        JsonNode first = pushOk(relate);
        int rows = changes().size();
        JsonNode second = pushOk(relate);
        assertJson(first.get("applied"), "[\"r1\",\"r2\"]");
        assertJson(second.get("applied"), "[\"r1\",\"r2\"]");
        assertThat(changes()).hasSize(rows);
        assertThat(second.get("cursor").asText()).isEqualTo(first.get("cursor").asText());
        assertThat(s.post("reconcile", "{\"resources\":[\"task\"],\"includeJoins\":true}").result().get("joinCounts").get("join_task_tags_tag").asLong())
                .isEqualTo(1);
    }

    @Test
    void push_cursorsAreOmitted_cursorIsTheLastAssignedSeq() {
        // cases 24, 25: PROTOCOL.md omits push `cursors`; the per-table pull gives each table its seq instead
        start();
        JsonNode r = pushOk(push(insertTag("tag:1", "one", "m1"),
                mut("m2", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:1\",\"record\":{\"label\":\"G\"}}")));
        assertJson(r, "{\"ok\":true,\"applied\":[\"m1\",\"m2\"],\"errors\":[],\"cursor\":\"2\",\"cursorBefore\":\"0\"}");
        JsonNode pull = s.post("pull", "{\"cursors\":{\"tag\":\"0\",\"goal\":\"0\"}}").result();
        assertJson(pull.get("cursors"), "{\"tag\":\"1\",\"goal\":\"2\"}");
    }

    @Test
    void push_concurrentMergesCreatingOneRecord_allSucceed() throws Exception {
        // case 36: a merge that finds no row creates it; when a concurrent write created it first, it merges into it
        start();
        int ids = 12;
        int writers = 4;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            for (int i = 0; i < ids; i++) {
                String id = "task:race" + i;
                CyclicBarrier barrier = new CyclicBarrier(writers);
                List<Future<TestServer.Reply>> replies = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    String client = "w" + w;
                    String body = pushAs(client, mut(client, "m" + i, "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"" + id
                            + "\",\"record\":{\"label\":\"from " + client + "\",\"priority\":" + w + "}}"));
                    replies.add(pool.submit(() -> {
                        barrier.await(30, TimeUnit.SECONDS);
                        return s.post("push", body);
                    }));
                }
                for (Future<TestServer.Reply> f : replies) {
                    TestServer.Reply r = f.get(60, TimeUnit.SECONDS);
                    assertThat(r.status()).as("merge of %s: %s", id, r.body()).isEqualTo(200);
                    assertThat(r.result().get("applied")).hasSize(1);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(s.post("reconcile", "{\"resources\":[\"task\"]}").result().get("counts").get("task").asLong()).isEqualTo(ids);
        // per id: one insert (the creating merge) and one merge per other writer
        JsonNode pull = s.post("pull", "{\"cursor\":\"0\",\"limit\":1000}").result();
        assertThat(pull.get("changes")).hasSize(ids * writers);
    }

    @Test
    void push_mergesFromTwoClients_lastProcessedWinsWhateverTheClientTimestamps() {
        // case 37
        start();
        pushOk(push(insertTask("task:1", "T", "m1")));
        pushOk(pushAs("c1", mut("c1", "ma", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"title\":\"A\"},\"context\":{\"clientTimestampMs\":2000}}")));
        pushOk(pushAs("c2", mut("c2", "mb", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"title\":\"B\"},\"context\":{\"clientTimestampMs\":1000}}")));
        assertThat(s.query("{\"resource\":\"task\"}").get("data").get(0).get("title").asText()).isEqualTo("B");
    }

    @Test
    void push_emptyMutations_isAnEmptySuccess_aBadClientIdIsRejected() {
        // case 41: PROTOCOL.md makes the push envelope's clientId optional, so {"mutations":[]} is a valid no-op
        start();
        pushOk(push(insertTag("tag:1", "one", "m1")));
        TestServer.Reply r = s.post("push", "{\"mutations\":[]}");
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), "{\"ok\":true,\"result\":{\"ok\":true,\"applied\":[],\"errors\":[],\"cursor\":\"1\",\"cursorBefore\":\"1\"}}");
        r = s.post("push", "{\"clientId\":5,\"mutations\":[]}");
        JsonAssert.assertError(r, 400, "DFQL_INVALID", "Invalid DFQL: clientId must be string", "clientId");
    }

    @Test
    void push_sameMergeTwice_appliesItOnce() {
        // case 64
        start();
        pushOk(push(mut("m0", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:1\",\"record\":{\"label\":\"Goal 1\"}}")));
        String body = push(mut("m-push-1", "{\"resource\":\"goal\",\"operation\":\"merge\",\"id\":\"goal:1\",\"record\":{\"label\":\"Goal 1 Push\"}}"));
        JsonNode first = pushOk(body);
        JsonNode second = pushOk(body);
        assertJson(first, "{\"ok\":true,\"applied\":[\"m-push-1\"],\"errors\":[],\"cursor\":\"2\",\"cursorBefore\":\"1\"}");
        assertJson(second, "{\"ok\":true,\"applied\":[\"m-push-1\"],\"errors\":[],\"cursor\":\"2\",\"cursorBefore\":\"2\"}");
        assertThat(s.query("{\"resource\":\"goal\"}").get("data").get(0).get("label").asText()).isEqualTo("Goal 1 Push");
        assertThat(changes()).hasSize(2);
    }

    @Test
    void push_foreignClientIdInALaterMutation_rejectsTheWholePush() {
        // case 68
        start();
        TestServer.Reply r = s.post("push", push(insertTag("tag:1", "one", "m1"),
                mut("c2", "m2", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:2\",\"record\":{\"label\":\"two\"}}")));
        JsonAssert.assertError(r, 400, "DFQL_INVALID", "Invalid DFQL: push.mutations[1].clientId must equal request.clientId",
                "mutations[1].clientId");
        assertThat(s.query("{\"resource\":\"tag\"}").get("data")).isEmpty();
        assertThat(changes()).isEmpty();
    }

    @Test
    void push_sameKeyWithADifferentPayload_isANonRetryableConflictAndChangesNothing() {
        // PROTOCOL.md "Idempotency": a replay with another payload is CONFLICT at mutationId, also inside one batch
        start();
        pushOk(push(insertTag("tag:1", "one", "m1")));
        TestServer.Reply r = s.post("push", push(insertTag("tag:1", "changed", "m1")));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.result().get("applied")).isEmpty();
        JsonNode e = r.result().get("errors").get(0);
        assertThat(e.get("mutationId").asText()).isEqualTo("m1");
        assertThat(e.get("code").asText()).isEqualTo("CONFLICT");
        assertThat(e.get("path").asText()).isEqualTo("mutationId");
        assertThat(e.get("retryable").asBoolean()).isFalse();
        assertThat(r.result().get("cursor").asText()).isEqualTo("1");

        r = s.post("push", push(insertTag("tag:2", "two", "m2"), insertTag("tag:3", "three", "m2")));
        assertThat(r.status()).isEqualTo(400);
        assertJson(r.result().get("applied"), "[\"m2\"]");
        e = r.result().get("errors").get(0);
        assertThat(e.get("mutationId").asText()).isEqualTo("m2");
        assertThat(e.get("code").asText()).isEqualTo("CONFLICT");
        assertThat(e.get("path").asText()).isEqualTo("mutationId");
        assertThat(e.get("retryable").asBoolean()).isFalse();

        assertJson(s.query("{\"resource\":\"tag\"}").get("data"), "[{\"id\":\"tag:1\",\"label\":\"one\"},{\"id\":\"tag:2\",\"label\":\"two\"}]");
        assertThat(changes()).hasSize(2);
    }

    @Test
    void push_insertWithoutId_replayedBatch_createsOneRecordThatPullCarries() {
        // README form of insert (PROTOCOL.md Fixes 8): the generated id reaches other clients through pull
        start();
        String body = push(mut("m1", "{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"no id\"}}"));
        pushOk(body);
        assertJson(pushOk(body).get("applied"), "[\"m1\"]");
        JsonNode rows = s.query("{\"resource\":\"tag\"}").get("data");
        assertThat(rows).hasSize(1);
        JsonNode pulled = s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}").result().get("records").get("tag");
        assertJson(pulled, "[" + Json.text(rows.get(0)) + "]");
        assertThat(changes()).hasSize(1);
    }

    @Test
    void push_deleteOfAMissingRecord_isAppliedWithoutAChange() {
        start();
        pushOk(push(insertTag("tag:1", "one", "m1")));
        JsonNode r = pushOk(push(mut("m2", "{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:missing\"}")));
        assertJson(r, "{\"ok\":true,\"applied\":[\"m2\"],\"errors\":[],\"cursor\":\"1\",\"cursorBefore\":\"1\"}");
        assertThat(changes()).hasSize(1);
    }

    @Test
    void push_insertOfAnExistingId_sameValuesIsApplied_otherValuesAreARetryableConflict() {
        start();
        pushOk(push(mut("m1", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\",\"priority\":2,\"dueAt\":\"2026-01-10\"}}")));
        JsonNode same = pushOk(push(mut("m2", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\",\"priority\":2,\"dueAt\":\"2026-01-10T00:00:00.000Z\"}}")));
        assertJson(same, "{\"ok\":true,\"applied\":[\"m2\"],\"errors\":[],\"cursor\":\"1\",\"cursorBefore\":\"1\"}");
        TestServer.Reply other = s.post("push", push(mut("m3", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\",\"priority\":3}}")));
        assertThat(other.status()).isEqualTo(400);
        assertJson(other.result().get("errors"), "[{\"mutationId\":\"m3\",\"code\":\"CONFLICT\",\"message\":\"Record already exists\",\"path\":\"id\",\"retryable\":true}]");
        assertThat(changes()).hasSize(1);
        assertThat(s.query("{\"resource\":\"task\"}").get("data").get(0).get("priority").asInt()).isEqualTo(2);
    }

    @Test
    void push_failedMutation_bodyCarriesOkFalseResultAndTheFirstError() {
        start();
        TestServer.Reply r = s.post("push", push(insertTag("tag:1", "one", "m1"),
                mut("m2", "{\"resource\":\"tag\",\"operation\":\"merge\",\"id\":\"tag:missing\",\"record\":{}}"),
                mut("m3", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:missing\",\"record\":{\"priority\":1}}")));
        assertThat(r.status()).isEqualTo(400);
        assertJson(r.body(), """
                {"ok": false,
                 "result": {"ok": false, "applied": ["m1"], "cursor": "1", "cursorBefore": "0",
                            "errors": [{"mutationId": "m2", "code": "NOT_FOUND", "message": "Record not found: tag:missing", "path": "id", "retryable": true},
                                       {"mutationId": "m3", "code": "NOT_FOUND", "message": "Record not found: task:missing", "path": "id", "retryable": true}]},
                 "error": {"code": "NOT_FOUND", "message": "Record not found: tag:missing", "details": {"path": "id"}}}
                """);
    }

    @Test
    void push_tenConcurrentClients_allAppliedWithDistinctCursors() throws Exception {
        // case 57
        start();
        ExecutorService pool = Executors.newFixedThreadPool(10);
        List<Future<TestServer.Reply>> replies = new ArrayList<>();
        try {
            CyclicBarrier barrier = new CyclicBarrier(10);
            for (int i = 0; i < 10; i++) {
                String client = "client-" + i;
                String body = pushAs(client, mut(client, "m1", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:c" + i + "\",\"record\":{\"label\":\"x\"}}"));
                replies.add(pool.submit(() -> {
                    barrier.await(30, TimeUnit.SECONDS);
                    return s.post("push", body);
                }));
            }
            Set<Long> cursors = new HashSet<>();
            for (Future<TestServer.Reply> f : replies) {
                TestServer.Reply r = f.get(60, TimeUnit.SECONDS);
                assertThat(r.status()).as("push %s", r.body()).isEqualTo(200);
                assertThat(r.result().get("ok").asBoolean()).isTrue();
                cursors.add(r.result().get("cursor").asLong());
            }
            assertThat(cursors).hasSize(10).allMatch(c -> c >= 1 && c <= 10);
        } finally {
            pool.shutdownNow();
        }
        assertThat(s.query("{\"resource\":\"tag\"}").get("data")).hasSize(10);
    }

    @Test
    void push_sameBatchConcurrentlyAndSerially_insertsOneRowAndAlwaysReportsItApplied() throws Exception {
        // case 58
        start();
        String body = push(insertTag("tag:once", "x", "m-once"));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CyclicBarrier barrier = new CyclicBarrier(2);
            List<Future<TestServer.Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                replies.add(pool.submit(() -> {
                    barrier.await(30, TimeUnit.SECONDS);
                    return s.post("push", body);
                }));
            }
            for (Future<TestServer.Reply> f : replies) {
                TestServer.Reply r = f.get(60, TimeUnit.SECONDS);
                assertThat(r.status()).as("push %s", r.body()).isEqualTo(200);
                assertJson(r.result().get("applied"), "[\"m-once\"]");
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < 5; i++) {
            assertJson(pushOk(body).get("applied"), "[\"m-once\"]");
        }
        assertThat(s.query("{\"resource\":\"tag\"}").get("data")).hasSize(1);
        assertThat(changes()).hasSize(1);
    }

    // ------------------------------------------------------------------------------------------------ pull

    @Test
    void pull_global_invalidCursor_isHttp200WithTheErrorInResult() {
        // cases 7, 14
        start();
        TestServer.Reply r = s.post("pull", "{\"clientId\":\"c1\",\"cursor\":\"invalid\"}");
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), """
                {"ok": true, "result": {"ok": false, "changes": [], "nextCursor": null,
                 "error": {"code": "DFQL_INVALID", "message": "Invalid DFQL: cursor must be an integer string", "details": {"path": "cursor"}}}}
                """);
    }

    @Test
    void pull_global_oneInsert_isOneChange() {
        // case 13
        start();
        pushOk(push(insertTag("tag:1", "one", "m1")));
        JsonNode r = s.post("pull", "{\"clientId\":\"c1\",\"cursor\":\"0\",\"limit\":2}").result();
        assertJson(r, "{\"ok\":true,\"changes\":[{\"serverSeq\":1,\"resource\":\"tag\",\"id\":\"tag:1\",\"op\":\"upsert\",\"record\":{\"id\":\"tag:1\",\"label\":\"one\"}}],\"nextCursor\":\"1\"}");
    }

    @Test
    void pull_global_mergeChangeCarriesOnlyTheWrittenFields() {
        // case 21
        start();
        pushOk(push(mut("m1", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\",\"priority\":1}}"),
                mut("m2", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"title\":\"updated\"}}")));
        JsonNode c = changes();
        assertThat(c).hasSize(2);
        assertJson(c.get(1).get("record"), "{\"id\":\"task:1\",\"title\":\"updated\"}");
    }

    @Test
    void pull_insert_isInRecordsNotMerged() {
        // case 23
        start();
        pushOk(push(insertTag("tag:1", "one", "m1")));
        JsonNode r = s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}").result();
        assertJson(r.get("records"), "{\"tag\":[{\"id\":\"tag:1\",\"label\":\"one\"}]}");
        assertThat(r.has("merged")).isFalse();
    }

    @Test
    void pull_insertThenDeleteInOnePage_isOnlyTheDeletion() {
        // case 11 (PROTOCOL.md net effect per id: a record deleted at the end of the page is only in `deleted`)
        start();
        pushOk(push(insertTag("tag:1", "one", "m1"),
                mut("m2", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:1\",\"record\":{\"label\":\"G\"}}"),
                mut("m3", "{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:1\"}")));
        JsonNode r = s.post("pull", "{\"clientId\":\"c1\",\"cursors\":{\"tag\":\"0\",\"goal\":\"0\"},\"limit\":100,\"includeJoins\":true}").result();
        assertJson(r.get("records"), "{\"tag\":[],\"goal\":[{\"id\":\"goal:1\",\"label\":\"G\",\"status\":null,\"isArchived\":false}]}");
        assertJson(r.get("deleted"), "{\"tag\":[\"tag:1\"],\"goal\":[]}");
        assertJson(r.get("cursors"), "{\"tag\":\"3\",\"goal\":\"2\"}");
    }

    @Test
    void pull_manyManyRelate_sendsTheJoinUpsertAndNoRecordOfTheTask() {
        // cases 26, 30
        start();
        long seen = pushOk(push(mut("m1", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"T\",\"priority\":3}}"),
                insertTag("tag:1", "one", "m2"))).get("cursor").asLong();
        pushOk(pushAs("a", mut("a", "r1", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":{\"$ref\":\"tag:1\",\"order\":1}}}")));
        JsonNode r = pullF1(seen);
        assertJson(r.get("records"), "{\"goal\":[],\"task\":[],\"tag\":[]}");
        assertThat(r.has("merged")).isFalse();
        assertJson(r.get("joins"), "{\"join_task_tags_tag\":{\"upsert\":[{\"id\":\"task:1:tag:1\",\"from\":\"task:1\",\"to\":\"tag:1\",\"order\":1,\"addedAt\":null}],\"delete\":[]}}");
    }

    @Test
    void pull_manyManyUnrelate_sendsTheJoinDeleteAndNoRecordOfTheTask() {
        // case 27
        start();
        pushOk(push(insertTask("task:1", "T", "m1"), insertTag("tag:1", "one", "m2"),
                mut("m3", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":{\"$ref\":\"tag:1\",\"order\":1}}}")));
        pushOk(pushAs("a", mut("a", "u1", "{\"resource\":\"task\",\"operation\":\"unrelate\",\"id\":\"task:1\",\"relations\":{\"tags\":\"tag:1\"}}")));
        JsonNode r = pullF1(3);
        assertJson(r.get("records"), "{\"goal\":[],\"task\":[],\"tag\":[]}");
        assertThat(r.has("merged")).isFalse();
        assertJson(r.get("joins"), "{\"join_task_tags_tag\":{\"upsert\":[],\"delete\":[{\"from\":\"task:1\",\"to\":\"tag:1\"}]}}");
        assertJson(r.get("cursors"), "{" + String.format(ALL_F1_CURSORS, 3).replace("\"join_task_tags_tag\":\"3\"", "\"join_task_tags_tag\":\"4\"") + "}");
    }

    @Test
    void pull_manyOneRelate_isAMergeOfIdAndForeignKeyOnly() {
        // case 28
        start();
        pushOk(push(mut("m1", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:10\",\"record\":{\"label\":\"T\",\"priority\":4}}"),
                mut("m2", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:2\",\"record\":{\"label\":\"G\"}}")));
        pushOk(push(mut("r1", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:10\",\"relations\":{\"goal\":\"goal:2\"}}")));
        JsonNode r = pullF1(2);
        assertJson(r.get("merged"), "{\"task\":[{\"id\":\"task:10\",\"goalId\":\"goal:2\"}]}");
        assertJson(r.get("records"), "{\"goal\":[],\"task\":[],\"tag\":[]}");
        assertThat(r.has("joins")).isFalse();
    }

    @Test
    void pull_manyOneUnrelate_isAMergeSettingTheForeignKeyToNull() {
        // case 29
        start();
        pushOk(push(mut("m1", "{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:1\",\"record\":{\"label\":\"G\"}}"),
                mut("m2", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:10\",\"record\":{\"label\":\"T\",\"goalId\":\"goal:1\"}}")));
        pushOk(push(mut("u1", "{\"resource\":\"task\",\"operation\":\"unrelate\",\"id\":\"task:10\",\"relations\":{\"goal\":\"goal:1\"}}")));
        JsonNode r = pullF1(2);
        assertJson(r.get("merged"), "{\"task\":[{\"id\":\"task:10\",\"goalId\":null}]}");
        assertJson(r.get("records"), "{\"goal\":[],\"task\":[],\"tag\":[]}");
        assertThat(s.query("{\"resource\":\"task\"}").get("data").get(0).get("goalId").isNull()).isTrue();
    }

    @Test
    void pull_moreChangesThanTheLimit_returnsOnePageWithHasMore() {
        // case 31
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.limits(Limits.defaults().withMaxPullLimit(200)));
        insertTasks(150);
        JsonNode r = s.post("pull", "{\"cursors\":{\"task\":\"0\"},\"limit\":100}").result();
        assertThat(r.get("hasMore").asBoolean()).isTrue();
        assertThat(r.get("records").get("task")).hasSize(100);
        assertThat(r.get("cursors").get("task").asText()).isEqualTo("100");
    }

    @Test
    void pull_fewerChangesThanTheLimit_returnsThemAllWithoutHasMore() {
        // case 32
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.limits(Limits.defaults().withMaxPullLimit(200)));
        insertTasks(50);
        JsonNode r = s.post("pull", "{\"cursors\":{\"task\":\"0\"},\"limit\":100}").result();
        assertThat(r.get("hasMore").asBoolean()).isFalse();
        assertThat(r.get("records").get("task")).hasSize(50);
    }

    @Test
    void pull_withoutLimit_isCappedAtMaxPullLimit() {
        // case 34 (the legacy global form is capped too: PROTOCOL-NOTES.md)
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.limits(Limits.defaults().withMaxPullLimit(10)));
        insertTasks(30);
        JsonNode r = s.post("pull", "{\"cursors\":{\"task\":\"0\"}}").result();
        int total = r.get("records").get("task").size() + r.get("deleted").get("task").size()
                + (r.has("merged") ? r.get("merged").get("task").size() : 0);
        assertThat(total).isEqualTo(10);
        assertThat(r.get("hasMore").asBoolean()).isTrue();
        assertThat(s.post("pull", "{\"cursor\":\"0\"}").result().get("changes")).hasSize(10);
    }

    private void insertTasks(int n) {
        List<String> inserts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inserts.add(insertTask(String.format("task:%03d", i), "t" + i, "m" + i));
        }
        pushOk(push(inserts.toArray(String[]::new)));
    }

    @Test
    void pull_global_afterTheMutationEndpoint_pagesOneChangeAtATimeInSeqOrder() {
        // case 39
        start();
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"L\",\"title\":\"A\"}}");
        JsonNode p1 = s.post("pull", "{\"cursor\":\"0\",\"limit\":1}").result();
        assertThat(p1.get("changes")).hasSize(1);
        assertThat(p1.get("changes").get(0).get("op").asText()).isEqualTo("upsert");
        assertThat(p1.get("changes").get(0).get("record").get("title").asText()).isEqualTo("A");
        assertThat(p1.get("nextCursor").asText()).isEqualTo("1");
        s.mutate("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:1\"}");
        JsonNode p2 = s.post("pull", "{\"cursor\":\"1\",\"limit\":1}").result();
        assertJson(p2, "{\"ok\":true,\"changes\":[{\"serverSeq\":2,\"resource\":\"task\",\"id\":\"task:1\",\"op\":\"delete\",\"record\":null}],\"nextCursor\":\"2\"}");
    }

    @Test
    void pull_global_pushedInsertThenMerge_areTwoUpsertsInOrder() {
        // case 40
        start();
        pushOk(push(mut("m1", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"L\",\"title\":\"Initial\"}}"),
                mut("m2", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"title\":\"P\"}}")));
        JsonNode c = s.post("pull", "{\"cursor\":\"0\",\"limit\":10}").result().get("changes");
        assertThat(c).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(c.get(i).get("op").asText()).isEqualTo("upsert");
            assertThat(c.get(i).get("id").asText()).isEqualTo("task:1");
            assertThat(c.get(i).get("serverSeq").asLong()).isEqualTo(i + 1);
        }
        assertThat(c.get(0).get("record").get("title").asText()).isEqualTo("Initial");
        assertThat(c.get(1).get("record").get("title").asText()).isEqualTo("P");
    }

    @Test
    void pull_joinKeyWithoutIncludeJoins_echoesItsCursor() {
        start();
        pushOk(push(insertTask("task:1", "T", "m1"), insertTag("tag:1", "one", "m2"),
                mut("m3", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":\"tag:1\"}}")));
        JsonNode r = s.post("pull", "{\"cursors\":{\"task\":\"0\",\"join_task_tags_tag\":\"1\"}}").result();
        assertJson(r.get("cursors"), "{\"task\":\"1\",\"join_task_tags_tag\":\"1\"}");
        assertThat(r.has("joins")).isFalse();
        assertThat(r.get("records").has("join_task_tags_tag")).isFalse();
        assertThat(r.get("hasMore").asBoolean()).isFalse();
    }

    @Test
    void pull_cascadeAndSetNullDeletes_recordChangesThatPullReturns() {
        s = TestServer.start(db, CASCADE_SCHEMA);
        pushOk(push(mut("m1", "{\"resource\":\"list\",\"operation\":\"insert\",\"id\":\"list:1\",\"record\":{\"name\":\"L\"}}"),
                mut("m2", "{\"resource\":\"item\",\"operation\":\"insert\",\"id\":\"item:1\",\"record\":{\"name\":\"a\",\"listId\":\"list:1\"}}"),
                mut("m3", "{\"resource\":\"item\",\"operation\":\"insert\",\"id\":\"item:2\",\"record\":{\"name\":\"b\",\"listId\":\"list:1\"}}"),
                mut("m4", "{\"resource\":\"item\",\"operation\":\"insert\",\"id\":\"item:3\",\"record\":{\"name\":\"c\"}}"),
                mut("m5", "{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"text\":\"x\",\"itemId\":\"item:1\"}}"),
                mut("m6", "{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:2\",\"record\":{\"text\":\"y\",\"itemId\":\"item:3\"}}"),
                mut("m7", "{\"resource\":\"badge\",\"operation\":\"insert\",\"id\":\"badge:1\",\"record\":{\"name\":\"z\"}}"),
                mut("m8", "{\"resource\":\"item\",\"operation\":\"relate\",\"id\":\"item:1\",\"relations\":{\"badges\":\"badge:1\"}}")));
        JsonNode r = pushOk(push(mut("d1", "{\"resource\":\"list\",\"operation\":\"delete\",\"id\":\"list:1\"}")));
        assertThat(r.get("cursorBefore").asText()).isEqualTo("8");
        String cursors = "{\"list\":\"8\",\"item\":\"8\",\"note\":\"8\",\"badge\":\"8\",\"join_item_badges_badge\":\"8\"}";
        JsonNode pull = s.post("pull", "{\"cursors\":" + cursors + ",\"includeJoins\":true}").result();
        assertJson(pull.get("deleted"), "{\"list\":[\"list:1\"],\"item\":[\"item:1\",\"item:2\"],\"note\":[],\"badge\":[]}");
        assertJson(pull.get("merged"), "{\"note\":[{\"id\":\"note:1\",\"itemId\":null}]}");
        assertJson(pull.get("records"), "{\"list\":[],\"item\":[],\"note\":[],\"badge\":[]}");
        assertJson(pull.get("joins"), "{\"join_item_badges_badge\":{\"upsert\":[],\"delete\":[{\"from\":\"item:1\",\"to\":\"badge:1\"}]}}");
        long last = r.get("cursor").asLong();
        assertThat(last).isGreaterThanOrEqualTo(13);
        JsonNode after = pull.get("cursors");
        assertThat(after.get("list").asLong()).isEqualTo(last);
        for (String key : List.of("item", "note", "join_item_badges_badge")) {
            assertThat(after.get(key).asLong()).as(key).isGreaterThan(8).isLessThan(last);
        }
        assertThat(after.get("badge").asText()).isEqualTo("8");
        assertJson(s.query("{\"resource\":\"note\"}").get("data"),
                "[{\"id\":\"note:1\",\"text\":\"x\",\"itemId\":null},{\"id\":\"note:2\",\"text\":\"y\",\"itemId\":\"item:3\"}]");
    }

    // ------------------------------------------------------------------------------------------------ clone

    @Test
    void clone_afterMutations_rowsInIdOrderAndTheCursorIsTheLastSeq() {
        // case 38
        start();
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:2\",\"record\":{\"label\":\"B\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"A\"}}");
        JsonNode r = s.post("clone", "{\"tables\":[\"task\"]}").result();
        List<String> ids = new ArrayList<>();
        r.get("data").get("task").forEach(t -> ids.add(t.get("id").asText() + "=" + t.get("label").asText()));
        assertThat(ids).containsExactly("task:1=A", "task:2=B");
        assertJson(r.get("cursors"), "{\"task\":\"2\"}");
    }

    @Test
    void clone_withoutIncludeJoins_hasNoJoins() {
        start();
        pushOk(push(insertTask("task:1", "T", "m1"), insertTag("tag:1", "one", "m2"),
                mut("m3", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":\"tag:1\"}}")));
        JsonNode r = s.post("clone", "{\"tables\":[\"task\",\"tag\"],\"includeJoins\":false}").result();
        assertThat(r.has("joins")).isFalse();
        assertThat(s.post("clone", "{\"tables\":[\"task\",\"tag\"]}").result().has("joins")).isFalse();
        assertThat(s.post("clone", "{\"tables\":[\"task\",\"tag\"],\"includeJoins\":true}").result().get("joins").get("join_task_tags_tag")).hasSize(1);
    }

    @Test
    void clone_rowsWrittenWithoutTheServer_areReturnedWithCursorZero() throws SQLException {
        // case 63: rows loaded straight into the tables have no change rows
        start();
        try (Connection c = jdbc(); PreparedStatement goal = c.prepareStatement("INSERT INTO goal (" + db.quote("__ns") + ", id, label) VALUES ('datafn', ?, ?)");
             PreparedStatement task = c.prepareStatement("INSERT INTO task (" + db.quote("__ns") + ", id, label) VALUES ('datafn', ?, ?)")) {
            for (String[] g : new String[][]{{"goal:2", "Goal 2"}, {"goal:1", "Goal 1"}}) {
                goal.setString(1, g[0]);
                goal.setString(2, g[1]);
                goal.executeUpdate();
            }
            task.setString(1, "task:1");
            task.setString(2, "Task 1");
            task.executeUpdate();
        }
        JsonNode r = s.post("clone", "{\"tables\":[\"goal\",\"task\"]}").result();
        List<String> goals = new ArrayList<>();
        r.get("data").get("goal").forEach(g -> goals.add(g.get("id").asText() + "=" + g.get("label").asText()));
        assertThat(goals).containsExactly("goal:1=Goal 1", "goal:2=Goal 2");
        assertThat(r.get("data").get("task")).hasSize(1);
        assertJson(r.get("cursors"), "{\"goal\":\"0\",\"task\":\"0\"}");
    }

    // ------------------------------------------------------------------------------------------------ seed

    @Test
    void seed_underAProviderNamespace_marksThatNamespaceOnly() throws SQLException {
        // case 44
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.authContextProvider(ctx -> new AuthContext(ctx.header("X-User"), null)));
        TestServer.Reply r = s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/seed"))
                .header("Content-Type", "application/json").header("X-User", "u1")
                .POST(HttpRequest.BodyPublishers.ofString("{\"clientId\":\"client:device-1\"}")).build());
        assertJson(r.body(), "{\"ok\":true,\"result\":{\"ok\":true}}");
        assertThat(seedMarkers()).containsExactly("user:u1");
    }

    @Test
    void seed_whenTheMarkerCannotBeStored_is500AndWritesNothing() throws SQLException {
        // case 45
        start();
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE datafn_seed");
        }
        TestServer.Reply r = s.post("seed", "{\"clientId\":\"c1\"}");
        assertThat(r.status()).isEqualTo(500);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":{\"path\":\"$\"}}}");
        r = s.post("seed", "{\"data\":{\"goal\":[{\"id\":\"goal:1\",\"label\":\"G\"}]}}");
        assertThat(r.status()).isEqualTo(500);
        assertThat(s.query("{\"resource\":\"goal\"}").get("data")).isEmpty();
        assertThat(changes()).isEmpty();
    }

    private List<String> seedMarkers() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT ns FROM datafn_seed ORDER BY ns")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ namespaces

    @Test
    void push_firstWriteOfEachUserNamespace_getsCursorOne() {
        // case 46, with the README's authContextProvider (user:<userId>)
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.authContextProvider(ctx -> new AuthContext(ctx.header("X-User"), null)));
        for (String user : List.of("user-1", "user-2")) {
            TestServer.Reply r = s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/push"))
                    .header("Content-Type", "application/json").header("X-User", user)
                    .POST(HttpRequest.BodyPublishers.ofString(push(insertTag("tag:" + user, user, "m1")))).build());
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.result().get("cursor").asText()).as(user).isEqualTo("1");
            assertThat(r.result().get("cursorBefore").asText()).as(user).isEqualTo("0");
        }
    }

    @Test
    void providerThatThrows_everySyncEndpointIs500AndNothingIsWritten() throws SQLException {
        // case 47: no fall back to the shared namespace, on any sync endpoint (pull included)
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> {
            throw new IllegalStateException("directory down");
        }));
        String internal = "{\"ok\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":{\"path\":\"$\"}}}";
        for (String[] call : new String[][]{{"push", push(insertTag("tag:1", "x", "m1"))}, {"pull", "{\"cursors\":{\"tag\":\"0\"}}"},
                {"pull", "{\"cursor\":\"0\"}"}, {"clone", "{\"tables\":[\"tag\"]}"}, {"reconcile", "{\"resources\":[\"tag\"]}"},
                {"seed", "{\"clientId\":\"c1\"}"}, {"seed", "{\"data\":{\"tag\":[{\"id\":\"tag:2\",\"label\":\"y\"}]}}"}}) {
            TestServer.Reply r = s.post(call[0], call[1]);
            assertThat(r.status()).as(call[0]).isEqualTo(500);
            assertJson(r.body(), internal);
        }
        try (Connection c = jdbc(); Statement st = c.createStatement()) {
            for (String table : List.of("tag", "datafn_changes", "datafn_seed", "datafn_idempotency")) {
                try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
                    rs.next();
                    assertThat(rs.getLong(1)).as(table).isZero();
                }
            }
        }
    }

    @Test
    void providerReturningTheDefaultNamespace_servesTheDefaultNamespace() {
        // case 48
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> "datafn"));
        TestServer.Reply r = s.post("push", push(insertTag("tag:1", "x", "m1")));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.result().get("cursor").asText()).isEqualTo("1");
        assertThat(s.post("clone", "{\"tables\":[\"tag\"]}").result().get("data").get("tag")).hasSize(1);
    }

    @Test
    void pull_fromOwnPushCursor_neverReturnsAnotherNamespacesChanges() {
        // case 50
        startWithHeaderNamespaces();
        JsonNode bob = post("user:bob", "push", pushAs("bob", mut("bob", "b1", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:b1\",\"record\":{\"label\":\"bob\"}}"))).result();
        post("user:alice", "push", pushAs("alice", mut("alice", "a1", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:a1\",\"record\":{\"label\":\"alice\"}}")));
        post("user:alice", "push", pushAs("alice", mut("alice", "a2", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:a2\",\"record\":{\"label\":\"alice\"}}")));
        String cursor = bob.get("cursor").asText();
        assertThat(cursor).isEqualTo("1");
        JsonNode pull = post("user:bob", "pull", "{\"cursors\":{\"tag\":\"" + cursor + "\"}}").result();
        assertJson(pull.get("records"), "{\"tag\":[]}");
        assertJson(pull.get("cursors"), "{\"tag\":\"1\"}");
        assertJson(post("user:bob", "pull", "{\"cursor\":\"0\"}").result().get("changes"),
                "[{\"serverSeq\":1,\"resource\":\"tag\",\"id\":\"tag:b1\",\"op\":\"upsert\",\"record\":{\"id\":\"tag:b1\",\"label\":\"bob\"}}]");
    }

    // ------------------------------------------------------------------------------------------------ retention

    @Test
    void prune_deletesOldChangeRowsOfEveryNamespaceAndKeepsNewOnes() throws SQLException {
        // case 61 (PROTOCOL-NOTES.md: retention prunes every namespace)
        startWithHeaderNamespaces();
        long now = System.currentTimeMillis();
        pushTags("ns-a", "old", 25);
        pushTags("ns-b", "old", 5);
        try (Connection c = jdbc(); PreparedStatement st = c.prepareStatement("UPDATE datafn_changes SET created_at = ?")) {
            st.setLong(1, now - Duration.ofDays(60).toMillis());
            st.executeUpdate();
        }
        pushTags("ns-a", "new", 26);
        pushTags("ns-b", "new", 3);
        io.datafn.store.Store.Pruned pruned = s.server.store().prune(now - Duration.ofDays(30).toMillis(), 0);
        assertThat(pruned).isEqualTo(new io.datafn.store.Store.Pruned(30, 0));
        JsonNode a = post("ns-a", "pull", "{\"cursor\":\"0\",\"limit\":100}").result().get("changes");
        assertThat(a).hasSize(26);
        assertThat(a.get(0).get("serverSeq").asLong()).isEqualTo(26);
        assertThat(post("ns-b", "pull", "{\"cursor\":\"0\",\"limit\":100}").result().get("changes")).hasSize(3);
        // the data rows and the counters are untouched
        assertThat(post("ns-a", "reconcile", "{\"resources\":[\"tag\"]}").result().get("counts").get("tag").asLong()).isEqualTo(51);
        assertThat(post("ns-a", "reconcile", "{\"resources\":[\"tag\"]}").result().get("latestCursor").asText()).isEqualTo("51");
    }

    private void pushTags(String ns, String prefix, int n) {
        List<String> inserts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inserts.add(insertTag("tag:" + prefix + i, "x", prefix + i));
        }
        TestServer.Reply r = post(ns, "push", push(inserts.toArray(String[]::new)));
        assertThat(r.status()).as("push %s", r.body()).isEqualTo(200);
    }
}
