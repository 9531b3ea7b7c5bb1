package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Group;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input over HTTP (issue: nothing lost, nobody let in): random JSON and mutated valid requests on every
 * endpoint, wrong types in every field, deep and huge values, SQL metacharacters and unicode in every string position
 * (field names, sort terms, cursors, ids). Each answer is an envelope; a failure is a 4xx with a code and a path, never
 * a 5xx, never a hang (each request has a deadline). Bounded: {@code jqwik.tries.default} (200, in
 * junit-platform.properties) inputs per property and database in {@code ./mvnw verify}; a longer campaign:
 * {@code ./mvnw -pl datafn-server -am verify -Dtest=HostileInputPropertyTest -Djqwik.tries.default=100000}.
 */
class HostileInputPropertyTest {
    static final String[] ENDPOINTS = {"query", "mutation", "transact", "clone", "pull", "push", "reconcile", "seed",
            "search"};
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Map<TestDb, TestServer> SERVERS = new EnumMap<>(TestDb.class);

    static synchronized TestServer server(TestDb db) {
        return SERVERS.computeIfAbsent(db, d -> {
            TestServer s = TestServer.start(d, Fixtures.F1_SCHEMA,
                    b -> b.searchProvider(new io.datafn.lucene.LuceneSearchProvider()).rest(true));
            s.mutate("{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:g1\",\"record\":{\"label\":\"G\",\"status\":\"open\"}}");
            return s;
        });
    }

    @AfterContainer
    static synchronized void stopServers() {
        SERVERS.values().forEach(TestServer::close);
        SERVERS.clear();
    }

    /** Valid requests of each endpoint, the seeds that mutation starts from. */
    static final Map<String, String> VALID = Map.of(
            "query", "{\"resource\":\"task\",\"select\":[\"id\",\"label\",\"goal.*\"],\"filters\":{\"$or\":[{\"priority\":{\"gte\":2}},{\"label\":{\"like\":\"T%\"}}]},\"sort\":[\"-priority\",\"id\"],\"limit\":5,\"cursor\":{\"after\":{\"priority\":3,\"id\":\"task:1\"}}}",
            "mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:1\",\"record\":{\"label\":\"x\",\"priority\":1},\"if\":{\"priority\":{\"lt\":9}},\"clientId\":\"c\",\"mutationId\":\"m\"}",
            "transact", "{\"atomic\":true,\"steps\":[{\"query\":{\"resource\":\"goal\"}},{\"mutation\":{\"resource\":\"goal\",\"operation\":\"insert\",\"id\":\"goal:n\",\"record\":{\"label\":\"n\"}}}]}",
            "clone", "{\"clientId\":\"c\",\"tables\":[\"goal\",\"task\"],\"includeJoins\":true,\"page\":{\"table\":\"task\",\"limit\":2}}",
            "pull", "{\"clientId\":\"c\",\"cursors\":{\"goal\":\"0\",\"task\":\"1\"},\"limit\":10,\"includeJoins\":true}",
            "push", "{\"clientId\":\"c\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:p\",\"record\":{\"label\":\"p\"},\"clientId\":\"c\",\"mutationId\":\"p1\"}]}",
            "reconcile", "{\"clientId\":\"c\",\"resources\":[\"goal\"],\"counts\":{\"task\":3},\"includeJoins\":true}",
            "seed", "{\"clientId\":\"c\",\"data\":{\"tag\":[{\"id\":\"tag:s\",\"label\":\"s\"}]}}",
            "search", "{\"query\":\"G\",\"resources\":[\"goal\"],\"limit\":5,\"fuzzy\":true,\"prefix\":true,\"fieldBoosts\":{\"label\":2}}");

    @Provide
    Arbitrary<String> hostileStrings() {
        return Arbitraries.oneOf(
                Arbitraries.of("'; DROP TABLE task; --", "\" OR 1=1 --", "%", "_", "\\", "\u0000", "\ud800", "\udfff",
                        "💥", "ﬁ", "İ", "..", "/", "__proto__x", "$or", "$any", "goal.label", "goal.*#", "-id", "id:desc",
                        "99999999999999999999999", "-1", "1e309", "NaN", "Infinity", "", " ", "null", "true",
                        "task:1", "join_task_tags_tag", "__datafn_x", "datafn_changes"),
                Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().withCharRange('\u0000', '\uffff').ofMaxLength(12),
                Arbitraries.strings().withChars('a', '%', '\'', '"', '\\', ':', '$', '.').ofMinLength(1).ofMaxLength(3000));
    }

    @Provide
    Arbitrary<JsonNode> hostileValues() {
        JsonNodeFactory f = Json.NODES;
        return Arbitraries.lazyOf(
                () -> hostileStrings().map(f::textNode),
                () -> Arbitraries.of(f.numberNode(Double.MAX_VALUE), f.numberNode(-1), f.numberNode(0.5),
                        f.numberNode(Long.MAX_VALUE), f.numberNode(new java.math.BigDecimal("1e400")), f.booleanNode(true),
                        f.nullNode(), f.numberNode(1 << 30)),
                () -> Arbitraries.integers().between(0, 4).flatMap(n -> hostileValues().list().ofSize(n)).map(l -> {
                    ArrayNode a = f.arrayNode();
                    l.forEach(a::add);
                    return a;
                }),
                () -> Arbitraries.integers().between(0, 3).flatMap(n ->
                        hostileStrings().list().ofSize(n).flatMap(keys -> hostileValues().list().ofSize(keys.size())
                                .map(vals -> {
                                    ObjectNode o = f.objectNode();
                                    for (int i = 0; i < keys.size(); i++) {
                                        o.set(keys.get(i), vals.get(i));
                                    }
                                    return (JsonNode) o;
                                }))),
                () -> Arbitraries.integers().between(50, 400).map(HostileInputPropertyTest::deep));
    }

