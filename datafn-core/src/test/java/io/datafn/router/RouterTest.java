package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.DatafnServer;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.plugin.DatafnPlugin;
import io.datafn.schema.Schema;
import io.datafn.store.Store;
import io.datafn.store.Written;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request pipeline of PROTOCOL.md "Request pipeline", driven through {@link Router#handle} with in-memory requests
 * (no sockets, no HTTP framework): routing, payload limit, JSON checks, the order of namespace and authorization
 * hooks, and the error envelope. Only routing concerns: the store below is an empty stand-in whose units of work
 * fail, so a request that reaches storage is answered as any unexpected failure is (500). Everything that reads or
 * writes data is tested on real databases (datafn-jdbc, datafn-server).
 */
class RouterTest {
    private static final String SCHEMA = "{\"resources\":[{\"name\":\"task\",\"version\":1,"
            + "\"fields\":[{\"name\":\"title\",\"type\":\"string\"}]}]}";

    /** A store with no storage: building the server works, every unit of work fails. */
    static final class NoStorage implements Store {
        @Override
        public void migrate(Schema schema) {
        }

        @Override
        public <T> Written<T> writeTracked(String ns, Work<T> work) {
            throw new UnsupportedOperationException("routing tests have no storage");
        }

        @Override
        public void onCommit(Consumer<Written<?>> listener) {
        }

        @Override
        public <T> T read(String ns, Work<T> work) {
            throw new UnsupportedOperationException("routing tests have no storage");
        }

        @Override
        public <T> T stream(String ns, Work<T> work) {
            throw new UnsupportedOperationException("routing tests have no storage");
        }

        @Override
        public Pruned prune(long changesBefore, long idempotencyBefore) {
            return new Pruned(0, 0);
        }

        @Override
        public java.util.List<io.datafn.store.StoreTx.Quarantined> quarantined(String ns, int limit) {
            return java.util.List.of();
        }

        @Override
        public int clearQuarantine(String ns, String clientId, String mutationId) {
            return 0;
        }

        @Override
        public boolean healthy() {
            return true;
        }

        @Override
        public String describe() {
            return "no storage";
        }

        @Override
        public void close() {
        }
    }

    private static Router router(UnaryOperator<DatafnServer.Builder> setup) {
        return setup.apply(DatafnServer.builder().schema(Json.parse(SCHEMA)).store(new NoStorage())).build().router();
    }

    private static Request request(String method, String path, String body, Map<String, String> headers) {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        return new Request(method, path, Map.of(), headers::get, body == null ? 0 : bytes.length,
                new ByteArrayInputStream(bytes), null);
    }

    private static Response post(Router r, String route, String body) {
        return r.handle(request("POST", "/datafn/" + route, body, Map.of()));
    }

    private static JsonNode json(Response r) {
        return Json.parse(new String(r.body(), StandardCharsets.UTF_8));
    }

    /** The status and {@code error} of an error envelope, checked to be one. */
    private static JsonNode error(Response r, int status, ErrorCode code) {
        JsonNode body = json(r);
        assertThat(r.status()).as("status of %s", body).isEqualTo(status);
        assertThat(body.get("ok").asBoolean()).isFalse();
        assertThat(body.path("error").path("code").asText()).isEqualTo(code.name());
        assertThat(r.headers().get("Content-Type")).startsWith("application/json");
        return body.get("error");
    }

    @Test
    void status_needsNoNamespace_andReportsSchemaCapabilitiesAndLimits() {
        Router r = router(b -> b.namespaceProvider(ctx -> {
            throw new IllegalStateException("status must not ask for a namespace");
        }).limits(Limits.defaults().withMaxLimit(40)));
        Response resp = r.handle(request("GET", "/datafn/status", null, Map.of()));
        JsonNode body = json(resp);
        assertThat(resp.status()).isEqualTo(200);
        assertThat(body.get("ok").asBoolean()).isTrue();
        JsonNode result = body.get("result");
        assertThat(result.get("schemaHash").asText()).startsWith("sha256:");
        assertThat(result.get("capabilities").toString()).contains("\"dfql.query\"", "\"sync.push\"").doesNotContain("dfql.search");
        assertThat(result.get("limits").toString()).isEqualTo("{\"maxLimit\":40,\"maxPayloadBytes\":5242880,\"maxPullLimit\":1000}");
        assertThat(result.get("serverTimeMs").asLong() % 60_000).isZero();
    }

    @Test
    void unknownPaths_andWrongMethods_are404() {
        Router r = router(b -> b);
        for (String[] mp : new String[][]{{"GET", "/datafn/query"}, {"POST", "/datafn/status"}, {"POST", "/datafn/nope"},
                {"POST", "/datafn/query/x"}, {"POST", "/datafn"}, {"POST", "/datafn/"}, {"POST", "/elsewhere/query"},
                {"GET", "/datafn/resources/task"}, {"PUT", "/datafn/mutation"}}) {
            JsonNode e = error(r.handle(request(mp[0], mp[1], "{}", Map.of())), 404, ErrorCode.NOT_FOUND);
            assertThat(e.get("message").asText()).isEqualTo("Not found: " + mp[0] + " " + mp[1]);
            assertThat(e.path("details").path("path").asText()).isEqualTo("$");
        }
    }

    @Test
    void basePath_isWhereTheRoutesAre() {
        Router r = router(b -> b.basePath("/api/v1/"));
        assertThat(r.handle(request("GET", "/api/v1/status", null, Map.of())).status()).isEqualTo(200);
        error(r.handle(request("GET", "/datafn/status", null, Map.of())), 404, ErrorCode.NOT_FOUND);
    }

    @Test
    void aBodyOverTheLimit_is413_declaredOrRead() {
        List<String> authorized = new ArrayList<>();
        Router r = router(b -> b.limits(Limits.defaults().withMaxPayloadBytes(10))
                .authorize((ctx, action, payload) -> authorized.add(action)));
        JsonNode declared = error(post(r, "query", "{\"resource\":\"task\"}"), 413, ErrorCode.LIMIT_EXCEEDED);
        assertThat(declared.get("details").toString()).isEqualTo("{\"path\":\"$\",\"max\":10}");
        byte[] big = "{\"resource\":\"task\"}".getBytes(StandardCharsets.UTF_8);
        Response read = r.handle(new Request("POST", "/datafn/query", Map.of(), h -> null, -1, new ByteArrayInputStream(big), null));
        error(read, 413, ErrorCode.LIMIT_EXCEEDED);
        assertThat(authorized).isEmpty();
    }

    @Test
    void aRefusedBody_isReadAway_unlessItIsTooLongToWaitFor() {
        Router r = router(b -> b.limits(Limits.defaults().withMaxPayloadBytes(10)));
        Response drained = post(r, "query", "{\"resource\":\"task\",\"limit\":1}");
        assertThat(drained.status()).isEqualTo(413);
        assertThat(drained.headers()).doesNotContainKey("Connection");
        // a declared length beyond what the router reads away (16 MiB here): the answer closes the connection
        Response closed = r.handle(new Request("POST", "/datafn/query", Map.of(), h -> null, 64L << 20,
                InputStream.nullInputStream(), null));
        assertThat(closed.status()).isEqualTo(413);
        assertThat(closed.headers()).containsEntry("Connection", "close");
    }

    @Test
    void invalidJson_is400_andAuthorizeIsNotCalled() {
        List<String> authorized = new ArrayList<>();
        Router r = router(b -> b.authorize((ctx, action, payload) -> authorized.add(action)));
        for (String body : new String[]{"{", "", "[1,]", "nul"}) {
            JsonNode e = error(post(r, "query", body), 400, ErrorCode.DFQL_INVALID);
            assertThat(e.get("message").asText()).as("body %s", body).isEqualTo("Invalid JSON");
        }
        assertThat(authorized).isEmpty();
    }

    @Test
    void prototypeKeys_anywhereInTheBody_are400() {
        Router r = router(b -> b);
        for (String key : new String[]{"__proto__", "constructor", "prototype"}) {
            JsonNode e = error(post(r, "mutation", "{\"resource\":\"task\",\"record\":{\"x\":[{\"" + key + "\":1}]}}"), 400,
                    ErrorCode.DFQL_INVALID);
            assertThat(e.get("message").asText()).isEqualTo("Disallowed key: " + key);
        }
        error(post(r, "query", "{\"resource\":\"task\",\"filters\":{\"title\":\"a\\u0000b\"}}"), 400, ErrorCode.DFQL_INVALID);
    }

    @Test
    void hooks_runInOrder_namespaceThenPluginsThenAuthorize_eachSeeingTheAction() {
        List<String> calls = new ArrayList<>();
        DatafnPlugin plugin = new DatafnPlugin() {
            @Override
            public String name() {
                return "audit-plugin";
            }

            @Override
            public boolean authorize(io.datafn.router.RequestContext ctx, String action, JsonNode payload) {
                calls.add("plugin:" + action + ":" + payload.path("resource").asText());
                return !ctx.header("X-Deny").equals("plugin");
            }
        };
        Router r = router(b -> b.namespaceProvider(ctx -> {
            calls.add("namespace:" + ctx.action());
            return "ns1";
        }).plugin(plugin).authorize((ctx, action, payload) -> {
            calls.add("authorize:" + action);
            return !ctx.header("X-Deny").equals("user");
        }));

        JsonNode byPlugin = error(r.handle(request("POST", "/datafn/query", "{\"resource\":\"task\"}", Map.of("X-Deny", "plugin"))),
                403, ErrorCode.FORBIDDEN);
        assertThat(byPlugin.get("details").toString()).isEqualTo("{\"path\":\"$\",\"plugin\":\"audit-plugin\"}");
        assertThat(calls).containsExactly("namespace:query", "plugin:query:task");

        calls.clear();
        JsonNode byUser = error(r.handle(request("POST", "/datafn/mutation", "{\"resource\":\"task\"}", Map.of("X-Deny", "user"))),
                403, ErrorCode.FORBIDDEN);
        assertThat(byUser.get("message").asText()).isEqualTo("Authorization denied");
        assertThat(calls).containsExactly("namespace:mutation", "plugin:mutation:task", "authorize:mutation");
    }

    @Test
    void failures_outsideTheProtocol_are500_withoutDetail_andARequestId() {
        Router r = router(b -> b);
        // this query reaches the store, whose units of work fail here
        Response stored = r.handle(request("POST", "/datafn/query", "{\"resource\":\"task\"}", Map.of("X-Request-Id", "req-1.a_B")));
        JsonNode e = error(stored, 500, ErrorCode.INTERNAL);
        assertThat(e.toString()).isEqualTo("{\"code\":\"INTERNAL\",\"message\":\"Internal error\",\"details\":{\"path\":\"$\"}}");
        assertThat(stored.headers()).containsEntry("X-Request-Id", "req-1.a_B");

        Response bad = r.handle(request("GET", "/datafn/status", null, Map.of("X-Request-Id", "not an id!")));
        assertThat(bad.headers().get("X-Request-Id")).isNotBlank().isNotEqualTo("not an id!");

        Router throwing = router(b -> b.authorize((ctx, action, payload) -> {
            throw new IllegalStateException("a broken hook");
        }));
        error(post(throwing, "query", "{\"resource\":\"task\"}"), 500, ErrorCode.INTERNAL);

        Router noNamespace = router(b -> b.namespaceProvider(ctx -> null));
        error(post(noNamespace, "query", "{\"resource\":\"task\"}"), 500, ErrorCode.INTERNAL);
    }

    @Test
    void protocolErrors_keepTheirCodeAndStatus() {
        Router r = router(b -> b.namespaceProvider(ctx -> {
            throw new DatafnException(ErrorCode.UNAUTHORIZED, "Missing token", "$", 401, Map.of(), null);
        }));
        JsonNode e = error(post(r, "pull", "{\"cursors\":{}}"), 401, ErrorCode.UNAUTHORIZED);
        assertThat(e.get("message").asText()).isEqualTo("Missing token");
    }

    @Test
    void shuttingDown_is503_withoutDetails() {
        Router r = router(b -> b);
        r.beginShutdown();
        JsonNode e = error(r.handle(request("GET", "/datafn/status", null, Map.of())), 503, ErrorCode.SERVICE_UNAVAILABLE);
        assertThat(e.has("details")).isFalse();
        assertThat(r.awaitIdle(1000)).isTrue();
    }

    @Test
    void rateLimit_is429_withRetryAfter() {
        Router r = router(b -> b.rateLimit(1, Duration.ofSeconds(60)));
        assertThat(r.handle(request("GET", "/datafn/status", null, Map.of())).status()).isEqualTo(200);
        Response limited = r.handle(request("GET", "/datafn/status", null, Map.of()));
        error(limited, 429, ErrorCode.RATE_LIMITED);
        assertThat(Long.parseLong(limited.headers().get("Retry-After"))).isBetween(1L, 60L);
        // per action: another action has its own budget
        assertThat(post(r, "query", "{").status()).isEqualTo(400);
    }

    @Test
    void error_isTheProtocolsEnvelope() {
        Response r = Envelope.error(new DatafnException(ErrorCode.CONFLICT, "Record already exists", "id", 409,
                Map.of("resource", "task"), null));
        assertThat(r.status()).isEqualTo(409);
        assertThat(json(r).toString()).isEqualTo("{\"ok\":false,\"error\":{\"code\":\"CONFLICT\",\"message\":\"Record already exists\","
                + "\"details\":{\"path\":\"id\",\"resource\":\"task\"}}}");
        Response unavailable = Envelope.error(new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Server is shutting down", "$"));
        assertThat(json(unavailable).toString())
                .isEqualTo("{\"ok\":false,\"error\":{\"code\":\"SERVICE_UNAVAILABLE\",\"message\":\"Server is shutting down\"}}");
        assertThat(unavailable.headers().get("Retry-After")).isEqualTo("1");
    }
}
