package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Push batches as the optimistic write path meets them (PushService: a batch runs first without savepoints with its
 * keys claimed together and its writes sent together, and again mutation by mutation when one fails): a failure in
 * the middle of a batch, duplicate keys, replays, a re-sent insert, and two concurrent pushes with overlapping keys
 * answer exactly as the isolated path does. On every database.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class PushBatchBlackBoxTest {
    static final String SCHEMA = """
            {"resources":[
              {"name":"task","version":1,"idPrefix":"task","fields":[
                 {"name":"label","type":"string","required":true},
                 {"name":"code","type":"string","unique":true,"nullable":true}]}
            ]}
            """;

    @Parameter
    TestDb db;

    TestServer s;

    @BeforeEach
    void start() {
        s = TestServer.start(db, SCHEMA);
    }

    @AfterEach
    void stop() {
        s.close();
    }

    static String insert(String mid, String id, String label) {
        return "{\"clientId\":\"c1\",\"mutationId\":\"" + mid + "\",\"resource\":\"task\",\"operation\":\"insert\",\"id\":\""
                + id + "\",\"record\":{\"label\":\"" + label + "\"}}";
    }

    static String push(List<String> mutations) {
        return "{\"clientId\":\"c1\",\"mutations\":[" + String.join(",", mutations) + "]}";
    }

    static String push(String... mutations) {
        return push(List.of(mutations));
    }

    private List<String> changeIds() {
        List<String> ids = new ArrayList<>();
        for (JsonNode c : s.post("pull", "{\"cursor\":\"0\",\"limit\":1000}").result().get("changes")) {
            ids.add(c.get("id").asText());
        }
        return ids;
    }

    @Test
    void failingMutationInTheMiddle_isItsOwnError_theOthersApply_andItsFailureIsKept() {
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:taken\",\"record\":{\"label\":\"stored\"}}");
        List<String> batch = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            batch.add(i == 5 ? insert("m5", "task:taken", "other") : insert("m" + i, "task:" + i, "t" + i));
        }
        batch.add(5, "{\"clientId\":\"c1\",\"mutationId\":\"m-missing\",\"resource\":\"task\",\"operation\":\"merge\","
                + "\"id\":\"task:none\",\"record\":{\"code\":\"x\"}}");
        TestServer.Reply r = s.post("push", push(batch));
        assertThat(r.status()).isEqualTo(400);
        assertJson(r.result().get("applied"), "[\"m1\",\"m2\",\"m3\",\"m4\",\"m6\",\"m7\",\"m8\",\"m9\",\"m10\"]");
        assertJson(r.result().get("errors"), """
                [{"mutationId":"m5","code":"CONFLICT","message":"Record already exists","path":"id","retryable":true},
                 {"mutationId":"m-missing","code":"NOT_FOUND","message":"Record not found: task:none","path":"id","retryable":true}]
                """);
        // one change per applied insert, in batch order, after the first mutation's
        assertThat(changeIds()).containsExactly("task:taken", "task:1", "task:2", "task:3", "task:4", "task:6", "task:7",
                "task:8", "task:9", "task:10");
        assertThat(r.result().get("cursor").asText()).isEqualTo("10");
        assertThat(s.query("{\"resource\":\"task\",\"filters\":{\"id\":\"task:taken\"}}").get("data").get(0)
                .get("label").asText()).isEqualTo("stored");

        // the same batch again: the applied ones answer deduplicated (no new change), the failed ones fail again
        TestServer.Reply again = s.post("push", push(batch));
        assertJson(again.result().get("applied"), "[\"m1\",\"m2\",\"m3\",\"m4\",\"m6\",\"m7\",\"m8\",\"m9\",\"m10\"]");
        assertThat(again.result().get("errors")).hasSize(2);
        assertThat(changeIds()).hasSize(10);
    }

    @Test
    void uniqueClashInTheMiddle_isAConflictAtTheField() {
        List<String> batch = List.of(
                "{\"clientId\":\"c1\",\"mutationId\":\"a\",\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:a\",\"record\":{\"label\":\"a\",\"code\":\"same\"}}",
                "{\"clientId\":\"c1\",\"mutationId\":\"b\",\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:b\",\"record\":{\"label\":\"b\",\"code\":\"same\"}}",
                insert("c", "task:c", "c"));
        TestServer.Reply r = s.post("push", push(batch));
        assertJson(r.result().get("applied"), "[\"a\",\"c\"]");
        assertJson(r.result().get("errors"), """
                [{"mutationId":"b","code":"CONFLICT","message":"Unique field 'code' already holds this value","path":"record.code","retryable":false}]
                """);
        assertThat(changeIds()).containsExactly("task:a", "task:c");
    }

    @Test
    void duplicateKeysInOneBatch_samePayloadAppliesOnce_otherPayloadIsRefused() {
        TestServer.Reply r = s.post("push", push(insert("m1", "task:1", "one"), insert("m2", "task:2", "two"),
                insert("m1", "task:1", "one"), insert("m2", "task:2", "changed"), insert("m3", "task:3", "three")));
        assertJson(r.result().get("applied"), "[\"m1\",\"m2\",\"m1\",\"m3\"]");
        assertThat(r.result().get("errors")).hasSize(1);
        assertThat(r.result().get("errors").get(0).get("mutationId").asText()).isEqualTo("m2");
        assertThat(r.result().get("errors").get(0).get("code").asText()).isEqualTo("CONFLICT");
        assertThat(r.result().get("errors").get(0).get("path").asText()).isEqualTo("mutationId");
        assertThat(changeIds()).containsExactly("task:1", "task:2", "task:3");
    }

    @Test
    void replays_areAnsweredDeduplicated_withoutNewChanges() {
        List<String> batch = new ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            batch.add(insert("m" + i, "task:" + i, "t" + i));
        }
        TestServer.Reply first = s.post("push", push(batch));
        assertThat(first.status()).isEqualTo(200);
        String cursor = first.result().get("cursor").asText();
        // a replay of the whole batch, and one mixing replayed keys with new ones
        TestServer.Reply replay = s.post("push", push(batch));
        assertThat(replay.status()).isEqualTo(200);
        assertJson(replay.result().get("applied"), first.result().get("applied").toString());
        assertThat(replay.result().get("cursor").asText()).isEqualTo(cursor);
        TestServer.Reply mixed = s.post("push", push(insert("m31", "task:31", "new"), batch.get(0), insert("m32", "task:32", "new")));
        assertJson(mixed.result().get("applied"), "[\"m31\",\"m1\",\"m32\"]");
        assertThat(changeIds()).hasSize(32);
        // the single-mutation route sees the pushed key as applied: deduped
        JsonNode one = s.post("mutation", batch.get(2)).result();
        assertThat(one.get("deduped").asBoolean()).isTrue();
        // a replay with another payload under a pushed key is refused
        TestServer.Reply other = s.post("push", push(insert("m3", "task:3", "different")));
        assertThat(other.result().get("errors").get(0).get("path").asText()).isEqualTo("mutationId");
    }

    @Test
    void reSentInsertUnderANewKey_succeedsWithoutAChange() {
        s.post("push", push(insert("m1", "task:1", "one")));
        TestServer.Reply r = s.post("push", push(insert("m2", "task:2", "two"), insert("m1b", "task:1", "one")));
        assertThat(r.status()).isEqualTo(200);
        assertJson(r.result().get("applied"), "[\"m2\",\"m1b\"]");
        assertThat(changeIds()).containsExactly("task:1", "task:2");
    }

    @Test
    void concurrentPushesWithOverlappingKeys_eachKeyAppliesOnce_noDeadlock() throws Exception {
        for (int round = 0; round < 5; round++) {
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                a.add(insert("r" + round + "-" + i, "task:" + round + "-" + i, "x"));
            }
            for (int i = 99; i >= 40; i--) { // overlapping, in the other order
                b.add(insert("r" + round + "-" + i, "task:" + round + "-" + i, "x"));
            }
            CyclicBarrier together = new CyclicBarrier(2);
            CompletableFuture<TestServer.Reply> fa = CompletableFuture.supplyAsync(() -> await(together, push(a)));
            CompletableFuture<TestServer.Reply> fb = CompletableFuture.supplyAsync(() -> await(together, push(b)));
            TestServer.Reply ra = fa.get();
            TestServer.Reply rb = fb.get();
            assertThat(ra.status()).as("%s", ra.body()).isEqualTo(200);
            assertThat(rb.status()).as("%s", rb.body()).isEqualTo(200);
            assertThat(ra.result().get("applied")).hasSize(60);
            assertThat(rb.result().get("applied")).hasSize(60);
        }
        List<String> changes = changeIds();
        assertThat(changes).hasSize(500);
        assertThat(new HashSet<>(changes)).hasSize(500);
        assertThat(s.query("{\"resource\":\"task\",\"count\":true,\"limit\":1}").get("count").asLong()).isEqualTo(500);
    }

    private TestServer.Reply await(CyclicBarrier barrier, String body) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return s.post("push", body);
    }
}