    static JsonNode deep(int depth) {
        ObjectNode root = Json.object();
        ObjectNode cur = root;
        for (int i = 0; i < depth; i++) {
            cur = cur.putObject(i % 2 == 0 ? "$and" : "$not");
        }
        return root;
    }

    /** A valid request of the endpoint with one value somewhere inside replaced by a hostile one. */
    @Provide
    Arbitrary<Object[]> mutatedRequests() {
        return Arbitraries.of(ENDPOINTS).flatMap(endpoint -> {
            JsonNode valid = Json.parse(VALID.get(endpoint));
            List<List<Object>> paths = new ArrayList<>();
            collect(valid, new ArrayList<>(), paths);
            return Arbitraries.of(paths).flatMap(path -> Arbitraries.oneOf(hostileValues(), hostileStrings().map(s -> (JsonNode) null))
                    .flatMap(v -> hostileStrings().map(key -> {
                        JsonNode copy = valid.deepCopy();
                        replace(copy, path, v, key);
                        return new Object[]{endpoint, Json.text(copy)};
                    })));
        });
    }

    static void collect(JsonNode n, List<Object> path, List<List<Object>> out) {
        out.add(List.copyOf(path));
        if (n.isObject()) {
            n.fieldNames().forEachRemaining(k -> {
                path.add(k);
                collect(n.get(k), path, out);
                path.remove(path.size() - 1);
            });
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                path.add(i);
                collect(n.get(i), path, out);
                path.remove(path.size() - 1);
            }
        }
    }

    /** Sets the value at {@code path} to {@code v}; a null {@code v} renames the last key to {@code key} instead. */
    static void replace(JsonNode root, List<Object> path, JsonNode v, String key) {
        if (path.isEmpty()) {
            if (root instanceof ObjectNode o && v == null) {
                o.set(key, Json.NODES.textNode(key));
            }
            return;
        }
        JsonNode parent = root;
        for (int i = 0; i < path.size() - 1; i++) {
            Object p = path.get(i);
            parent = p instanceof String s ? parent.get(s) : parent.get((Integer) p);
        }
        Object last = path.get(path.size() - 1);
        if (parent instanceof ObjectNode o && last instanceof String k) {
            if (v == null) {
                JsonNode old = o.remove(k);
                o.set(key, old);
            } else {
                o.set(k, v);
            }
        } else if (parent instanceof ArrayNode a && last instanceof Integer i) {
            a.set(i, v == null ? Json.NODES.textNode(key) : v);
        }
    }

    static void assertEnvelope(TestServer s, String endpoint, String body) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + endpoint))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r;
        try {
            r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new AssertionError("no answer (" + e + ") to " + endpoint + " " + abbreviate(body), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        assertThat(r.statusCode()).as("status of %s %s: %s", endpoint, abbreviate(body), abbreviate(r.body())).isLessThan(500);
        JsonNode env = Json.parse(r.body());
        assertThat(env.has("ok")).as("envelope of %s", abbreviate(r.body())).isTrue();
        // the envelope's error, or pull's (validation answers inside result); transact's TRANSACTION_ROLLED_BACK
        // summary has no path by the protocol, its steps carry theirs
        JsonNode error = !env.path("ok").asBoolean() ? env.path("error")
                : endpoint.equals("pull") ? env.path("result").path("error") : null;
        if (error != null && error.isObject()) {
            assertThat(error.path("code").isTextual()).as("code in %s", abbreviate(r.body())).isTrue();
            assertThat(error.path("details").path("path").isTextual()).as("path in %s", abbreviate(r.body())).isTrue();
        }
    }

    static String abbreviate(String s) {
        return s.length() > 600 ? s.substring(0, 600) + "..." : s;
    }

    abstract static class Properties {
        abstract TestDb db();

        @Property
        void mutatedValidRequests_getA4xxEnvelopeWithAPath_never5xx(@ForAll("mutatedRequests") Object[] request) {
            assertEnvelope(server(db()), (String) request[0], (String) request[1]);
        }

        @Property
        void randomJson_onEveryEndpoint_getsAnEnvelope(@ForAll("endpoints") String endpoint,
                                                       @ForAll("hostileValues") JsonNode body) {
            assertEnvelope(server(db()), endpoint, Json.text(body));
        }

        @Provide
        Arbitrary<String> endpoints() {
            return Arbitraries.of(ENDPOINTS);
        }
    }

    @Group
    class OnSqlite extends Properties {
        @Override
        TestDb db() {
            return TestDb.SQLITE;
        }
    }

    @Group
    @AddLifecycleHook(QueryPropertyTest.PostgresOrSkip.class)
    class OnPostgres extends Properties {
        @Override
        TestDb db() {
            return TestDb.POSTGRES;
        }
    }
}
