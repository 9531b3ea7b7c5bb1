package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.datafn.server.TestServer.Reply;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static io.datafn.server.JsonAssert.assertError;
import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code POST /datafn/mutation} over fixture F1 (and a small onDelete schema), on SQLite and PostgreSQL. */
@ParameterizedClass
@EnumSource(TestDb.class)
class MutationBlackBoxTest {
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

    /** Relations with each onDelete policy, and resources with each kind of idPrefix. */
    private static final String POLICY_SCHEMA = """
            {
              "resources": [
                {"name": "folder", "version": 1, "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "doc", "version": 1, "idPrefix": "doc", "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "project", "version": 1, "idPrefix": "project-", "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "item", "version": 1, "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "team", "version": 1, "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "member", "version": 1, "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "shelf", "version": 1, "fields": [{"name": "name", "type": "string", "nullable": true}]},
                {"name": "book", "version": 1, "fields": [{"name": "name", "type": "string", "nullable": true}]}
              ],
              "relations": [
                {"from": "doc", "to": "folder", "type": "many-one", "relation": "folder", "inverse": "docs", "fkField": "folderId", "onDelete": "restrict"},
                {"from": "item", "to": "project", "type": "many-one", "relation": "project", "inverse": "items", "fkField": "projectId", "onDelete": "cascade"},
                {"from": "member", "to": "team", "type": "many-one", "relation": "team", "inverse": "members", "fkField": "teamId", "onDelete": "setNull"},
                {"from": "shelf", "to": "book", "type": "one-many", "relation": "books", "inverse": "shelf", "fkField": "shelfId", "onDelete": "restrict"}
              ]
            }
            """;

    static TestServer s;
    static TestServer policies;

    @Parameter
    TestDb db;

    @BeforeEach
    void start() {
        if (s == null) {
            s = TestServer.start(db, Fixtures.F1_SCHEMA);
            Fixtures.loadF1(s);
            policies = TestServer.start(db, POLICY_SCHEMA);
        }
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (s != null) {
            s.close();
            policies.close();
            s = null;
            policies = null;
        }
    }

    private static Reply mutation(String body) {
        return s.post("mutation", body);
    }

    /** The stored record, or a missing node. */
    private static JsonNode row(TestServer server, String resource, String id) {
        JsonNode data = server.query("{\"resource\":\"" + resource + "\",\"filters\":{\"id\":\"" + id + "\"}}").path("data");
        return data.isEmpty() ? MissingNode.getInstance() : data.get(0);
    }

    private static JsonNode row(String resource, String id) {
        return row(s, resource, id);
    }

