package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PROTOCOL.md "No lost changes" (Fixes 1): many concurrent writers on two server nodes sharing one database, and
 * concurrent pullers; every puller must end with exactly the committed set, in one namespace and in many.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class SeqVisibilityTest {
    static final int WRITERS = 8;
    static final int PUSHES_PER_WRITER = 25;
    static final int PULLERS = 3;

    @Parameter
    TestDb db;

    TestServer a;
    TestServer b;

    @AfterEach
    void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    void startTwoNodes() {
        a = TestServer.start(db, Fixtures.F1_SCHEMA, x -> x.namespaceProvider(ctx -> ctx.header("X-Ns")));
        b = TestServer.startOn(a.jdbcUrl, Fixtures.F1_SCHEMA, x -> x.namespaceProvider(ctx -> ctx.header("X-Ns")));
    }

    TestServer.Reply post(TestServer node, String ns, String endpoint, String body) {
        return node.send(HttpRequest.newBuilder(URI.create(node.url + "/datafn/" + endpoint))
                .header("Content-Type", "application/json").header("X-Ns", ns)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void concurrentWritersOnTwoNodes_oneNamespace_everyPullerSeesEveryCommittedChange() throws Exception {
        run(1);
    }

    @Test
    void concurrentWritersOnTwoNodes_manyNamespaces_everyPullerSeesEveryCommittedChange() throws Exception {
        run(4);
    }

    private void run(int namespaces) throws Exception {
        startTwoNodes();
        Set<String> committed = ConcurrentHashMap.newKeySet();
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + PULLERS * namespaces);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < PUSHES_PER_WRITER; i++) {
                        String ns = "ns" + ((writer + i) % namespaces);
                        String id = "tag:w" + writer + "-" + i;
                        String body = "{\"clientId\":\"w" + writer + "\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\""
                                + id + "\",\"record\":{\"label\":\"x\"},\"clientId\":\"w" + writer + "\",\"mutationId\":\"m" + i + "\"}]}";
                        TestServer.Reply r = post(writer % 2 == 0 ? a : b, ns, "push", body);
                        if (r.status() != 200) {
                            throw new AssertionError("push failed: " + r.body());
                        }
                        committed.add(ns + "/" + id);
                    }
                    return null;
                }));
            }
            List<Future<Set<String>>> pullers = new ArrayList<>();
            for (int p = 0; p < PULLERS; p++) {
                for (int n = 0; n < namespaces; n++) {
                    String ns = "ns" + n;
                    TestServer node = p % 2 == 0 ? a : b;
                    pullers.add(pool.submit(() -> pullUntilDone(node, ns, writing)));
                }
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            Set<String> union = ConcurrentHashMap.newKeySet();
            for (Future<Set<String>> f : pullers) {
                Set<String> seen = f.get(120, TimeUnit.SECONDS);
                union.addAll(seen);
            }
            assertThat(committed).hasSize(WRITERS * PUSHES_PER_WRITER);
            // every puller of a namespace saw exactly that namespace's committed changes
            for (int i = 0; i < pullers.size(); i++) {
                String ns = "ns" + (i % namespaces);
                Set<String> expected = ConcurrentHashMap.newKeySet();
                committed.stream().filter(k -> k.startsWith(ns + "/")).forEach(expected::add);
                assertThat(pullers.get(i).get()).as("puller %d of %s", i, ns).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void cloneWhileWritersRun_thenPullFromItsCursors_missesNothing() throws Exception {
        startTwoNodes();
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 60; i++) {
                        String body = "{\"clientId\":\"w" + writer + "\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:w"
                                + writer + "-" + i + "\",\"record\":{\"label\":\"x\"},\"clientId\":\"w" + writer + "\",\"mutationId\":\"m" + i + "\"}]}";
                        post(writer % 2 == 0 ? a : b, "ns0", "push", body);
                    }
                    return null;
                }));
            }
            List<Set<String>> views = new ArrayList<>();
            while (writers.stream().anyMatch(f -> !f.isDone()) || views.isEmpty()) {
                // clone, then catch up with pull from the clone's cursor: the union must be the whole table
                JsonNode clone = post(a, "ns0", "clone", "{\"tables\":[\"tag\"]}").result();
                Set<String> view = ConcurrentHashMap.newKeySet();
                clone.get("data").get("tag").forEach(r -> view.add(r.get("id").asText()));
                views.add(view);
                String cursor = clone.get("cursors").get("tag").asText();
                view.add("#cursor=" + cursor);
            }
            for (Future<?> f : writers) {
                f.get(120, TimeUnit.SECONDS);
            }
            writing.set(false);
            Set<String> all = ConcurrentHashMap.newKeySet();
            post(a, "ns0", "clone", "{\"tables\":[\"tag\"]}").result().get("data").get("tag")
                    .forEach(r -> all.add(r.get("id").asText()));
            assertThat(all).hasSize(180);
            for (Set<String> view : views) {
                String cursor = view.stream().filter(x -> x.startsWith("#cursor=")).findFirst().orElseThrow().substring(8);
                Set<String> caughtUp = ConcurrentHashMap.newKeySet();
                view.stream().filter(x -> !x.startsWith("#")).forEach(caughtUp::add);
                boolean more = true;
                while (more) {
                    JsonNode r = post(b, "ns0", "pull", "{\"cursors\":{\"tag\":\"" + cursor + "\"},\"limit\":50}").result();
                    r.get("records").get("tag").forEach(rec -> caughtUp.add(rec.get("id").asText()));
                    cursor = r.get("cursors").get("tag").asText();
                    more = r.get("hasMore").asBoolean();
                }
                assertThat(caughtUp).isEqualTo(all);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void pushCursorBefore_isTheForeignSeqBelowThePush_soTheClientPulls() {
        startTwoNodes();
        String mine = "{\"clientId\":\"me\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:mine%d\",\"record\":{\"label\":\"x\"},\"clientId\":\"me\",\"mutationId\":\"m%d\"}]}";
        JsonNode first = post(a, "ns0", "push", String.format(mine, 1, 1)).result();
        long global = first.get("cursor").asLong();
        // a foreign write on another node lands between the client's pushes
        post(b, "ns0", "push", "{\"clientId\":\"other\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:foreign\",\"record\":{\"label\":\"y\"},\"clientId\":\"other\",\"mutationId\":\"f1\"}]}");
        JsonNode second = post(a, "ns0", "push", String.format(mine, 2, 2)).result();
        assertThat(second.has("cursors")).isFalse();
        assertThat(second.get("cursorBefore").asLong()).isEqualTo(global + 1).isNotEqualTo(global);
        JsonNode pull = post(a, "ns0", "pull", "{\"cursors\":{\"tag\":\"" + global + "\"}}").result();
        assertThat(pull.get("records").get("tag").get(0).get("id").asText()).isEqualTo("tag:foreign");
    }

    /** Pulls while writers run, then once more after they stopped; returns "ns/id" of every record received. */
    private Set<String> pullUntilDone(TestServer node, String ns, AtomicBoolean writing) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        String cursor = "0";
        boolean last = false;
        while (true) {
            boolean more;
            do {
                JsonNode r = post(node, ns, "pull", "{\"cursors\":{\"tag\":\"" + cursor + "\"},\"limit\":7}").result();
                if (!r.path("ok").asBoolean()) {
                    throw new AssertionError("pull failed: " + r);
                }
                String next = r.get("cursors").get("tag").asText();
                if (Long.parseLong(next) < Long.parseLong(cursor)) {
                    throw new AssertionError("cursor went back from " + cursor + " to " + next);
                }
                cursor = next;
                r.get("records").get("tag").forEach(rec -> seen.add(ns + "/" + rec.get("id").asText()));
                more = r.get("hasMore").asBoolean();
            } while (more);
            if (last) {
                return seen;
            }
            last = !writing.get();
        }
    }
}
