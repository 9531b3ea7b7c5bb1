package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.auth.Authorizer;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.plugin.DatafnPlugin;
import io.datafn.router.RequestContext;
import io.datafn.server.TestServer.Reply;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static io.datafn.server.JsonAssert.assertError;
import static io.datafn.server.JsonAssert.assertJson;
import static io.datafn.server.JsonAssert.ids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request pipeline every route shares (PROTOCOL.md "Request pipeline"): body limits, JSON parsing, disallowed
 * keys, plugin and user authorization, error envelopes, request ids, status, shutdown; on SQLite and PostgreSQL.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class PipelineBlackBoxTest {
    private static final long NOW = 1737148829999L;
    private static final List<String> ALL_CAPABILITIES = List.of("dfql.query", "dfql.mutation", "dfql.transact", "dfql.search",
            "sync.seed", "sync.clone", "sync.pull", "sync.push", "sync.reconcile");

    /** One authorize call: the action and the payload it was given. */
    record Call(String action, JsonNode payload) {
    }

    static final List<Call> calls = new CopyOnWriteArrayList<>();
    static final List<String> hooks = new CopyOnWriteArrayList<>();
    static volatile Authorizer authorize;
    static volatile String denyingPlugin;
    static volatile RuntimeException pluginAuthorizeFailure;
    static volatile RuntimeException beforeQueryFailure;
    static volatile RuntimeException beforeMutationFailure;
    static volatile boolean afterQueryFails;
    static volatile boolean narrowGoalQueries;
    static volatile RuntimeException beforeSyncFailure;
    static volatile boolean afterSyncFails;

    static TestServer s;

    @Parameter
    TestDb db;

    /** Records its hooks; its behaviour is switched by the static fields above. */
    static final class RecordingPlugin implements DatafnPlugin {
        private final String name;

        RecordingPlugin(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean authorize(RequestContext ctx, String action, JsonNode payload) {
            if (name.equals("p1") && pluginAuthorizeFailure != null) {
                throw pluginAuthorizeFailure;
            }
            return !name.equals(denyingPlugin);
        }

        @Override
        public JsonNode beforeQuery(RequestContext ctx, JsonNode query) {
            hooks.add(name + ".beforeQuery");
            if (name.equals("p2") && beforeQueryFailure != null) {
                throw beforeQueryFailure;
            }
            if (name.equals("p1") && narrowGoalQueries && query.isObject()) {
                ObjectNode q = query.deepCopy();
                q.putObject("filters").put("id", "goal:g2");
                return q;
            }
            return query;
        }

        @Override
        public JsonNode afterQuery(RequestContext ctx, JsonNode query, JsonNode result) {
            hooks.add(name + ".afterQuery");
            if (name.equals("p1") && afterQueryFails) {
                throw new IllegalStateException("afterQuery broke");
            }
            return result;
        }

        @Override
        public JsonNode beforeSync(RequestContext ctx, String phase, JsonNode payload) {
            hooks.add(name + ".beforeSync:" + phase);
            if (name.equals("p2") && beforeSyncFailure != null) {
                throw beforeSyncFailure;
            }
            return payload;
        }

        @Override
        public JsonNode afterSync(RequestContext ctx, String phase, JsonNode payload, JsonNode result) {
            hooks.add(name + ".afterSync:" + phase);
            if (name.equals("p1") && afterSyncFails) {
                throw new IllegalStateException("afterSync broke");
            }
            return result;
        }

        @Override
        public JsonNode beforeMutation(RequestContext ctx, JsonNode mutation) {
            if (name.equals("p1") && beforeMutationFailure != null) {
                throw beforeMutationFailure;
            }
            return mutation;
        }
    }

    @BeforeEach
    void start() {
        if (s == null) {
            s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b
                    .clock(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC))
                    .plugin(new RecordingPlugin("p1"))
                    .plugin(new RecordingPlugin("p2"))
                    .authorize((ctx, action, payload) -> {
                        calls.add(new Call(action, payload));
                        return authorize.authorize(ctx, action, payload);
                    }));
            authorize = Authorizer.ALLOW_ALL;
            Fixtures.loadF1(s);
        }
        calls.clear();
        hooks.clear();
        authorize = Authorizer.ALLOW_ALL;
        denyingPlugin = null;
        pluginAuthorizeFailure = null;
        beforeQueryFailure = null;
        beforeMutationFailure = null;
        afterQueryFails = false;
        narrowGoalQueries = false;
        beforeSyncFailure = null;
        afterSyncFails = false;
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        if (s != null) {
            s.close();
            s = null;
        }
    }

    private static Reply postRaw(TestServer server, String endpoint, HttpRequest.BodyPublisher body, String requestId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url + "/datafn/" + endpoint))
                .header("Content-Type", "application/json").POST(body);
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return server.send(b.build());
    }

    private static Reply getWithRequestId(String endpoint, String requestId) {
        return s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/" + endpoint)).header("X-Request-Id", requestId).GET().build());
    }

    // body parsing

    @Test
    void invalidJson_isInvalidAndAuthorizeIsNotCalled() {
        for (String route : List.of("query", "mutation", "transact")) {
            for (String body : List.of("{invalid json", "{\"resource\":\"task\"} trailing", "[1,]", "{\"a\":1,\"a\":2}")) {
                assertError(s.post(route, body), 400, "DFQL_INVALID", "Invalid JSON", "$");
            }
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void emptyBody_isInvalidJsonAndAuthorizeIsNotCalled() {
        for (String route : List.of("query", "mutation", "transact")) {
            assertError(s.post(route, ""), 400, "DFQL_INVALID", "Invalid JSON", "$");
        }
        assertThat(calls).isEmpty();
    }

    @Test
    void jsonThatIsNotObjectOrArray_isInvalidDfql() {
        for (String body : List.of("\"hello\"", "42", "true", "null")) {
            assertError(s.post("query", body), 400, "DFQL_INVALID", "Invalid DFQL: expected object or array", "$");
            assertError(s.post("mutation", body), 400, "DFQL_INVALID", "Invalid DFQL: expected object or array", "$");
            assertError(s.post("transact", body), 400, "DFQL_INVALID", "Invalid DFQL: expected 'steps' array", "steps");
        }
    }

    @Test
    void prototypeKeys_anywhereInTheBody_areRejectedBeforeAuthorize() {
        assertError(s.post("query", "{\"__proto__\":{},\"resource\":\"task\"}"), 400, "DFQL_INVALID", null, "$");
        assertError(s.post("query", "{\"resource\":\"task\",\"filters\":{\"constructor\":{\"eq\":1}}}"), 400, "DFQL_INVALID", null, "$");
        assertError(s.post("query", "[{\"resource\":\"task\"},{\"resource\":\"task\",\"filters\":{\"$and\":[{\"prototype\":1}]}}]"),
                400, "DFQL_INVALID", null, "$");
        assertError(s.post("mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:proto\",\"record\":{\"label\":\"x\",\"__proto__\":{\"admin\":true}}}"),
                400, "DFQL_INVALID", null, "$");
        assertError(s.post("transact", "{\"steps\":[{\"query\":{\"resource\":\"task\",\"filters\":{\"label\":{\"in\":[{\"constructor\":1}]}}}}]}"),
                400, "DFQL_INVALID", null, "$");
        assertThat(calls).isEmpty();
        assertThat(ids(s.query("{\"resource\":\"task\",\"filters\":{\"id\":\"task:proto\"}}"))).isEmpty();
    }

    @Test
    void textNoDatabaseCanStore_isInvalidAtItsPath() {
        String message = "Invalid DFQL: strings may not contain NUL characters or unpaired surrogates";
        assertError(s.post("mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:nul\",\"record\":{\"label\":\"a\\u0000b\"}}"),
                400, "DFQL_INVALID", message, "$.record.label");
        assertError(s.post("mutation", "[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:\\ud800\",\"record\":{\"label\":\"x\"}}]"),
                400, "DFQL_INVALID", message, "$[0].id");
        assertError(s.post("query", "{\"resource\":\"tag\",\"filters\":{\"label\":{\"in\":[\"ok\",\"\\udc00\"]}}}"),
                400, "DFQL_INVALID", message, "$.filters.label.in[1]");
        assertError(s.post("mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:nul\",\"record\":{\"label\":\"x\",\"meta\":{\"k\\u0000\":1}}}"),
                400, "DFQL_INVALID", message, "$.record.meta");
        assertThat(calls).isEmpty();
        assertThat(s.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:emoji\",\"record\":{\"label\":\"\\ud83d\\ude00 ok\"}}")
                .path("ok").asBoolean()).isTrue();
        assertThat(s.query("{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:emoji\"}}").path("data").get(0).path("label").asText())
                .isEqualTo("\uD83D\uDE00 ok");
    }

    @Test
    void prototypeWordsAsValues_areOrdinaryData() {
        assertThat(s.query("{\"resource\":\"task\",\"filters\":{\"label\":{\"in\":[\"__proto__\",\"constructor\"]}}}").path("data")).isEmpty();
    }

    // authorize

    @Test
    void authorizeFalse_isForbiddenOnEveryRoute() {
        authorize = (ctx, action, payload) -> false;
        for (Reply r : List.of(s.get("status"), s.post("query", "{\"resource\":\"task\"}"),
                s.post("mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:denied\",\"record\":{\"label\":\"x\"}}"),
                s.post("transact", "{\"steps\":[]}"))) {
            assertThat(r.status()).isEqualTo(403);
            assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"Authorization denied\",\"details\":{\"path\":\"$\"}}}");
        }
        authorize = Authorizer.ALLOW_ALL;
        assertThat(ids(s.query("{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:denied\"}}"))).isEmpty();
    }

    @Test
    void authorize_onStatus_isCalledOnceWithStatusAndNullPayload() {
        assertThat(s.get("status").status()).isEqualTo(200);
        assertThat(calls).containsExactly(new Call("status", null));
    }

    @Test
    void authorize_onPost_isCalledOnceWithActionAndParsedBody() {
        String query = "{\"resource\":\"task\",\"version\":1,\"select\":[\"id\"]}";
        String batch = "[{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:a1\"},{\"resource\":\"tag\",\"operation\":\"delete\",\"id\":\"tag:a2\"}]";
        String transact = "{\"steps\":[{\"query\":{\"resource\":\"goal\"}},{\"query\":{\"resource\":\"tag\"}}]}";
        s.query(query);
        s.mutate(batch);
        assertThat(s.post("transact", transact).status()).isEqualTo(200);
        assertThat(calls).containsExactly(new Call("query", Json.parse(query)), new Call("mutation", Json.parse(batch)),
                new Call("transact", Json.parse(transact)));
    }

    @Test
    void authorizeThrowing_isInternalErrorWithoutLeakingTheCause() {
        authorize = (ctx, action, payload) -> {
            throw new IllegalStateException("secret: SELECT * FROM users");
        };
        Reply r = s.post("query", "{\"resource\":\"task\"}");
        assertThat(r.status()).isEqualTo(500);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":{\"path\":\"$\"}}}");
        assertThat(r.raw().body()).doesNotContain("secret").doesNotContain("Exception").doesNotContain("at io.");
        assertThat(r.header("X-Request-Id")).isNotBlank();
    }

    // payload size

    @Test
    void payloadOverMaxPayloadBytes_isTooLargeWithAndWithoutContentLength() {
        AtomicInteger authorized = new AtomicInteger();
        try (TestServer small = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b
                .limits(Limits.defaults().withMaxPayloadBytes(100))
                .authorize((ctx, action, payload) -> authorized.incrementAndGet() > 0))) {
            String big = "{\"resource\":\"task\",\"filters\":{\"label\":\"" + "x".repeat(200) + "\"}}";
            String expected = "{\"ok\":false,\"error\":{\"code\":\"LIMIT_EXCEEDED\",\"message\":\"Request payload exceeds maximum size\","
                    + "\"details\":{\"path\":\"$\",\"max\":100}}}";
            Reply withLength = small.post("query", big);
            assertThat(withLength.status()).isEqualTo(413);
            assertJson(withLength.body(), expected);
            byte[] bytes = big.getBytes(StandardCharsets.UTF_8);
            Reply chunked = postRaw(small, "mutation", HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)), null);
            assertThat(chunked.status()).isEqualTo(413);
            assertJson(chunked.body(), expected);
            assertThat(authorized.get()).isZero();
            assertThat(small.post("query", "{\"resource\":\"task\"}").status()).isEqualTo(200);
        }
    }

    // request ids

    @Test
    void requestId_validIsEchoedOtherwiseGenerated() {
        assertThat(getWithRequestId("status", "req-1_A.b").header("X-Request-Id")).isEqualTo("req-1_A.b");
        String generated = s.get("status").header("X-Request-Id");
        assertThat(generated).matches("[A-Za-z0-9._-]{1,128}");
        for (String invalid : List.of("bad/id", "x".repeat(129), "a:b")) {
            String answered = getWithRequestId("status", invalid).header("X-Request-Id");
            assertThat(answered).isNotEqualTo(invalid).matches("[A-Za-z0-9._-]{1,128}");
        }
        assertThat(getWithRequestId("nope", "req-404").header("X-Request-Id")).isEqualTo("req-404");
        assertThat(postRaw(s, "query", HttpRequest.BodyPublishers.ofString("{"), "req-400").header("X-Request-Id")).isEqualTo("req-400");
    }

    // status

    @Test
    void status_reportsHashCapabilitiesLimitsAndRoundedTime() {
        Reply r = s.get("status");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type").replace(" ", "")).isEqualToIgnoringCase("application/json;charset=utf-8");
        JsonNode result = r.result();
        assertThat(result.path("schemaHash").asText()).matches("^sha256:[0-9a-f]{64}$");
        List<String> caps = new ArrayList<>();
        result.path("capabilities").forEach(c -> caps.add(c.asText()));
        assertThat(caps).startsWith("dfql.query", "dfql.mutation", "dfql.transact");
        assertThat(ALL_CAPABILITIES).containsSubsequence(caps);
        assertJson(result.path("limits"), "{\"maxLimit\":100,\"maxPayloadBytes\":5242880,\"maxPullLimit\":1000}");
        assertThat(result.path("serverTimeMs").asLong()).isEqualTo(1737148800000L);
    }

    @Test
    void status_showsConfiguredTransactStepsAndRoundsHalfMinutesUp() {
        try (TestServer other = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b
                .limits(Limits.defaults().withMaxTransactSteps(7))
                .clock(Clock.fixed(Instant.ofEpochMilli(1737148830000L), ZoneOffset.UTC)))) {
            JsonNode result = other.get("status").result();
            assertJson(result.path("limits"), "{\"maxLimit\":100,\"maxTransactSteps\":7,\"maxPayloadBytes\":5242880,\"maxPullLimit\":1000}");
            assertThat(result.path("serverTimeMs").asLong()).isEqualTo(1737148860000L);
        }
    }

    @Test
    void schemaHash_isStableAcrossServersAndChangesWithTheSchema() {
        String hash = s.get("status").result().path("schemaHash").asText();
        try (TestServer same = TestServer.start(db, Fixtures.F1_SCHEMA);
             TestServer other = TestServer.start(db, Fixtures.F1_SCHEMA.replace("\"name\": \"status\"", "\"name\": \"state\""))) {
            assertThat(same.get("status").result().path("schemaHash").asText()).isEqualTo(hash);
            assertThat(other.get("status").result().path("schemaHash").asText()).isNotEqualTo(hash).matches("^sha256:[0-9a-f]{64}$");
        }
    }

    // routes

    @Test
    void unknownRouteOrMethod_isNotFoundEnvelope() {
        for (Reply r : List.of(s.get("nope"), s.post("nope", "{}"), s.get("query"), s.post("status", "{}"), s.get("query/extra"))) {
            assertError(r, 404, "NOT_FOUND", null, "$");
        }
        assertThat(calls).isEmpty();
    }

    // plugins

    @Test
    void pluginAuthorizeFalse_isForbiddenNamingThePlugin() {
        denyingPlugin = "p2";
        Reply r = s.post("query", "{\"resource\":\"task\"}");
        assertThat(r.status()).isEqualTo(403);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"Authorization denied\",\"details\":{\"path\":\"$\",\"plugin\":\"p2\"}}}");
        assertThat(calls).isEmpty();
        assertThat(hooks).isEmpty();
    }

    @Test
    void pluginAuthorizeThrowingDatafnException_keepsItsCodeAndNamesThePlugin() {
        pluginAuthorizeFailure = new DatafnException(ErrorCode.FORBIDDEN, "Plan expired", "$");
        Reply r = s.post("query", "{\"resource\":\"task\"}");
        assertThat(r.status()).isEqualTo(403);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"Plan expired\",\"details\":{\"path\":\"$\",\"plugin\":\"p1\"}}}");
    }

    @Test
    void pluginAuthorizeThrowing_isInternalError() {
        pluginAuthorizeFailure = new IllegalArgumentException("plugin bug");
        Reply r = s.get("status");
        assertThat(r.status()).isEqualTo(500);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":{\"path\":\"$\"}}}");
    }

    @Test
    void queryHooks_runInRegistrationOrder() {
        s.query("{\"resource\":\"task\",\"select\":[\"id\"]}");
        assertThat(hooks).containsExactly("p1.beforeQuery", "p2.beforeQuery", "p1.afterQuery", "p2.afterQuery");
    }

    @Test
    void beforeQuery_returnValue_replacesTheQuery() {
        narrowGoalQueries = true;
        assertThat(ids(s.query("{\"resource\":\"goal\"}"))).containsExactly("goal:g2");
    }

    @Test
    void beforeQueryThrowingForbidden_isForbidden() {
        beforeQueryFailure = new DatafnException(ErrorCode.FORBIDDEN, "Forbidden", "$");
        Reply r = s.post("query", "{\"resource\":\"task\"}");
        assertThat(r.status()).isEqualTo(403);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"Forbidden\",\"details\":{\"path\":\"$\"}}}");
        assertThat(hooks).containsExactly("p1.beforeQuery", "p2.beforeQuery");
    }

    @Test
    void beforeMutationThrowingForbidden_isForbiddenAndAppliesNothing() {
        beforeMutationFailure = new DatafnException(ErrorCode.FORBIDDEN, "Forbidden", "$");
        assertError(s.post("mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:hooked\",\"record\":{\"label\":\"x\"}}"),
                403, "FORBIDDEN", "Forbidden", "$");
        assertThat(ids(s.query("{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:hooked\"}}"))).isEmpty();
    }

    @Test
    void beforeQueryThrowingUnexpectedly_isInternalError() {
        beforeQueryFailure = new IllegalStateException("boom");
        assertError(s.post("query", "{\"resource\":\"task\"}"), 500, "INTERNAL", "Internal error", "$");
    }

    @Test
    void afterQueryThrowing_leavesTheResponseStanding() {
        afterQueryFails = true;
        assertThat(ids(s.query("{\"resource\":\"goal\",\"filters\":{\"id\":\"goal:g1\"}}"))).containsExactly("goal:g1");
        assertThat(hooks).containsExactly("p1.beforeQuery", "p2.beforeQuery", "p1.afterQuery", "p2.afterQuery");
    }

    @Test
    void syncHooks_runInRegistrationOrderOnEverySyncRoute_noAfterSyncForStreamedClone() {
        String[][] routes = {
                {"clone", "{\"tables\":[\"tag\"]}"},
                {"pull", "{\"cursors\":{\"tag\":\"0\"}}"},
                {"push", "{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:synchook\","
                        + "\"clientId\":\"c-hook\",\"mutationId\":\"m-hook\",\"record\":{\"label\":\"x\"}}]}"},
                {"reconcile", "{\"resources\":[\"tag\"]}"}};
        for (String[] r : routes) {
            hooks.clear();
            assertThat(s.post(r[0], r[1]).status()).as(r[0]).isEqualTo(200);
            List<String> expected = new ArrayList<>(List.of("p1.beforeSync:" + r[0], "p2.beforeSync:" + r[0]));
            if (!r[0].equals("clone")) { // a clone is streamed, never held whole (docs/PROTOCOL-NOTES.md): no afterSync
                expected.addAll(List.of("p1.afterSync:" + r[0], "p2.afterSync:" + r[0]));
            }
            assertThat(hooks).as(r[0]).containsExactlyElementsOf(expected);
        }
        // seed writes records too (the README's data form), so its hooks run, unlike the original's (PROTOCOL-NOTES)
        hooks.clear();
        assertThat(s.post("seed", "{\"clientId\":\"c-hook\"}").status()).isEqualTo(200);
        assertThat(hooks).containsExactly("p1.beforeSync:seed", "p2.beforeSync:seed", "p1.afterSync:seed", "p2.afterSync:seed");
    }

    @Test
    void beforeSyncThrowing_isItsAnswerAndAppliesNothing_afterSyncThrowing_leavesTheResponseStanding() {
        beforeSyncFailure = new DatafnException(ErrorCode.FORBIDDEN, "Forbidden", "$");
        Reply r = s.post("push", "{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:blocked\","
                + "\"clientId\":\"c-hook\",\"mutationId\":\"m-blocked\",\"record\":{\"label\":\"x\"}}]}");
        assertThat(r.status()).isEqualTo(403);
        assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"Forbidden\",\"details\":{\"path\":\"$\"}}}");
        assertThat(hooks).containsExactly("p1.beforeSync:push", "p2.beforeSync:push");
        assertThat(ids(s.query("{\"resource\":\"tag\",\"filters\":{\"id\":\"tag:blocked\"}}"))).isEmpty();
        beforeSyncFailure = new IllegalStateException("boom");
        assertError(s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}"), 500, "INTERNAL", "Internal error", "$");

        beforeSyncFailure = null;
        afterSyncFails = true;
        hooks.clear();
        Reply pulled = s.post("pull", "{\"cursors\":{\"tag\":\"0\"}}");
        assertThat(pulled.status()).isEqualTo(200);
        assertThat(pulled.result().path("ok").asBoolean()).isTrue();
        assertThat(hooks).containsExactly("p1.beforeSync:pull", "p2.beforeSync:pull", "p1.afterSync:pull", "p2.afterSync:pull");
    }

    // shutdown

    @Test
    void shuttingDown_answersServiceUnavailableWithoutDetails() {
        try (TestServer closing = TestServer.start(db, Fixtures.F1_SCHEMA)) {
            closing.server.router().beginShutdown();
            for (Reply r : List.of(closing.get("status"), closing.post("query", "{\"resource\":\"task\"}"), closing.post("mutation", "{"))) {
                assertThat(r.status()).isEqualTo(503);
                assertJson(r.body(), "{\"ok\":false,\"error\":{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"Server is shutting down\"}}");
                assertThat(r.header("Content-Type")).startsWith("application/json");
            }
        }
    }

    // query limit

    @Test
    void limit_aboveMaxLimit_isLimitExceeded() {
        assertError(s.post("query", "{\"resource\":\"task\",\"limit\":101}"), 400, "LIMIT_EXCEEDED", "Limit exceeded: limit>100", "limit");
        assertThat(s.post("query", "{\"resource\":\"task\",\"limit\":100}").status()).isEqualTo(200);
    }

    @Test
    void limit_negativeFractionalOrNotANumber_isInvalid() {
        for (String limit : List.of("-1", "1.5", "\"x\"", "\"10\"", "true", "[]", "{}")) {
            assertError(s.post("query", "{\"resource\":\"task\",\"limit\":" + limit + "}"), 400, "DFQL_INVALID", null, "limit");
        }
    }

    // malformed requests never become 500

    @Test
    void malformedRequests_getA4xxEnvelopeWithAPath() {
        List<String[]> cases = List.of(
                new String[]{"query", "{}"},
                new String[]{"query", "{\"resource\":1}"},
                new String[]{"query", "{\"resource\":\"task\",\"select\":\"id\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"select\":[\"goal.nope\"]}"},
                new String[]{"query", "{\"resource\":\"task\",\"select\":[\"a.b.c.d.e.f.g\"]}"},
                new String[]{"query", "{\"resource\":\"task\",\"omit\":\"x\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":[]}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":\"x\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"priority\":{\"gt\":{}}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"priority\":{\"wat\":1}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"priority\":{\"between\":[1]}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"priority\":{\"in\":5}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"label\":{\"like\":5}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"label\":{\"like\":\"" + "%".repeat(201) + "\"}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"$and\":{}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"$or\":[1]}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"$not\":[]}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"tags\":{\"$any\":1}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"tags\":{\"$wat\":{}}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":" + nestedNot(12) + "}"},
                new String[]{"query", "{\"resource\":\"task\",\"sort\":\"x\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"sort\":[{}]}"},
                new String[]{"query", "{\"resource\":\"task\",\"sort\":[\"nope:asc\"]}"},
                new String[]{"query", "{\"resource\":\"task\",\"sort\":[\"label:sideways\"]}"},
                new String[]{"query", "{\"resource\":\"task\",\"cursor\":\"abc\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"cursor\":{\"after\":1}}"},
                new String[]{"query", "{\"resource\":\"task\",\"cursor\":{\"after\":{\"nope\":1}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"sort\":[\"priority\"],\"cursor\":{\"after\":{\"priority\":{}, \"id\":\"x\"}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"offset\":-1}"},
                new String[]{"query", "{\"resource\":\"task\",\"offset\":\"1\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"count\":\"yes\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"groupBy\":\"x\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"groupBy\":[\"nope\"]}"},
                new String[]{"query", "{\"resource\":\"task\",\"aggregations\":{\"a\":1}}"},
                new String[]{"query", "{\"resource\":\"task\",\"aggregations\":{\"a\":{\"fn\":\"nope\"}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"aggregations\":{\"a\":{\"fn\":\"sum\",\"field\":\"nope\"}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"having\":{\"x\":1}}"},
                new String[]{"query", "{\"resource\":\"task\",\"relation\":\"tags\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"relation\":\"tags\",\"id\":5}"},
                new String[]{"query", "{\"resource\":\"task\",\"relation\":5,\"id\":\"task:t1\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"search\":\"x\"}"},
                new String[]{"query", "{\"resource\":\"task\",\"groupBy\":[\"goalId\"],\"aggregations\":{\"n\":{\"fn\":\"count\"}},\"cursor\":{\"after\":{\"goalId\":5}}}"},
                new String[]{"query", "{\"resource\":\"task\",\"filters\":{\"label\":\"a\\u0000b\"}}"},
                new String[]{"query", "{\"resource\":\"task\",\"limit\":1e400}"},
                new String[]{"query", "[".repeat(100) + "]".repeat(100)},
                new String[]{"query", "[1]"},
                new String[]{"query", "[null]"},
                new String[]{"query", "[[]]"},
                new String[]{"mutation", "{}"},
                new String[]{"mutation", "{\"resource\":\"task\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":1}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"record\":[]}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"record\":\"x\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":5,\"record\":{\"label\":\"x\"}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"\",\"record\":{\"label\":\"x\"}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"record\":{}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{\"labels\":\"x\"}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{\"priority\":\"high\"}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{},\"if\":[]}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{},\"if\":{\"priority\":{\"wat\":1}}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{},\"if\":{\"$and\":[]}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:t1\",\"record\":{},\"if\":{\"dueAt\":\"nope\"}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relations\":[]}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relations\":{\"tags\":5}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relations\":{\"tags\":{}}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relations\":{\"tags\":[{\"$ref\":5}]}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relations\":{\"tags\":{\"$ref\":\"tag:home\",\"order\":\"first\"}}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relations\":{\"tags\":{\"$ref\":\"tag:home\",\"addedAt\":\"soon\"}}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relation\":5,\"targetId\":\"tag:home\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relation\":\"tags\",\"targetId\":{}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relation\":\"tags\",\"targetId\":\"tag:home\",\"metadata\":[]}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"relate\",\"id\":\"task:t1\",\"relation\":\"tags\",\"targetId\":[5]}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:t1\",\"clientId\":5,\"mutationId\":\"m\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:t1\",\"clientId\":\"c\",\"mutationId\":\"\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:t1\",\"clientId\":\"" + "c".repeat(256) + "\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:t1\",\"version\":\"abc\"}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:t1\",\"version\":1.5}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:t1\",\"version\":0}"},
                new String[]{"mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:\\u0000\",\"record\":{\"label\":\"x\"}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:m\",\"record\":{\"label\":\"x\",\"meta\":{\"\\u0000\":1}}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:inf\",\"record\":{\"label\":\"x\",\"priority\":1e400}}"},
                new String[]{"mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:far\",\"record\":{\"label\":\"x\",\"dueAt\":1e20}}"},
                new String[]{"mutation", "[1]"},
                new String[]{"mutation", "[[]]"},
                new String[]{"transact", "{\"steps\":[{\"query\":1}]}"},
                new String[]{"transact", "{\"steps\":[{\"mutation\":1}]}"},
                new String[]{"transact", "{\"steps\":[{\"query\":{}}]}"},
                new String[]{"transact", "{\"steps\":[{\"query\":{\"resource\":\"task\",\"limit\":-1}}]}"},
                new String[]{"transact", "{\"steps\":[{\"mutation\":{\"resource\":\"task\"}}]}"},
                new String[]{"transact", "{\"steps\":[{\"resource\":5}]}"},
                new String[]{"transact", "{\"steps\":[{\"resource\":\"task\",\"operation\":5,\"id\":\"task:t1\"}]}"},
                new String[]{"transact", "{\"steps\":[null]}"});
        SoftAssertions soft = new SoftAssertions();
        for (String[] c : cases) {
            Reply r = s.post(c[0], c[1]);
            String what = c[0] + " " + c[1] + " -> " + r.status() + " " + r.body();
            soft.assertThat(r.status()).as(what).isBetween(400, 499);
            soft.assertThat(r.body() != null && r.body().path("ok").isBoolean() && !r.body().path("ok").asBoolean()).as(what).isTrue();
            soft.assertThat(r.code()).as(what).isNotNull();
            soft.assertThat(r.body() == null ? null : r.body().path("error").path("details").path("path").isTextual()).as(what).isEqualTo(true);
        }
        soft.assertAll();
    }

    private static String nestedNot(int depth) {
        return "{\"$not\":".repeat(depth) + "{\"priority\":1}" + "}".repeat(depth);
    }
}