    private static void insertTask(String id, String extraFields) {
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"" + id + "\",\"record\":{\"label\":\"" + id + "\""
                + (extraFields.isEmpty() ? "" : "," + extraFields) + "}}");
    }

    // insert

    @Test
    void insert_withId_returnsResultAndStoresRecord() {
        Reply r = mutation("""
                {"resource":"tag","version":1,"operation":"insert","clientId":"client:device-1","mutationId":"m-ins-1","id":"tag:new","record":{"label":"new"}}""");
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), """
                {"ok":true,"result":{"ok":true,"mutationId":"m-ins-1","affectedIds":["tag:new"],"errors":[],"deduped":false}}""");
        assertJson(row("tag", "tag:new"), "{\"id\":\"tag:new\",\"label\":\"new\"}");
    }

    @Test
    void insert_withoutMutationId_answersWithARandomUuid() {
        JsonNode r = s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:no-mid\",\"record\":{\"label\":\"x\"}}");
        assertThat(r.path("mutationId").asText()).matches(UUID);
    }

    @Test
    void insert_withoutId_generatesIdFromIdPrefixAndReturnsIt() {
        JsonNode r = s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"generated\"}}");
        String id = r.path("affectedIds").get(0).asText();
        assertThat(id).matches("tag:" + UUID);
        assertThat(row("tag", id).path("label").asText()).isEqualTo("generated");
    }

    @Test
    void insert_withoutId_generatedIdFollowsPrefixRules() {
        String noPrefix = policies.mutate("{\"resource\":\"folder\",\"operation\":\"insert\",\"record\":{}}").path("affectedIds").get(0).asText();
        String bare = policies.mutate("{\"resource\":\"doc\",\"operation\":\"insert\",\"record\":{}}").path("affectedIds").get(0).asText();
        String dash = policies.mutate("{\"resource\":\"project\",\"operation\":\"insert\",\"record\":{}}").path("affectedIds").get(0).asText();
        assertThat(noPrefix).matches("folder:" + UUID);
        assertThat(bare).matches("doc:" + UUID);
        assertThat(dash).matches("project-" + UUID);
        assertThat(row(policies, "doc", bare).path("id").asText()).isEqualTo(bare);
    }

    @Test
    void insert_appliesFieldDefaults() {
        s.mutate("{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:defaults\",\"record\":{\"label\":\"G\"}}");
        assertJson(row("goal", "goal:defaults"), "{\"id\":\"goal:defaults\",\"label\":\"G\",\"status\":null,\"isArchived\":false}");
    }

    @Test
    void insert_existingId_isConflictOnId() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:t1\",\"record\":{\"label\":\"again\"}}"),
                409, "CONFLICT", "Record already exists", "id");
        assertThat(row("task", "task:t1").path("label").asText()).isEqualTo("Task 1");
    }

    @Test
    void insert_takenUniqueValue_isConflictOnField() {
        insertTask("task:uniq-1", "\"code\":\"C-1\"");
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:uniq-2\",\"record\":{\"label\":\"x\",\"code\":\"C-1\"}}"),
                409, "CONFLICT", null, "record.code");
        assertThat(row("task", "task:uniq-2").isMissingNode()).isTrue();
    }

    @Test
    void insert_wrongType_isInvalidAtFieldPath() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:type\",\"record\":{\"label\":123}}"),
                400, "DFQL_INVALID", "Field 'label' expects string, got number", "$.record.label");
    }

    @Test
    void insert_missingRequiredField_isInvalidAtFieldPath() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:req\",\"record\":{\"priority\":1}}"),
                400, "DFQL_INVALID", "Required field missing: label", "$.record.label");
    }

    @Test
    void insert_unknownField_isUnknownField() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:unk\",\"record\":{\"label\":\"x\",\"nope\":1}}"),
                400, "DFQL_UNKNOWN_FIELD", "Unknown field: nope on task", "$.record.nope");
    }

    @Test
    void insert_idWithoutPrefix_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"user:1\",\"record\":{\"label\":\"x\"}}"),
                400, "DFQL_INVALID", "Invalid id: must start with \"task:\"", "$.id");
    }

    @Test
    void insert_idLongerThan255_isInvalid() {
        String longId = "task:" + "x".repeat(251);
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"" + longId + "\",\"record\":{\"label\":\"x\"}}"),
                400, "DFQL_INVALID", "ID exceeds maximum length (255)", "$.id");
        String maxId = "task:" + "y".repeat(250);
        assertThat(s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"" + maxId + "\",\"record\":{\"label\":\"x\"}}")
                .path("affectedIds").get(0).asText()).isEqualTo(maxId);
    }

    @Test
    void mutation_negativeVersion_isInvalid() {
        assertError(mutation("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:v\",\"version\":-1,\"record\":{\"label\":\"x\"}}"),
                400, "DFQL_INVALID", "Invalid DFQL: version must be a positive integer", "$.version");
    }

    @Test
    void mutation_emptyClientId_isInvalid() {
        assertError(mutation("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:c\",\"clientId\":\"\",\"mutationId\":\"m\",\"record\":{\"label\":\"x\"}}"),
                400, "DFQL_INVALID", "Invalid DFQL: clientId must be a non-empty string", "$.clientId");
    }

    @Test
    void mutation_unknownOperation_isUnsupported() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"upsert\",\"id\":\"task:t1\",\"record\":{\"label\":\"x\"}}"),
                400, "DFQL_UNSUPPORTED", "Unsupported DFQL feature: mutation.operation.upsert", "$.operation");
    }

    @Test
    void mutation_unknownResource_isUnknownResource() {
        assertError(mutation("{\"resource\":\"nope\",\"operation\":\"insert\",\"id\":\"x\",\"record\":{}}"),
                400, "DFQL_UNKNOWN_RESOURCE", "Unknown resource: nope", "$.resource");
    }

    @Test
    void insert_dateField_acceptsIsoDateOrEpochMillisAndReturnsEpochMillis() {
        insertTask("task:date-1", "\"dueAt\":\"2026-01-10\"");
        insertTask("task:date-2", "\"dueAt\":1768003200000");
        assertThat(row("task", "task:date-1").path("dueAt").isIntegralNumber()).isTrue();
        assertThat(row("task", "task:date-1").path("dueAt").asLong()).isEqualTo(1768003200000L);
        assertThat(row("task", "task:date-2").path("dueAt").asLong()).isEqualTo(1768003200000L);
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:date-3\",\"record\":{\"label\":\"x\",\"dueAt\":\"soon\"}}"),
                400, "DFQL_INVALID", null, "$.record.dueAt");
    }

    @Test
    void insert_dateOutsideWhatAClientDateHolds_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:far\",\"record\":{\"label\":\"x\",\"dueAt\":1e20}}"),
                400, "DFQL_INVALID", "Field 'dueAt' expects date, got a number outside the date range", "$.record.dueAt");
        insertTask("task:date-max", "\"dueAt\":8640000000000000");
        assertThat(row("task", "task:date-max").path("dueAt").asLong()).isEqualTo(8640000000000000L);
    }

    @Test
    void insert_nonFiniteNumber_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:inf\",\"record\":{\"label\":\"x\",\"priority\":1e400}}"),
                400, "DFQL_INVALID", "Field 'priority' expects number, got a non-finite number", "$.record.priority");
    }

    @Test
    void insert_builtinKv_storesJsonValueAndGeneratesKvId() {
        s.mutate("{\"resource\":\"kv\",\"operation\":\"insert\",\"id\":\"kv:theme\",\"record\":{\"value\":{\"dark\":true,\"size\":[1,2]}}}");
        assertJson(row("kv", "kv:theme"), "{\"id\":\"kv:theme\",\"value\":{\"dark\":true,\"size\":[1,2]}}");
        String id = s.mutate("{\"resource\":\"kv\",\"operation\":\"insert\",\"record\":{\"value\":3}}").path("affectedIds").get(0).asText();
        assertThat(id).matches("kv:" + UUID);
    }

    // merge, replace, delete

    @Test
    void merge_existingRecord_changesOnlyGivenFields() {
        insertTask("task:merge-1", "\"priority\":1,\"title\":\"keep\"");
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:merge-1\",\"record\":{\"priority\":7}}");
        JsonNode row = row("task", "task:merge-1");
        assertThat(row.path("priority").asInt()).isEqualTo(7);
        assertThat(row.path("title").asText()).isEqualTo("keep");
        assertThat(row.path("label").asText()).isEqualTo("task:merge-1");
    }

    @Test
    void merge_nullIntoNonNullableField_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{\"label\":null}}"),
                400, "DFQL_INVALID", "Field 'label' expects string, got null", "$.record.label");
    }

    @Test
    void merge_recordIdDifferentFromId_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{\"id\":\"task:t2\",\"priority\":1}}"),
                400, "DFQL_INVALID", null, "$.record.id");
        assertThat(row("task", "task:t2").path("priority").asInt()).isEqualTo(2);
    }

    @Test
    void merge_onMissingCompleteRecord_createsItWithDefaults() {
        JsonNode r = s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:merge-new\",\"record\":{\"label\":\"created\"}}");
        assertThat(r.path("affectedIds")).hasSize(1);
        JsonNode row = row("task", "task:merge-new");
        assertThat(row.path("label").asText()).isEqualTo("created");
        assertThat(row.path("isArchived").asBoolean(true)).isFalse();
    }

    @Test
    void merge_onMissingIncompleteRecord_isNotFound() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:merge-missing\",\"record\":{\"priority\":1}}"),
                404, "NOT_FOUND", "Record not found: task:merge-missing", "id");
        assertThat(row("task", "task:merge-missing").isMissingNode()).isTrue();
    }

    @Test
    void merge_takenUniqueValue_isConflictOnFieldAndChangesNothing() {
        insertTask("task:uniq-3", "\"code\":\"C-3\"");
        insertTask("task:uniq-4", "\"code\":\"C-4\"");
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:uniq-4\",\"record\":{\"code\":\"C-3\",\"priority\":9}}"),
                409, "CONFLICT", null, "record.code");
        assertThat(row("task", "task:uniq-4").path("code").asText()).isEqualTo("C-4");
        assertThat(row("task", "task:uniq-4").path("priority").isNull()).isTrue();
    }

    @Test
    void replace_existingRecord_rewritesEveryFieldFromRecordDefaultOrNull() {
        insertTask("task:rep-1", "\"priority\":3,\"title\":\"t\",\"isArchived\":true");
        s.mutate("{\"resource\":\"task\",\"operation\":\"replace\",\"id\":\"task:rep-1\",\"record\":{\"label\":\"B\"}}");
        JsonNode row = row("task", "task:rep-1");
        assertThat(row.path("label").asText()).isEqualTo("B");
        assertThat(row.path("priority").isNull()).isTrue();
        assertThat(row.path("title").isNull()).isTrue();
        assertThat(row.path("isArchived").asBoolean(true)).isFalse();
    }

    @Test
    void replace_onMissingRecord_isNotFound() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"replace\",\"id\":\"task:rep-missing\",\"record\":{\"label\":\"x\"}}"),
                404, "NOT_FOUND", "Record not found: task:rep-missing", "id");
        assertThat(row("task", "task:rep-missing").isMissingNode()).isTrue();
    }

    @Test
    void delete_existingRecord_removesIt() {
        insertTask("task:del-1", "");
        s.mutate("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:del-1\"}");
        assertThat(row("task", "task:del-1").isMissingNode()).isTrue();
    }

    @Test
    void delete_onMissingRecord_succeeds() {
        Reply r = mutation("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:never\",\"mutationId\":\"m-del-missing\"}");
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), """
                {"ok":true,"result":{"ok":true,"mutationId":"m-del-missing","affectedIds":["task:never"],"errors":[],"deduped":false}}""");
    }

    @Test
    void delete_recordWithJoinRows_removesTheJoinRows() {
        insertTask("task:del-joins", "");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:del-joins\",\"relations\":{\"tags\":\"tag:home\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:del-joins\"}");
        JsonNode r = s.query("{\"resource\":\"tag\",\"select\":[\"id\",\"tasks\"],\"filters\":{\"id\":\"tag:home\"}}");
        assertJson(r.path("data").get(0).path("tasks"), "[\"task:t1\"]");
    }

    // batches

    @Test
    void batch_over500Items_isInvalid() {
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i < 501; i++) {
            body.append(i == 0 ? "" : ",").append("{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:b").append(i).append("\"}");
        }
        assertError(mutation(body.append("]").toString()), 400, "DFQL_INVALID", "Batch size 501 exceeds limit 500", "$");
    }

    @Test
    void batch_reportsEachItemAndKeepsEarlierSuccesses() {
        Reply r = mutation("""
                [{"resource":"task","operation":"insert","id":"task:b1","mutationId":"b-1","record":{"label":"b1"}},
                 {"resource":"task","operation":"insert","id":"task:b1","mutationId":"b-2","record":{"label":"again"}},
                 {"resource":"task","operation":"merge","id":"task:b-missing","mutationId":"b-3","record":{"priority":1}},
                 {"resource":"task","operation":"merge","id":"task:b1","mutationId":"b-4","record":{"priority":4},"if":{"priority":99}},
                 {"resource":"task","operation":"delete","id":"task:b-none","mutationId":"b-5"}]""");
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.body(), """
                {"ok":true,"result":[
                 {"ok":true,"mutationId":"b-1","affectedIds":["task:b1"],"errors":[],"deduped":false},
                 {"ok":false,"mutationId":"b-2","affectedIds":[],"errors":[{"code":"CONFLICT","message":"Record already exists","path":"id","retryable":true}],"deduped":false},
                 {"ok":false,"mutationId":"b-3","affectedIds":[],"errors":[{"code":"NOT_FOUND","message":"Record not found: task:b-missing","path":"id","retryable":true}],"deduped":false},
                 {"ok":false,"mutationId":"b-4","affectedIds":[],"errors":[{"code":"CONFLICT","message":"Guard condition not met","path":"if","retryable":false}],"deduped":false},
                 {"ok":true,"mutationId":"b-5","affectedIds":["task:b-none"],"errors":[],"deduped":false}]}""");
        assertThat(row("task", "task:b1").path("label").asText()).isEqualTo("b1");
    }

    @Test
    void batch_invalidItem_rejectsTheWholeBatchWithItsIndex() {
        assertError(mutation("""
                [{"resource":"task","operation":"insert","id":"task:bv1","record":{"label":"ok"}},
                 {"resource":"task","operation":"insert","id":"task:bv2","record":{"label":5}}]"""),
                400, "DFQL_INVALID", "Field 'label' expects string, got number", "$[1].record.label");
        assertThat(row("task", "task:bv1").isMissingNode()).isTrue();
    }

    // if guards

    @Test
    void merge_guardHolds_applies() {
        insertTask("task:guard-ok", "\"priority\":1");
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:guard-ok\",\"record\":{\"priority\":2},\"if\":{\"priority\":1}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:guard-ok\",\"record\":{\"priority\":3},\"if\":{\"priority\":{\"gte\":2},\"label\":\"task:guard-ok\"}}");
        assertThat(row("task", "task:guard-ok").path("priority").asInt()).isEqualTo(3);
    }

    @Test
    void merge_guardOnStringAndDateFields_comparesValues() {
        insertTask("task:guard-date", "\"updatedAt\":\"2026-01-10\",\"dueAt\":\"2026-01-10\"");
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:guard-date\",\"record\":{\"priority\":1},\"if\":{\"updatedAt\":{\"eq\":\"2026-01-10\"}}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:guard-date\",\"record\":{\"priority\":2},\"if\":{\"dueAt\":\"2026-01-10T00:00:00.000Z\"}}");
        assertThat(row("task", "task:guard-date").path("priority").asInt()).isEqualTo(2);
    }

    @Test
    void merge_guardFails_isConflictAndChangesNothing() {
        insertTask("task:guard-fail", "\"priority\":1");
        Reply r = mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:guard-fail\",\"record\":{\"priority\":2},\"if\":{\"priority\":5}}");
        assertThat(r.status()).isEqualTo(409);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"CONFLICT\",\"message\":\"Guard condition not met\",\"details\":{\"path\":\"if\"}}}");
        assertThat(row("task", "task:guard-fail").path("priority").asInt()).isEqualTo(1);
    }

    @Test
    void guard_onMissingRow_isConflictForEveryOperation() {
        for (String op : List.of(
                "\"operation\":\"merge\",\"record\":{\"label\":\"x\"}",
                "\"operation\":\"replace\",\"record\":{\"label\":\"x\"}",
                "\"operation\":\"delete\"",
                "\"operation\":\"relate\",\"relations\":{\"tags\":\"tag:home\"}")) {
            assertError(mutation("{\"resource\":\"task\",\"id\":\"task:guard-missing\"," + op + ",\"if\":{\"priority\":1}}"),
                    409, "CONFLICT", "Guard condition not met", "if");
        }
        assertThat(row("task", "task:guard-missing").isMissingNode()).isTrue();
    }

    @Test
    void insert_withGuard_isConflict() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:guard-ins\",\"record\":{\"label\":\"x\"},\"if\":{\"priority\":1}}"),
                409, "CONFLICT", "Guard condition not met", "if");
        assertThat(row("task", "task:guard-ins").isMissingNode()).isTrue();
    }

    @Test
    void guard_unknownField_isUnknownField() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{\"priority\":1},\"if\":{\"nope\":1}}"),
                400, "DFQL_UNKNOWN_FIELD", null, "$.if.nope");
    }

    @Test
    void guardedMerges_concurrentOnOneRow_exactlyOneSucceeds() throws Exception {
        insertTask("task:race", "\"priority\":0");
        List<Reply> replies = concurrently(20, i -> mutation("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:race\","
                + "\"record\":{\"priority\":" + (i + 1) + "},\"if\":{\"priority\":{\"eq\":0}}}"));
        List<Reply> won = replies.stream().filter(r -> r.status() == 200).toList();
        assertThat(won).hasSize(1);
        replies.stream().filter(r -> r.status() != 200).forEach(r -> assertError(r, 409, "CONFLICT", "Guard condition not met", "if"));
        assertThat(row("task", "task:race").path("priority").asInt()).isBetween(1, 20);
    }

    @Test
    void sameKeyedInsert_sentConcurrently_isAppliedOnceAndEveryOtherCopyIsDeduped() throws Exception {
        String insert = "{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"c1\",\"mutationId\":\"m-race-ins\","
                + "\"id\":\"tag:race\",\"record\":{\"label\":\"race\"}}";
        List<Reply> replies = concurrently(10, i -> mutation(insert));
        for (Reply r : replies) {
            assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        }
        assertThat(replies.stream().filter(r -> !r.result().path("deduped").asBoolean()).count()).isEqualTo(1);
        assertThat(s.query("{\"resource\":\"tag\",\"filters\":{\"label\":\"race\"},\"count\":true}").path("count").asInt()).isEqualTo(1);
    }

    /** Sends {@code n} requests at once (request {@code i} built by {@code request}) and returns the replies in order. */
    private static List<Reply> concurrently(int n, IntFunction<Reply> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reply>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return request.apply(index);
                }));
            }
            go.countDown();
            List<Reply> out = new ArrayList<>();
            for (Future<Reply> f : futures) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    // relation operations

    @Test
    void relate_manyManyInRelationsForm_thenModifyThenUnrelate() {
        insertTask("task:rel-1", "");
        s.mutate("""
                {"resource":"task","operation":"relate","id":"task:rel-1","relations":{"tags":{"$ref":"tag:urgent","order":1,"addedAt":"2026-01-18"}}}""");
        assertJson(joinRowsOf("task:rel-1"), """
                [{"id":"task:rel-1:tag:urgent","from":"task:rel-1","to":"tag:urgent","order":1,"addedAt":1768694400000}]""");
        s.mutate("""
                {"resource":"task","operation":"modifyRelation","id":"task:rel-1","relations":{"tags":{"$ref":"tag:urgent","order":5}}}""");
        assertJson(joinRowsOf("task:rel-1"), """
                [{"id":"task:rel-1:tag:urgent","from":"task:rel-1","to":"tag:urgent","order":5,"addedAt":1768694400000}]""");
        s.mutate("{\"resource\":\"task\",\"operation\":\"unrelate\",\"id\":\"task:rel-1\",\"relations\":{\"tags\":\"tag:urgent\"}}");
        assertJson(joinRowsOf("task:rel-1"), "[]");
    }

    @Test
    void relate_manyManyInReadmeForm_thenModifyThenUnrelate() {
        insertTask("task:rel-2", "");
        JsonNode r = s.mutate("""
                {"resource":"task","version":1,"operation":"relate","id":"task:rel-2","relation":"tags","targetId":"tag:home","metadata":{"order":2}}""");
        assertJson(r.path("affectedIds"), "[\"task:rel-2\"]");
        assertJson(joinRowsOf("task:rel-2"), """
                [{"id":"task:rel-2:tag:home","from":"task:rel-2","to":"tag:home","order":2,"addedAt":null}]""");
        s.mutate("""
                {"resource":"task","operation":"modifyRelation","id":"task:rel-2","relation":"tags","targetId":"tag:home","metadata":{"order":3}}""");
        assertThat(joinRowsOf("task:rel-2").get(0).path("order").asInt()).isEqualTo(3);
        s.mutate("{\"resource\":\"task\",\"operation\":\"unrelate\",\"id\":\"task:rel-2\",\"relation\":\"tags\",\"targetId\":\"tag:home\"}");
        assertJson(joinRowsOf("task:rel-2"), "[]");
    }

    @Test
    void relate_manyOne_setsAndUnrelateClearsTheForeignKey() {
        insertTask("task:rel-3", "");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:rel-3\",\"relations\":{\"goal\":\"goal:g2\"}}");
        assertThat(row("task", "task:rel-3").path("goalId").asText()).isEqualTo("goal:g2");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:rel-3\",\"relation\":\"goal\",\"targetId\":\"goal:g1\"}");
        assertThat(row("task", "task:rel-3").path("goalId").asText()).isEqualTo("goal:g1");
        s.mutate("{\"resource\":\"task\",\"operation\":\"unrelate\",\"id\":\"task:rel-3\",\"relation\":\"goal\",\"targetId\":\"goal:g1\"}");
        assertThat(row("task", "task:rel-3").path("goalId").isNull()).isTrue();
    }

    @Test
    void relate_fromInverseSide_setsForeignKeyOfTarget() {
        insertTask("task:rel-4", "");
        s.mutate("{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:rel-4\",\"record\":{\"label\":\"G\"}}");
        s.mutate("{\"resource\":\"goal\",\"operation\":\"relate\",\"id\":\"goal:rel-4\",\"relations\":{\"tasks\":[\"task:rel-4\"]}}");
        assertThat(row("task", "task:rel-4").path("goalId").asText()).isEqualTo("goal:rel-4");
        s.mutate("{\"resource\":\"tag\",\"operation\":\"relate\",\"id\":\"tag:home\",\"relation\":\"tasks\",\"targetId\":\"task:rel-4\"}");
        assertJson(joinRowsOf("task:rel-4"), """
                [{"id":"task:rel-4:tag:home","from":"task:rel-4","to":"tag:home","order":null,"addedAt":null}]""");
    }

    @Test
    void relate_twice_keepsOneJoinRowAndUnrelateOfAbsentPairIsANoOp() {
        insertTask("task:rel-5", "");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:rel-5\",\"relations\":{\"tags\":[{\"$ref\":\"tag:home\",\"order\":1}]}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:rel-5\",\"relations\":{\"tags\":[\"tag:home\"]}}");
        assertJson(joinRowsOf("task:rel-5"), """
                [{"id":"task:rel-5:tag:home","from":"task:rel-5","to":"tag:home","order":1,"addedAt":null}]""");
        s.mutate("{\"resource\":\"task\",\"operation\":\"unrelate\",\"id\":\"task:rel-5\",\"relations\":{\"tags\":\"tag:urgent\"}}");
        assertThat(joinRowsOf("task:rel-5")).hasSize(1);
    }

    @Test
    void relate_readmeFormWithoutTargetId_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t2\",\"relation\":\"tags\"}"),
                400, "DFQL_INVALID", null, "$.targetId");
    }

    @Test
    void relate_readmeFormUnknownMetadataKey_isUnknownField() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t2\",\"relation\":\"tags\",\"targetId\":\"tag:home\",\"metadata\":{\"priority\":1}}"),
                400, "DFQL_UNKNOWN_FIELD", "Unknown relation metadata key: priority", "$.metadata.priority");
    }

    @Test
    void relate_unknownMetadataKey_isUnknownField() {
        assertError(mutation("""
                {"resource":"task","operation":"relate","id":"task:t2","relations":{"tags":{"$ref":"tag:urgent","priority":1}}}"""),
                400, "DFQL_UNKNOWN_FIELD", "Unknown relation metadata key: priority", "$.relations.tags.priority");
    }

    @Test
    void relate_unknownRelation_isUnknownRelation() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t2\",\"relations\":{\"nope\":\"tag:urgent\"}}"),
                400, "DFQL_UNKNOWN_RELATION", "Unknown relation: nope", "$.relations.nope");
    }

    @Test
    void relate_missingTarget_isNotFound() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t2\",\"relations\":{\"tags\":\"tag:nope\"}}"),
                404, "NOT_FOUND", "Related record not found: tag:nope", "relations.tags");
    }

    @Test
    void relate_missingSource_isNotFound() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:rel-none\",\"relations\":{\"tags\":\"tag:home\"}}"),
                404, "NOT_FOUND", "Record not found: task:rel-none", "id");
    }

    @Test
    void relate_manyOneWithTwoTargets_isInvalid() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t2\",\"relations\":{\"goal\":[\"goal:g1\",\"goal:g2\"]}}"),
                400, "DFQL_INVALID", "many-one relation expects single target", "relations.goal");
        assertThat(row("task", "task:t2").path("goalId").asText()).isEqualTo("goal:g1");
    }

    @Test
    void modifyRelation_withoutJoinRow_isNotFound() {
        assertError(mutation("""
                {"resource":"task","operation":"modifyRelation","id":"task:t2","relations":{"tags":{"$ref":"tag:home","order":3}}}"""),
                404, "NOT_FOUND", "Relation not found between task:t2 and tag:home", "relations.tags");
        assertJson(joinRowsOf("task:t2"), "[]");
    }

    @Test
    void modifyRelation_onManyOne_isUnsupported() {
        assertError(mutation("{\"resource\":\"task\",\"operation\":\"modifyRelation\",\"id\":\"task:t2\",\"relations\":{\"goal\":\"goal:g1\"}}"),
                400, "DFQL_UNSUPPORTED", "modifyRelation only supported for many-many relations", "relations.goal");
    }

    private static JsonNode joinRowsOf(String taskId) {
        return s.query("{\"resource\":\"task\",\"select\":[\"id\",\"tags.#\"],\"filters\":{\"id\":\"" + taskId + "\"}}")
                .path("data").get(0).path("tags");
    }

    // onDelete policies

    @Test
    void delete_referencedUnderRestrict_isRelationRestricted() {
        policies.mutate("{\"resource\":\"folder\",\"operation\":\"insert\",\"id\":\"folder:r1\",\"record\":{}}");
        policies.mutate("{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:r1\",\"record\":{\"folderId\":\"folder:r1\"}}");
        assertError(policies.post("mutation", "{\"resource\":\"folder\",\"operation\":\"delete\",\"id\":\"folder:r1\"}"),
                409, "RELATION_RESTRICTED", "Cannot delete folder:r1; relation \"folder\" still references it", "id");
        assertThat(row(policies, "folder", "folder:r1").isMissingNode()).isFalse();
        policies.mutate("{\"resource\":\"doc\",\"operation\":\"delete\",\"id\":\"doc:r1\"}");
        policies.mutate("{\"resource\":\"folder\",\"operation\":\"delete\",\"id\":\"folder:r1\"}");
        assertThat(row(policies, "folder", "folder:r1").isMissingNode()).isTrue();
    }

    @Test
    void delete_referencedThroughOneManyUnderRestrict_isRelationRestricted() {
        policies.mutate("""
                [{"resource":"shelf","operation":"insert","id":"shelf:r2","record":{}},
                 {"resource":"book","operation":"insert","id":"book:r2","record":{}},
                 {"resource":"shelf","operation":"relate","id":"shelf:r2","relations":{"books":"book:r2"}}]""");
        assertError(policies.post("mutation", "{\"resource\":\"shelf\",\"operation\":\"delete\",\"id\":\"shelf:r2\"}"),
                409, "RELATION_RESTRICTED", "Cannot delete shelf:r2; relation \"books\" still references it", "id");
        policies.mutate("{\"resource\":\"book\",\"operation\":\"delete\",\"id\":\"book:r2\"}");
        policies.mutate("{\"resource\":\"shelf\",\"operation\":\"delete\",\"id\":\"shelf:r2\"}");
        assertThat(row(policies, "shelf", "shelf:r2").isMissingNode()).isTrue();
    }

    @Test
    void delete_referencedUnderCascade_deletesDependants() {
        policies.mutate("""
                [{"resource":"project","operation":"insert","id":"project-c1","record":{}},
                 {"resource":"item","operation":"insert","id":"item:c1","record":{"projectId":"project-c1"}},
                 {"resource":"item","operation":"insert","id":"item:c2","record":{"projectId":"project-c1"}},
                 {"resource":"item","operation":"insert","id":"item:c3","record":{}}]""");
        policies.mutate("{\"resource\":\"project\",\"operation\":\"delete\",\"id\":\"project-c1\"}");
        assertThat(row(policies, "item", "item:c1").isMissingNode()).isTrue();
        assertThat(row(policies, "item", "item:c2").isMissingNode()).isTrue();
        assertThat(row(policies, "item", "item:c3").isMissingNode()).isFalse();
    }

    @Test
    void delete_referencedUnderSetNull_clearsDependantsForeignKey() {
        policies.mutate("""
                [{"resource":"team","operation":"insert","id":"team:s1","record":{}},
                 {"resource":"member","operation":"insert","id":"member:s1","record":{"teamId":"team:s1","name":"m"}}]""");
        policies.mutate("{\"resource\":\"team\",\"operation\":\"delete\",\"id\":\"team:s1\"}");
        assertJson(row(policies, "member", "member:s1"), "{\"id\":\"member:s1\",\"name\":\"m\",\"teamId\":null}");
    }

    // idempotency

    @Test
    void replay_returnsStoredResultDedupedAndAppliesNothing() {
        insertTask("task:idem-1", "\"priority\":0");
        String merge = "{\"resource\":\"task\",\"operation\":\"merge\",\"clientId\":\"client:device-1\",\"mutationId\":\"m-idem-1\","
                + "\"id\":\"task:idem-1\",\"record\":{\"priority\":1}}";
        JsonNode first = s.mutate(merge);
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:idem-1\",\"record\":{\"priority\":2}}");
        JsonNode replay = s.mutate(merge);
        assertJson(first, "{\"ok\":true,\"mutationId\":\"m-idem-1\",\"affectedIds\":[\"task:idem-1\"],\"errors\":[],\"deduped\":false}");
        assertJson(replay, "{\"ok\":true,\"mutationId\":\"m-idem-1\",\"affectedIds\":[\"task:idem-1\"],\"errors\":[],\"deduped\":true}");
        assertThat(row("task", "task:idem-1").path("priority").asInt()).isEqualTo(2);
    }

    @Test
    void replay_ofInsertWithoutId_returnsTheSameGeneratedIdOnce() {
        String insert = "{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-gen\",\"record\":{\"label\":\"idem-gen\"}}";
        JsonNode first = s.mutate(insert);
        JsonNode replay = s.mutate(insert);
        assertThat(replay.path("affectedIds")).isEqualTo(first.path("affectedIds"));
        assertThat(replay.path("deduped").asBoolean()).isTrue();
        assertThat(s.query("{\"resource\":\"tag\",\"filters\":{\"label\":\"idem-gen\"},\"count\":true}").path("count").asInt()).isEqualTo(1);
    }

    @Test
    void replay_ignoresVersionAndContext() {
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-ver\",\"id\":\"tag:idem-ver\",\"record\":{\"label\":\"v\"},\"version\":1}");
        JsonNode replay = s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-ver\",\"id\":\"tag:idem-ver\",\"record\":{\"label\":\"v\"},\"version\":2,\"context\":{\"x\":1}}");
        assertThat(replay.path("deduped").asBoolean()).isTrue();
    }

    @Test
    void replay_withDifferentPayload_isConflictOnMutationId() {
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-diff\",\"id\":\"tag:idem-diff\",\"record\":{\"label\":\"a\"}}");
        assertError(mutation("{\"resource\":\"tag\",\"operation\":\"merge\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-diff\",\"id\":\"tag:idem-diff\",\"record\":{\"label\":\"b\"}}"),
                409, "CONFLICT", null, "mutationId");
        assertThat(row("tag", "tag:idem-diff").path("label").asText()).isEqualTo("a");
    }

    @Test
    void replay_ofStoredGuardFailure_isConflictAgainWithoutRunning() {
        insertTask("task:idem-guard", "\"priority\":1");
        String guarded = "{\"resource\":\"task\",\"operation\":\"merge\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-guard\","
                + "\"id\":\"task:idem-guard\",\"record\":{\"title\":\"applied\"},\"if\":{\"priority\":2}}";
        Reply first = mutation(guarded);
        assertError(first, 409, "CONFLICT", "Guard condition not met", "if");
        assertThat(first.body().path("error").path("details").has("deduped")).isFalse();
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:idem-guard\",\"record\":{\"priority\":2}}");
        Reply replay = mutation(guarded);
        assertJson(replay.body(), "{\"ok\":false,\"error\":{\"code\":\"CONFLICT\",\"message\":\"Guard condition not met\","
                + "\"details\":{\"path\":\"if\",\"deduped\":true}}}");
        assertThat(replay.status()).isEqualTo(409);
        assertThat(row("task", "task:idem-guard").path("title").isNull()).isTrue();
    }

    @Test
    void replay_ofStoredGuardFailureInsideBatch_isTheStoredResultDeduped() {
        insertTask("task:idem-bguard", "\"priority\":1");
        String batch = "[{\"resource\":\"task\",\"operation\":\"merge\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-bguard\","
                + "\"id\":\"task:idem-bguard\",\"record\":{\"title\":\"applied\"},\"if\":{\"priority\":2}}]";
        String item = "{\"ok\":false,\"mutationId\":\"m-idem-bguard\",\"affectedIds\":[],"
                + "\"errors\":[{\"code\":\"CONFLICT\",\"message\":\"Guard condition not met\",\"path\":\"if\",\"retryable\":false}],";
        Reply first = mutation(batch);
        assertThat(first.status()).isEqualTo(200);
        assertJson(first.body(), "{\"ok\":true,\"result\":[" + item + "\"deduped\":false}]}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:idem-bguard\",\"record\":{\"priority\":2}}");
        Reply replay = mutation(batch);
        assertThat(replay.status()).isEqualTo(200);
        assertJson(replay.body(), "{\"ok\":true,\"result\":[" + item + "\"deduped\":true}]}");
        // the single route answers the same stored failure with the top-level envelope
        assertError(mutation(batch.substring(1, batch.length() - 1)), 409, "CONFLICT", "Guard condition not met", "if");
        assertThat(row("task", "task:idem-bguard").path("title").isNull()).isTrue();
    }

    @Test
    void replay_ofStoredNotFound_runsAgain() {
        String merge = "{\"resource\":\"task\",\"operation\":\"merge\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-404\","
                + "\"id\":\"task:idem-404\",\"record\":{\"priority\":5}}";
        assertError(mutation(merge), 404, "NOT_FOUND", "Record not found: task:idem-404", "id");
        insertTask("task:idem-404", "");
        JsonNode retried = s.mutate(merge);
        assertThat(retried.path("deduped").asBoolean(true)).isFalse();
        assertThat(row("task", "task:idem-404").path("priority").asInt()).isEqualTo(5);
    }

    @Test
    void replay_insideBatch_isDedupedPerItemAndMismatchIsAPerItemConflict() {
        String first = "{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"c1\",\"mutationId\":\"m-idem-batch\",\"id\":\"tag:idem-batch\",\"record\":{\"label\":\"a\"}}";
        s.mutate(first);
        String mismatch = first.replace("\"label\":\"a\"", "\"label\":\"b\"");
        Reply r = mutation("[" + first + "," + mismatch + "]");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.result().get(0).path("deduped").asBoolean()).isTrue();
        assertThat(r.result().get(1).path("ok").asBoolean(true)).isFalse();
        assertThat(r.result().get(1).path("errors").get(0).path("code").asText()).isEqualTo("CONFLICT");
        assertThat(r.result().get(1).path("errors").get(0).path("path").asText()).isEqualTo("mutationId");
        assertThat(r.result().get(1).path("errors").get(0).path("retryable").asBoolean(true)).isFalse();
    }

    @Test
    void sameMutationId_fromTwoClients_areIndependent() {
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"client:a\",\"mutationId\":\"m-shared\",\"id\":\"tag:shared-a\",\"record\":{\"label\":\"a\"}}");
        JsonNode b = s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"clientId\":\"client:b\",\"mutationId\":\"m-shared\",\"id\":\"tag:shared-b\",\"record\":{\"label\":\"b\"}}");
        assertThat(b.path("deduped").asBoolean(true)).isFalse();
        assertThat(row("tag", "tag:shared-b").path("label").asText()).isEqualTo("b");
    }
}
