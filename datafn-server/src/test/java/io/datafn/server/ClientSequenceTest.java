package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the DataFn client sends over its life, replayed request by request, and what it must get back to keep working
 * (issue: the real client end to end): dates as epoch-millisecond numbers in every response shape (the client
 * filters and sorts its local store on the raw value), a push with one bad mutation acknowledged per mutation (the
 * client drops what was applied or failed not retryable and keeps the rest), and trash, restore, archive and share
 * travelling through push and pull to a second device. Two devices of one team, users from {@code X-User}.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class ClientSequenceTest {
    static final String SCHEMA = """
            {"resources":[
              {"name":"task","version":1,"idPrefix":"task","capabilities":["timestamps","trash","archivable"],
               "fields":[{"name":"label","type":"string","required":true,"maxLength":20},
                         {"name":"dueAt","type":"date","nullable":true}]},
              {"name":"tag","version":1,"fields":[{"name":"name","type":"string"}]},
              {"name":"doc","version":1,"capabilities":["audit",{"shareable":{"default":"private"}}],
               "fields":[{"name":"title","type":"string"},{"name":"at","type":"date","nullable":true}]}
            ],
            "relations":[{"from":"task","to":"tag","type":"many-many","relation":"tags","inverse":"tasks",
                          "metadata":[{"name":"addedAt","type":"date"}]}]}
            """;
    static final long JAN_2 = 1767312000000L; // 2026-01-02T00:00:00Z
    static final long JAN_5 = 1767571200000L; // 2026-01-05T00:00:00Z

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
        s = TestServer.start(db, SCHEMA, b -> b.namespaceProvider(Fixtures.TEAM));
    }

    TestServer.Reply send(String user, String endpoint, String body) {
        return s.postAs(user, endpoint, body);
    }

    static String mutation(String device, String mid, String body) {
        return "{\"clientId\":\"" + device + "\",\"mutationId\":\"" + mid + "\",\"version\":1,\"timestampMs\":1," + body + "}";
    }

    static String push(String device, String... mutations) {
        return "{\"clientId\":\"" + device + "\",\"mutations\":[" + String.join(",", mutations) + "]}";
    }

    /** What the client acknowledges of a push answer: applied ids and errors with retryable false. */
    static List<String> acknowledged(JsonNode result) {
        List<String> out = new ArrayList<>();
        result.get("applied").forEach(a -> out.add(a.asText()));
        result.get("errors").forEach(e -> {
            if (!e.get("retryable").asBoolean()) {
                out.add(e.get("mutationId").asText());
            }
        });
        return out;
    }

    static void assertDate(JsonNode v, long expected) {
        assertThat(v.isNumber()).as("a date on the wire is an epoch-ms number, got %s", v).isTrue();
        assertThat(v.asLong()).isEqualTo(expected);
    }

    @Test
    void clientLife_datesAreNumbers_pushIsAcknowledgedPerMutation_capabilitiesTravel() {
        start();
        // device A clones an empty namespace
        JsonNode clone = send("ann", "clone", "{\"clientId\":\"dev-a\",\"tables\":[\"task\",\"tag\"],\"includeJoins\":true}").result();
        assertJson(clone.get("cursors"), "{\"task\":\"0\",\"tag\":\"0\"}");

        // offline, device A queues five mutations; one breaks a field rule, one relates to a tag not there yet
        TestServer.Reply first = send("ann", "push", push("dev-a",
                mutation("dev-a", "m1", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"one\",\"dueAt\":\"2026-01-02\"}"),
                mutation("dev-a", "m2", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:2\",\"record\":{\"label\":\"two\",\"dueAt\":" + JAN_5 + "}"),
                mutation("dev-a", "m3", "\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:3\",\"record\":{\"label\":\"a label much longer than twenty\"}"),
                mutation("dev-a", "m4", "\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":[{\"$ref\":\"tag:x\",\"addedAt\":\"2026-01-05T00:00:00Z\"}]}"),
                mutation("dev-a", "m5", "\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:2\",\"record\":{\"label\":\"two!\"}")));
        assertThat(first.status()).isEqualTo(400);
        assertThat(first.result().get("ok").asBoolean()).isFalse();
        assertThat(acknowledged(first.result())).containsExactlyInAnyOrder("m1", "m2", "m3", "m5");
        JsonNode m4 = first.result().get("errors").get(1);
        assertThat(m4.get("mutationId").asText()).isEqualTo("m4");
        assertThat(m4.get("retryable").asBoolean()).isTrue();

        // the tag arrives from device B; device A's retry of m4 (with the acknowledged ones gone) applies
        send("bob", "push", push("dev-b", mutation("dev-b", "b1", "\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:x\",\"record\":{\"name\":\"x\"}")));
        TestServer.Reply retry = send("ann", "push", push("dev-a",
                mutation("dev-a", "m4", "\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":[{\"$ref\":\"tag:x\",\"addedAt\":\"2026-01-05T00:00:00Z\"}]}")));
        assertThat(retry.status()).as("%s", retry.body()).isEqualTo(200);
        assertJson(retry.result().get("applied"), "[\"m4\"]");

        // device B pulls: every date is a number
        JsonNode pull = send("bob", "pull", "{\"clientId\":\"dev-b\",\"cursors\":{\"task\":\"0\",\"tag\":\"0\",\"join_task_tags_tag\":\"0\"},\"includeJoins\":true}").result();
        JsonNode t1 = pull.get("records").get("task").get(0);
        assertDate(t1.get("dueAt"), JAN_2);
        assertThat(t1.get("createdAt").isNumber()).isTrue();
        assertDate(pull.get("joins").get("join_task_tags_tag").get("upsert").get(0).get("addedAt"), JAN_5);

        // online queries the client mirrors locally: a date filter by number and by ISO string, a date sort,
        // expansion with join metadata, a transact step, a clone
        JsonNode q = send("bob", "query", "{\"resource\":\"task\",\"filters\":{\"dueAt\":{\"gt\":1767225600000}},\"sort\":[\"dueAt:desc\"]}").result();
        assertThat(JsonAssert.ids(q)).containsExactly("task:2", "task:1");
        assertDate(q.get("data").get(0).get("dueAt"), JAN_5);
        JsonNode qIso = send("bob", "query", "{\"resource\":\"task\",\"filters\":{\"dueAt\":{\"gte\":\"2026-01-03\"}}}").result();
        assertThat(JsonAssert.ids(qIso)).containsExactly("task:2");
        JsonNode expanded = send("bob", "query", "{\"resource\":\"tag\",\"select\":[\"id\",\"tasks.*#\"]}").result();
        JsonNode viaTag = expanded.get("data").get(0).get("tasks").get(0);
        assertDate(viaTag.get("dueAt"), JAN_2);
        assertDate(viaTag.get("$relation_metadata").get("addedAt"), JAN_5);
        JsonNode tx = send("bob", "transact", "{\"steps\":[{\"query\":{\"resource\":\"task\",\"filters\":{\"id\":\"task:1\"}}}]}").result();
        assertDate(tx.get("results").get(0).get("result").get("data").get(0).get("dueAt"), JAN_2);
        JsonNode cloneB = send("bob", "clone", "{\"clientId\":\"dev-b\",\"tables\":[\"task\"]}").result();
        assertDate(cloneB.get("data").get("task").get(0).get("dueAt"), JAN_2);

        // trash, restore and archive from device A reach device B as merges
        String cursor = pull.get("cursors").get("task").asText();
        TestServer.Reply life = send("ann", "push", push("dev-a",
                mutation("dev-a", "m6", "\"resource\":\"task\",\"operation\":\"trash\",\"id\":\"task:1\""),
                mutation("dev-a", "m7", "\"resource\":\"task\",\"operation\":\"archive\",\"id\":\"task:2\"")));
        assertJson(life.result().get("applied"), "[\"m6\",\"m7\"]");
        JsonNode afterLife = send("bob", "pull", "{\"clientId\":\"dev-b\",\"cursors\":{\"task\":\"" + cursor + "\"}}").result();
        JsonNode merged = afterLife.get("merged").get("task");
        assertThat(merged.get(0).get("trashedAt").isNumber()).isTrue();
        assertThat(merged.get(0).get("trashedBy").asText()).isEqualTo("ann");
        assertThat(merged.get(1).get("isArchived").asBoolean()).isTrue();
        assertThat(JsonAssert.ids(send("bob", "query", "{\"resource\":\"task\"}").result())).isEmpty();
        send("ann", "push", push("dev-a", mutation("dev-a", "m8", "\"resource\":\"task\",\"operation\":\"restore\",\"id\":\"task:1\"")));
        assertThat(JsonAssert.ids(send("bob", "query", "{\"resource\":\"task\"}").result())).containsExactly("task:1");

        // a private doc shared by ann reaches bob's next pull
        send("ann", "push", push("dev-a", mutation("dev-a", "m9", "\"resource\":\"doc\",\"operation\":\"insert\",\"id\":\"doc:1\",\"record\":{\"title\":\"plan\",\"at\":\"2026-01-02T00:00:00Z\"}")));
        JsonNode before = send("bob", "pull", "{\"clientId\":\"dev-b\",\"cursors\":{\"doc\":\"0\"}}").result();
        assertThat(before.get("records").get("doc")).isEmpty();
        String docCursor = before.get("cursors").get("doc").asText();
        TestServer.Reply share = send("ann", "push", push("dev-a", mutation("dev-a", "m10",
                "\"resource\":\"doc\",\"operation\":\"share\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\",\"level\":\"editor\"}")));
        assertJson(share.result().get("applied"), "[\"m10\"]");
        JsonNode shared = send("bob", "pull", "{\"clientId\":\"dev-b\",\"cursors\":{\"doc\":\"" + docCursor + "\"}}").result();
        JsonNode doc = shared.get("records").get("doc").get(0);
        assertThat(doc.get("title").asText()).isEqualTo("plan");
        assertDate(doc.get("at"), JAN_2);
        TestServer.Reply edit = send("bob", "push", push("dev-b", mutation("dev-b", "b2",
                "\"resource\":\"doc\",\"operation\":\"merge\",\"id\":\"doc:1\",\"record\":{\"title\":\"plan v2\"}")));
        assertJson(edit.result().get("applied"), "[\"b2\"]");
        send("ann", "push", push("dev-a", mutation("dev-a", "m11",
                "\"resource\":\"doc\",\"operation\":\"unshare\",\"id\":\"doc:1\",\"shareWith\":{\"userId\":\"bob\"}")));
        assertThat(JsonAssert.ids(send("bob", "query", "{\"resource\":\"doc\"}").result())).isEmpty();
        assertThat(JsonAssert.ids(send("ann", "query", "{\"resource\":\"doc\"}").result())).containsExactly("doc:1");
    }
}
