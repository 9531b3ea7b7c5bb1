package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;


import static io.datafn.server.JsonAssert.assertError;
import static io.datafn.server.JsonAssert.assertJson;
import static io.datafn.server.JsonAssert.ids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trash, archivable and shareable capabilities (reference-query-mutation.md §2.5, §4.4, §5.2; reference-sync.md
 * §1.3, §2.3, §3.1): the operations, the auto-filters of queries, what clone and pull carry, and access to private
 * records, on SQLite and PostgreSQL. One namespace ("team"), the actor from the {@code X-User} header.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class CapabilitiesBlackBoxTest {
    static final String SCHEMA = """
            {"resources":[
              {"name":"note","version":1,"capabilities":["trash","archivable","timestamps"],
               "fields":[{"name":"title","type":"string","required":true}]},
              {"name":"doc","version":1,
               "capabilities":["audit",{"shareable":{"levels":["viewer","editor","owner"],"default":"private"}}],
               "fields":[{"name":"title","type":"string"}]},
              {"name":"tag","version":1,"fields":[{"name":"name","type":"string"}]}
            ],
            "relations":[{"from":"tag","to":"doc","type":"many-one","relation":"doc","inverse":"tags"}]}
            """;

    @Parameter
    TestDb db;

    TestServer s;

    void start() {
        s = TestServer.start(db, SCHEMA, b -> b.namespaceProvider(Fixtures.TEAM));
    }

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    TestServer.Reply as(String user, String endpoint, String body) {
        return s.postAs(user, endpoint, body);
    }

    JsonNode queryAs(String user, String body) {
        TestServer.Reply r = as(user, "query", body);
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        return r.result();
    }

    void mutateAs(String user, String body) {
        TestServer.Reply r = as(user, "mutation", body);
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        assertThat(r.result().path("ok").asBoolean()).as("%s", r.body()).isTrue();
    }

    @Test
    void trash_hidesTheRowFromQueriesUntilRestored_andRecordsMerges() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"a\"}}");
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:2\",\"record\":{\"title\":\"b\"}}");
        JsonNode r = s.mutate("{\"resource\":\"note\",\"operation\":\"trash\",\"id\":\"note:1\"}");
        assertJson(r.get("affectedIds"), "[\"note:1\"]");

        assertThat(ids(s.query("{\"resource\":\"note\"}"))).containsExactly("note:2");
        JsonNode all = s.query("{\"resource\":\"note\",\"metadata\":{\"includeTrashed\":true}}");
        assertThat(ids(all)).containsExactly("note:1", "note:2");
        assertThat(all.get("data").get(0).get("trashedAt").isNumber()).isTrue();
        assertThat(all.get("data").get(0).get("trashedBy").isNull()).isTrue(); // no actor in this request

        // the trash travels as a merge carrying the full row (reference-sync.md §1.3)
        JsonNode pull = s.post("pull", "{\"cursors\":{\"note\":\"2\"}}").result();
        JsonNode merged = pull.get("merged").get("note").get(0);
        assertThat(merged.get("id").asText()).isEqualTo("note:1");
        assertThat(merged.get("title").asText()).isEqualTo("a");
        assertThat(merged.get("trashedAt").isNumber()).isTrue();
        // clone keeps trashed rows: the client filters its local store itself
        JsonNode clone = s.post("clone", "{\"tables\":[\"note\"]}").result();
        assertThat(clone.get("data").get("note")).hasSize(2);

        s.mutate("{\"resource\":\"note\",\"operation\":\"restore\",\"id\":\"note:1\"}");
        assertThat(ids(s.query("{\"resource\":\"note\"}"))).containsExactly("note:1", "note:2");
        JsonNode after = s.post("pull", "{\"cursors\":{\"note\":\"3\"}}").result();
        assertThat(after.get("merged").get("note").get(0).get("trashedAt").isNull()).isTrue();
    }

    @Test
    void restore_ofARecordNotTrashed_isANoOpWithoutAChange() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"a\"}}");
        s.mutate("{\"resource\":\"note\",\"operation\":\"restore\",\"id\":\"note:1\"}");
        JsonNode pull = s.post("pull", "{\"cursors\":{\"note\":\"1\"}}").result();
        assertJson(pull.get("cursors"), "{\"note\":\"1\"}");
    }

    @Test
    void lifecycleOperations_onAMissingRecord_areNotFound() {
        start();
        for (String op : new String[]{"trash", "restore", "archive", "unarchive"}) {
            assertError(s.post("mutation", "{\"resource\":\"note\",\"operation\":\"" + op + "\",\"id\":\"note:x\"}"),
                    404, "NOT_FOUND", "Record not found: note:x", "id");
        }
    }

    @Test
    void capabilityOperations_withoutTheCapability_areUnsupported() {
        start();
        for (String op : new String[]{"trash", "restore", "archive", "unarchive", "share", "unshare"}) {
            assertError(s.post("mutation", "{\"resource\":\"tag\",\"operation\":\"" + op + "\",\"id\":\"tag:1\"}"),
                    400, "DFQL_UNSUPPORTED", "Unsupported DFQL feature: mutation.operation." + op, "$.operation");
        }
    }

    @Test
    void archive_hidesTheRowUnlessIncludeArchived_andIsArchivedIsWritable() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"a\"}}");
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:2\",\"record\":{\"title\":\"b\",\"isArchived\":true}}");
        JsonNode first = s.query("{\"resource\":\"note\",\"metadata\":{\"includeArchived\":true}}");
        assertThat(first.get("data").get(0).get("isArchived").asBoolean(true)).isFalse(); // the default
        assertThat(ids(s.query("{\"resource\":\"note\"}"))).containsExactly("note:1");

        s.mutate("{\"resource\":\"note\",\"operation\":\"archive\",\"id\":\"note:1\"}");
        assertThat(ids(s.query("{\"resource\":\"note\"}"))).isEmpty();
        s.mutate("{\"resource\":\"note\",\"operation\":\"unarchive\",\"id\":\"note:2\"}");
        assertThat(ids(s.query("{\"resource\":\"note\"}"))).containsExactly("note:2");
        // an explicit filter on the field still works with includeArchived
        assertThat(ids(s.query("{\"resource\":\"note\",\"filters\":{\"isArchived\":true},\"metadata\":{\"includeArchived\":true}}")))
                .containsExactly("note:1");
    }

    @Test
    void trashedAt_writtenByAClient_isDroppedSilently() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"a\",\"trashedAt\":5}}");
        assertThat(ids(s.query("{\"resource\":\"note\"}"))).containsExactly("note:1");
    }

    @Test
    void metadata_badValues_areRefusedWithTheirPath() {
        start();
        assertError(s.post("query", "{\"resource\":\"note\",\"metadata\":{\"includeTrashed\":\"yes\"}}"),
                400, "DFQL_INVALID", "Invalid DFQL: metadata.includeTrashed must be boolean", "metadata.includeTrashed");
        assertError(s.post("query", "{\"resource\":\"note\",\"metadata\":{\"accessMode\":\"everything\"}}"),
                400, "DFQL_INVALID", "Invalid DFQL: metadata.accessMode must be one of [namespace, sharedWithMe]",
                "metadata.accessMode");
    }

    @Test
    void trashAndArchive_throughPush_areAppliedAndPulled() {
        start();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"title\":\"a\"}}");
        TestServer.Reply r = s.post("push", "{\"clientId\":\"c1\",\"mutations\":["
                + "{\"resource\":\"note\",\"operation\":\"trash\",\"id\":\"note:1\",\"clientId\":\"c1\",\"mutationId\":\"m1\"},"
                + "{\"resource\":\"note\",\"operation\":\"archive\",\"id\":\"note:1\",\"clientId\":\"c1\",\"mutationId\":\"m2\"}]}");
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        assertJson(r.result().get("applied"), "[\"m1\",\"m2\"]");
        JsonNode pull = s.post("pull", "{\"cursors\":{\"note\":\"1\"}}").result();
        JsonNode merged = pull.get("merged").get("note").get(0);
        assertThat(merged.get("trashedAt").isNumber()).isTrue();
        assertThat(merged.get("isArchived").asBoolean()).isTrue();
    }

    // ------------------------------------------------------------------------------------------------- shareable

    @Test
    void privateRecords_areSeenByTheirOwnerOnly_untilShared() {
        start();
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:1\",\"record\":{\"title\":\"ann's\"}}");
        mutateAs("bob", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:2\",\"record\":{\"title\":\"bob's\"}}");
        JsonNode annView = queryAs("ann", "{\"resource\":\"doc\"}");
        assertThat(ids(annView)).containsExactly("doc:1");
        assertThat(annView.get("data").get(0).get("visibility").asText()).isEqualTo("private");
        assertThat(ids(queryAs("bob", "{\"resource\":\"doc\"}"))).containsExactly("doc:2");
        assertThat(ids(queryAs(null, "{\"resource\":\"doc\"}"))).isEmpty();
        assertThat(queryAs("bob", "{\"resource\":\"doc\",\"count\":true}").get("count").asLong()).isEqualTo(1);

        // bob may not touch ann's record: retryable FORBIDDEN as the original
        TestServer.Reply denied = as("bob", "mutation", "{\"resource\":\"doc\",\"operation\":\"merge\",\"id\":\"doc:1\",\"record\":{\"title\":\"x\"}}");
        assertError(denied, 403, "FORBIDDEN", "Authorization denied", "id");
        // nor share it
        TestServer.Reply share = as("bob", "mutation", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\"}}");
        assertError(share, 403, "FORBIDDEN", "Authorization denied", "id");

        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\",\"level\":\"viewer\"}}");
        assertThat(ids(queryAs("bob", "{\"resource\":\"doc\"}"))).containsExactly("doc:1", "doc:2");
        // a viewer still may not write
        TestServer.Reply viewerWrite = as("bob", "mutation", "{\"resource\":\"doc\",\"operation\":\"merge\",\"id\":\"doc:1\",\"record\":{\"title\":\"x\"}}");
        assertError(viewerWrite, 403, "FORBIDDEN", "Authorization denied", "id");
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\",\"level\":\"editor\"}}");
        mutateAs("bob", "{\"resource\":\"doc\",\"operation\":\"merge\",\"id\":\"doc:1\",\"record\":{\"title\":\"edited\"}}");

        JsonNode perms = queryAs("ann", "{\"resource\":\"doc\",\"operation\":\"getPermissions\",\"id\":\"doc:1\"}");
        assertThat(perms).hasSize(1);
        assertThat(perms.get(0).get("principalId").asText()).isEqualTo("bob");
        assertThat(perms.get(0).get("level").asText()).isEqualTo("editor");
        assertThat(perms.get(0).get("grantedBy").asText()).isEqualTo("ann");
        assertError(as("bob", "query", "{\"resource\":\"doc\",\"operation\":\"getPermissions\",\"id\":\"doc:1\"}"),
                403, "FORBIDDEN", "Authorization denied", "operation");

        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"unshare\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\"}}");
        assertThat(ids(queryAs("bob", "{\"resource\":\"doc\"}"))).containsExactly("doc:2");
    }

    @Test
    void privateRecords_inCloneAndPull_areThoseTheViewerMaySee() {
        start();
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:1\",\"record\":{\"title\":\"a\"}}");
        mutateAs("bob", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:2\",\"record\":{\"title\":\"b\"}}");
        JsonNode bobClone = as("bob", "clone", "{\"tables\":[\"doc\"]}").result();
        assertThat(bobClone.get("data").get("doc")).hasSize(1);
        assertThat(bobClone.get("data").get("doc").get(0).get("id").asText()).isEqualTo("doc:2");
        JsonNode bobPull = as("bob", "pull", "{\"cursors\":{\"doc\":\"0\"}}").result();
        assertThat(ids(Json2.data(bobPull.get("records").get("doc")))).containsExactly("doc:2");
        assertThat(bobPull.get("cursors").get("doc").asText()).isEqualTo("2"); // the cursor still advances

        // a share brings the record to the grantee's next pull
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{\"principalId\":\"bob\"}}");
        JsonNode next = as("bob", "pull", "{\"cursors\":{\"doc\":\"2\"}}").result();
        assertThat(ids(Json2.data(next.get("records").get("doc")))).containsExactly("doc:1");
        JsonNode counts = as("bob", "reconcile", "{\"resources\":[\"doc\"]}").result();
        assertThat(counts.get("counts").get("doc").asLong()).isEqualTo(2);
    }

    @Test
    void privateRecords_doNotLeakThroughRelations() {
        start();
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:1\",\"record\":{\"title\":\"secret\"}}");
        s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"name\":\"t\",\"docId\":\"doc:1\"}}");
        JsonNode bob = queryAs("bob", "{\"resource\":\"tag\",\"select\":[\"id\",\"doc.*\"]}");
        assertThat(bob.get("data").get(0).get("doc").isNull()).as("%s", bob).isTrue();
        assertThat(ids(queryAs("bob", "{\"resource\":\"tag\",\"filters\":{\"doc.title\":\"secret\"}}"))).isEmpty();
        JsonNode ann = queryAs("ann", "{\"resource\":\"tag\",\"select\":[\"id\",\"doc.*\"]}");
        assertThat(ann.get("data").get(0).get("doc").get("title").asText()).isEqualTo("secret");
        // relating to a record one may not see is as if it were not there
        TestServer.Reply relate = as("bob", "mutation", "{\"resource\":\"tag\",\"operation\":\"relate\",\"id\":\"tag:1\",\"relations\":{\"doc\":\"doc:1\"}}");
        assertError(relate, 404, "NOT_FOUND", "Related record not found: doc:1", "relations.doc");
    }

    @Test
    void resourceScopeShare_coversEveryRecordOfTheOwner() {
        start();
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:1\",\"record\":{\"title\":\"a\"}}");
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:3\",\"record\":{\"title\":\"c\"}}");
        mutateAs("cat", "{\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:2\",\"record\":{\"title\":\"b\"}}");
        TestServer.Reply r = as("ann", "mutation", "{\"resource\":\"doc\",\"operation\":\"share\",\"scope\":\"resource\",\"shareWith\":{\"userId\":\"bob\"}}");
        assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
        assertThat(ids(queryAs("bob", "{\"resource\":\"doc\"}"))).containsExactly("doc:1", "doc:3");
        mutateAs("ann", "{\"resource\":\"doc\",\"operation\":\"unshare\",\"scope\":\"resource\",\"shareWith\":{\"userId\":\"bob\"}}");
        assertThat(ids(queryAs("bob", "{\"resource\":\"doc\"}"))).isEmpty();
    }

    @Test
    void share_badScopeOrPrincipal_isRefusedWithItsCode() {
        start();
        assertError(as("ann", "mutation", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"scope\":\"world\",\"shareWith\":{\"userId\":\"bob\"}}"),
                400, "DFQL_SHARE_SCOPE_INVALID", null, "$.scope");
        assertError(as("ann", "mutation", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{}}"),
                400, "DFQL_PRINCIPAL_INVALID", null, "$.shareWith.userId");
        assertError(as("ann", "mutation", "{\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\",\"level\":\"god\"}}"),
                400, "DFQL_INVALID", null, "$.shareWith.level");
        assertError(as("ann", "mutation", "{\"resource\":\"doc\",\"operation\":\"merge\",\"id\":\"doc:1\",\"record\":{\"visibility\":\"shared\"}}"),
                400, "DFQL_UNKNOWN_FIELD", "Unknown field: visibility on doc", "$.record.visibility");
    }

    /** Small helpers over pull buckets. */
    static final class Json2 {
        static JsonNode data(JsonNode rows) {
            com.fasterxml.jackson.databind.node.ObjectNode o = io.datafn.json.Json.object();
            o.set("data", rows);
            return o;
        }
    }
}
