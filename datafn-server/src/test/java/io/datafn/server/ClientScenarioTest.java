package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DataFn client's request sequence, played end to end (reference-sync.md §12): clone, offline writes on two
 * devices pushed with a lost response and a duplicate batch, pulls paged with hasMore, reconcile, re-clone of a
 * drifted table. Both devices must end with exactly the server's rows.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class ClientScenarioTest {
    static final List<String> TABLES = List.of("goal", "task", "tag");
    static final String JOIN = "join_task_tags_tag";

    @Parameter
    TestDb db;

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    /** A client as the reference engine behaves: local tables, per-table cursors, a global cursor, a push queue. */
    final class Device {
        final String clientId;
        final Map<String, Map<String, ObjectNode>> tables = new TreeMap<>();
        final Map<String, ObjectNode> joins = new TreeMap<>();
        final Map<String, Long> cursors = new TreeMap<>();
        long global;
        final List<ObjectNode> queue = new ArrayList<>();
        int seq;

        Device(String clientId) {
            this.clientId = clientId;
            TABLES.forEach(t -> tables.put(t, new TreeMap<>()));
        }

        void cloneTables(List<String> names) {
            ObjectNode body = Json.object().put("clientId", clientId).put("includeJoins", true);
            ArrayNode t = body.putArray("tables");
            names.forEach(t::add);
            JsonNode r = s.post("clone", body).result();
            assertThat(r.get("ok").asBoolean()).isTrue();
            for (String name : names) {
                Map<String, ObjectNode> table = tables.get(name);
                table.clear();
                r.get("data").get(name).forEach(row -> table.put(row.get("id").asText(), (ObjectNode) row));
                long c = r.get("cursors").get(name).asLong();
                cursors.put(name, c); // the client overwrites clone cursors
                global = Math.max(global, c);
            }
            if (r.has("joins") && r.get("joins").has(JOIN)) {
                r.get("joins").get(JOIN).forEach(j -> joins.put(j.get("from").asText() + "|" + j.get("to").asText(), (ObjectNode) j));
            }
        }

        void pull() {
            for (int i = 0; i < 50; i++) {
                ObjectNode body = Json.object().put("clientId", clientId).put("limit", 3).put("includeJoins", true);
                ObjectNode cur = body.putObject("cursors");
                TABLES.forEach(t -> cur.put(t, Long.toString(cursors.getOrDefault(t, 0L))));
                cur.put(JOIN, Long.toString(cursors.getOrDefault(JOIN, 0L)));
                cur.put("__datafn_actor_feed__", "0");
                JsonNode r = s.post("pull", body).result();
                assertThat(r.get("ok").asBoolean()).as("pull ok: %s", r).isTrue();
                Iterator<Map.Entry<String, JsonNode>> it = r.get("cursors").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    long c = e.getValue().asLong();
                    assertThat(c).as("non-monotonic cursor for %s", e.getKey()).isGreaterThanOrEqualTo(cursors.getOrDefault(e.getKey(), 0L));
                }
                r.get("records").fields().forEachRemaining(e -> e.getValue().forEach(rec ->
                        tables.get(e.getKey()).put(rec.get("id").asText(), ((ObjectNode) rec).deepCopy())));
                if (r.has("merged")) {
                    r.get("merged").fields().forEachRemaining(e -> e.getValue().forEach(d -> tables.get(e.getKey())
                            .computeIfAbsent(d.get("id").asText(), k -> Json.object()).setAll((ObjectNode) d)));
                }
                r.get("deleted").fields().forEachRemaining(e -> e.getValue().forEach(id -> tables.get(e.getKey()).remove(id.asText())));
                if (r.has("joins") && r.get("joins").has(JOIN)) {
                    JsonNode j = r.get("joins").get(JOIN);
                    j.get("upsert").forEach(row -> joins.put(row.get("from").asText() + "|" + row.get("to").asText(), (ObjectNode) row));
                    j.get("delete").forEach(row -> joins.remove(row.get("from").asText() + "|" + row.get("to").asText()));
                }
                r.get("cursors").fields().forEachRemaining(e -> {
                    cursors.merge(e.getKey(), e.getValue().asLong(), Math::max);
                    global = Math.max(global, e.getValue().asLong());
                });
                if (!r.get("hasMore").asBoolean()) {
                    return;
                }
            }
            throw new AssertionError("pull did not finish in 50 pages");
        }

        void write(String resource, String operation, String id, String json) {
            ObjectNode m = (ObjectNode) Json.parse(json);
            m.put("resource", resource).put("operation", operation).put("id", id)
                    .put("clientId", clientId).put("mutationId", clientId + "-m" + (++seq));
            queue.add(m);
        }

        /** Pushes the queue; with {@code loseResponse} the first attempt's answer is dropped and the batch resent. */
        void push(boolean loseResponse) {
            ObjectNode body = Json.object().put("clientId", clientId);
            ArrayNode list = body.putArray("mutations");
            queue.forEach(list::add);
            if (loseResponse) {
                s.post("push", body);
            }
            TestServer.Reply reply = s.post("push", body);
            JsonNode r = reply.result();
            assertThat(r.get("errors")).as("push errors %s", r).isEmpty();
            assertThat(r.get("applied")).hasSize(queue.size());
            queue.clear();
            if (r.get("cursorBefore").asLong() == global) {
                global = r.get("cursor").asLong();
            }
            pull(); // the engine pulls after a push whose cursorBefore differs; pulling always is also safe
        }

        JsonNode reconcile() {
            ObjectNode body = Json.object().put("clientId", clientId);
            ObjectNode counts = body.putObject("counts");
            TABLES.forEach(t -> counts.put(t, tables.get(t).size()));
            return s.post("reconcile", body).result();
        }
    }

    @Test
    void twoDevices_offlineWritesRetriesPagingAndReconcile_endEqualToTheServer() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        s.post("seed", "{\"data\":{\"goal\":[{\"id\":\"goal:g1\",\"label\":\"G1\"},{\"id\":\"goal:g2\",\"label\":\"G2\"}],"
                + "\"tag\":[{\"id\":\"tag:urgent\",\"label\":\"urgent\"},{\"id\":\"tag:home\",\"label\":\"home\"}]}}");
        Device a = new Device("client:a");
        Device b = new Device("client:b");
        a.cloneTables(TABLES);
        b.cloneTables(TABLES);
        assertThat(a.tables.get("goal")).hasSize(2);

        // offline on both devices
        a.write("task", "insert", "task:a1", "{\"record\":{\"label\":\"from A\",\"priority\":1}}");
        a.write("task", "insert", "task:a2", "{\"record\":{\"label\":\"second from A\"}}");
        a.write("task", "relate", "task:a1", "{\"relations\":{\"tags\":{\"$ref\":\"tag:urgent\",\"order\":1}}}");
        a.write("task", "relate", "task:a1", "{\"relations\":{\"goal\":\"goal:g1\"}}");
        b.write("goal", "merge", "goal:g2", "{\"record\":{\"status\":\"paused\"}}");
        b.write("tag", "delete", "tag:home", "{}");
        b.write("task", "insert", "task:b1", "{\"record\":{\"label\":\"from B\"}}");
        b.write("task", "delete", "task:b1", "{}");
        b.write("task", "insert", "task:b1", "{\"record\":{\"label\":\"B again\"}}");

        a.push(true);   // the first answer is lost; the resent batch is deduplicated
        b.push(false);
        a.write("task", "merge", "task:a2", "{\"record\":{\"priority\":7}}");
        a.write("task", "unrelate", "task:a1", "{\"relations\":{\"tags\":\"tag:urgent\"}}");
        a.push(false);
        b.pull();
        a.pull();

        // local drift on A (e.g. storage lost a row): reconcile finds it, a re-clone of that table repairs it
        a.tables.get("task").remove("task:b1");
        JsonNode rec = a.reconcile();
        assertThat(rec.get("drift").has("task")).isTrue();
        a.cloneTables(List.of("task"));
        assertThat(a.reconcile().get("drift").isEmpty()).isTrue();

        Device truth = new Device("client:truth");
        truth.cloneTables(TABLES);
        for (Device d : List.of(a, b)) {
            for (String t : TABLES) {
                assertThat(Json.canonical(Json.MAPPER.valueToTree(d.tables.get(t))))
                        .as("%s %s", d.clientId, t).isEqualTo(Json.canonical(Json.MAPPER.valueToTree(truth.tables.get(t))));
            }
            assertThat(d.joins.keySet()).as("%s joins", d.clientId).isEqualTo(truth.joins.keySet());
        }
        assertThat(truth.tables.get("task").keySet()).containsExactly("task:a1", "task:a2", "task:b1");
        assertThat(truth.tables.get("task").get("task:a1").get("goalId").asText()).isEqualTo("goal:g1");
        assertThat(truth.tables.get("tag").keySet()).containsExactly("tag:urgent");
        assertThat(truth.joins).isEmpty();
    }
}
