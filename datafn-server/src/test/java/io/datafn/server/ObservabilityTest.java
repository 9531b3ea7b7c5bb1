package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import io.datafn.json.Json;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The standalone server's operations surface over HTTP on a random port: {@code /metrics} after traffic,
 * {@code /healthz}, {@code /readyz} through a database outage, the JSON log format; and the embedder's own registry.
 */
class ObservabilityTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String SCHEMA = "../examples/tasks.schema.json";

    @TempDir
    Path dir;

    /** Starts the real standalone server (options as on the command line, nothing from the environment). */
    private static Main.Running start(String... args) throws Main.Exit {
        Main main = new Main(Map.of());
        Main.commandLine(main).parseArgs(args);
        return main.start();
    }

    private static String base(Main.Running r) {
        return "http://127.0.0.1:" + r.app().port();
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String url, String body, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of the one sample line {@code name{labels} value} of a Prometheus scrape. */
    private static double sample(String scrape, String nameAndLabels) {
        List<String> lines = scrape.lines().filter(l -> l.startsWith(nameAndLabels + " ")).toList();
        assertThat(lines).as("one sample %s in\n%s", nameAndLabels, scrape).hasSize(1);
        return Double.parseDouble(lines.get(0).substring(nameAndLabels.length() + 1).trim());
    }

    @Test
    void metrics_afterTraffic_countRequestsByRouteAndStatus_withHistogramsPoolAndJvmMeters() throws Exception {
        try (Main.Running r = start("--schema", SCHEMA, "--port", "0", "--host", "127.0.0.1",
                "--db", "jdbc:sqlite:" + dir.resolve("m.db"), "--rate-limit", "2")) {
            String api = base(r) + "/datafn/";
            assertThat(post(api + "query", "{\"resource\":\"tasks\"}", null).statusCode()).isEqualTo(200);
            assertThat(post(api + "query", "{\"resource\":\"tasks\"}", null).statusCode()).isEqualTo(200);
            HttpResponse<String> limited = post(api + "query", "{\"resource\":\"tasks\"}", null);
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(post(api + "mutation", "{\"resource\":\"tasks\",\"operation\":\"insert\",\"record\":{\"title\":\"a\"},"
                    + "\"clientId\":\"c\",\"mutationId\":\"m1\"}", null).statusCode()).isEqualTo(200);
            assertThat(post(api + "nope", "{}", null).statusCode()).isEqualTo(404);
            HttpResponse<String> odd = HTTP.send(HttpRequest.newBuilder(URI.create(api + "query"))
                    .method("FOO", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(odd.statusCode()).isEqualTo(404);
            HttpResponse<String> clone = post(api + "clone", "{\"tables\":[\"tasks\"]}", null); // streamed
            assertThat(clone.statusCode()).as(clone.body()).isEqualTo(200);
            CompletableSocket ws = CompletableSocket.open(base(r).replace("http", "ws") + "/datafn/ws");
            try {
                HttpResponse<String> m = get(base(r) + "/metrics");
                for (int i = 0; i < 50 && !m.body().contains("\ndatafn_websocket_open 1.0"); i++) {
                    Thread.sleep(50); // the socket is registered when Jetty opens it, just after the upgrade answer
                    m = get(base(r) + "/metrics");
                }
                assertThat(m.statusCode()).isEqualTo(200);
                assertThat(m.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
                String scrape = m.body();

                String query200 = "{method=\"POST\",route=\"query\",status=\"200\"";
                assertThat(sample(scrape, "datafn_http_requests_seconds_count" + query200 + "}")).isEqualTo(2.0);
                assertThat(sample(scrape, "datafn_http_requests_seconds_count{method=\"POST\",route=\"query\",status=\"429\"}"))
                        .isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_http_requests_seconds_count{method=\"POST\",route=\"mutation\",status=\"200\"}"))
                        .isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_http_requests_seconds_count{method=\"POST\",route=\"unmatched\",status=\"404\"}"))
                        .isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_http_requests_seconds_count{method=\"OTHER\",route=\"unmatched\",status=\"404\"}"))
                        .as("a method no route has is not a label of its own").isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_http_requests_seconds_count{method=\"POST\",route=\"clone\",status=\"200\"}"))
                        .as("a streamed answer is counted once its body is written").isEqualTo(1.0);
                // a percentile histogram: cumulative buckets up to +Inf, which holds every request
                assertThat(scrape).contains("datafn_http_requests_seconds_bucket" + query200 + ",le=\"0.001\"}");
                assertThat(sample(scrape, "datafn_http_requests_seconds_bucket" + query200 + ",le=\"+Inf\"}")).isEqualTo(2.0);
                assertThat(sample(scrape, "datafn_ratelimit_rejections_total{action=\"query\"}")).isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_commits_total")).isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_changes_total")).isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_bus_lag_seconds_count")).isEqualTo(1.0);
                assertThat(sample(scrape, "datafn_websocket_open")).isEqualTo(1.0);
                // HikariCP's own meters for both pools of the store
                assertThat(sample(scrape, "hikaricp_connections_max{pool=\"datafn-sqlite-write\"}")).isEqualTo(1.0);
                assertThat(sample(scrape, "hikaricp_connections_max{pool=\"datafn-sqlite-read\"}")).isEqualTo(16.0);
                assertThat(scrape).contains("hikaricp_connections_acquire_seconds_count{pool=\"datafn-sqlite-read\"}");
                // the JVM
                assertThat(scrape).contains("jvm_memory_used_bytes{area=\"heap\"", "jvm_gc_", "jvm_threads_live_threads ",
                        "jvm_classes_loaded_classes ", "process_uptime_seconds ");
            } finally {
                ws.close();
            }
        }
    }

    @Test
    void healthz_isAlways200_andReadyz_flipsTo503WhileTheDatabaseIsUnreachable_andBack() throws Exception {
        String url = TestDb.POSTGRES.freshUrl(); // skips without PostgreSQL, fails on CI
        try (TcpProxy proxy = new TcpProxy(5432)) {
            String proxied = url.replace("127.0.0.1:5432", "127.0.0.1:" + proxy.port());
            try (Main.Running r = start("--schema", SCHEMA, "--port", "0", "--host", "127.0.0.1", "--db", proxied,
                    "--db-pool", "2", "--db-timeout", "250")) {
                HttpResponse<String> ready = get(base(r) + "/readyz");
                for (int i = 0; i < 50 && ready.statusCode() != 200; i++) { // the bus's LISTEN connection starts
                    Thread.sleep(100);
                    ready = get(base(r) + "/readyz");
                }
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                assertThat(Json.parse(ready.body()))
                        .isEqualTo(Json.parse("{\"ok\":true,\"checks\":{\"database\":\"up\",\"bus\":\"up\"}}"));
                assertThat(ready.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
                assertHealthy(r);

                proxy.down();
                HttpResponse<String> down = get(base(r) + "/readyz");
                assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
                assertThat(Json.parse(down.body()).path("error").path("message").asText())
                        .startsWith("Not ready: database unreachable");
                assertThat(down.headers().firstValue("Retry-After")).contains("1");
                for (int i = 0; i < 50 && down.body().contains("\"bus\":\"up\""); i++) { // LISTEN notices a moment later
                    Thread.sleep(100);
                    down = get(base(r) + "/readyz");
                }
                assertThat(down.statusCode()).isEqualTo(503);
                assertThat(Json.parse(down.body())).isEqualTo(Json.parse("{\"ok\":false,\"error\":{\"code\":"
                        + "\"SERVICE_UNAVAILABLE\",\"message\":\"Not ready: database unreachable; bus unreachable\"},"
                        + "\"checks\":{\"database\":\"down\",\"bus\":\"down\"}}"));
                assertHealthy(r); // alive, only not ready: no restart wanted

                proxy.up();
                HttpResponse<String> back = get(base(r) + "/readyz");
                for (int i = 0; i < 50 && back.statusCode() != 200; i++) { // the pool reconnects by itself
                    Thread.sleep(100);
                    back = get(base(r) + "/readyz");
                }
                assertThat(back.statusCode()).as(back.body()).isEqualTo(200);
                assertThat(Json.parse(back.body()))
                        .isEqualTo(Json.parse("{\"ok\":true,\"checks\":{\"database\":\"up\",\"bus\":\"up\"}}"));
            }
        }
    }

    private static void assertHealthy(Main.Running r) throws Exception {
        HttpResponse<String> h = get(base(r) + "/healthz");
        assertThat(h.statusCode()).isEqualTo(200);
        assertThat(Json.parse(h.body())).isEqualTo(Json.parse("{\"ok\":true}"));
    }

    /** Work against a server started with {@code args}, while the console (where logback writes) is captured. */
    private interface Traffic {
        void against(Main.Running server) throws Exception;
    }

    /** What the server wrote to the console while it started, served {@code traffic} and stopped. */
    private String console(Traffic traffic, String... args) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (Main.Running r = start(args)) {
            traffic.against(r);
        } finally {
            System.setOut(out);
            resetLogging();
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonLogFormat_writesOneAccessLineAsJsonPerRequest() throws Exception {
        String console = console(r -> {
            assertThat(post(base(r) + "/datafn/query", "{\"resource\":\"tasks\"}", "obs-json-1").statusCode()).isEqualTo(200);
            assertThat(post(base(r) + "/datafn/query", "{\"resource\":\"nope\"}", "obs-json-2").statusCode()).isEqualTo(400);
        }, "--schema", SCHEMA, "--port", "0", "--host", "127.0.0.1", "--db", "jdbc:sqlite:" + dir.resolve("j.db"),
                "--log-format", "json");
        List<JsonNode> lines = console.lines().map(Json::parse).toList();
        assertThat(lines).as("every line is one JSON object").isNotEmpty()
                .allSatisfy(l -> assertThat(l.has("@timestamp") && l.has("level") && l.has("message")).isTrue());
        List<JsonNode> access = lines.stream().filter(l -> l.path("logger_name").asText().equals("io.datafn.access")).toList();
        assertThat(access).hasSize(2);
        JsonNode ok = access.get(0);
        assertThat(ok.path("level").asText()).isEqualTo("INFO");
        assertThat(ok.path("requestId").asText()).isEqualTo("obs-json-1");
        assertThat(ok.path("namespace").asText()).isEqualTo("datafn");
        assertThat(ok.path("method").asText()).isEqualTo("POST");
        assertThat(ok.path("route").asText()).isEqualTo("query");
        assertThat(ok.path("status").isInt()).isTrue();
        assertThat(ok.path("status").asInt()).isEqualTo(200);
        assertThat(ok.path("ms").isIntegralNumber()).isTrue();
        assertThat(ok.path("message").asText()).matches("POST query 200 \\d+ ms ns=datafn");
        JsonNode bad = access.get(1);
        assertThat(bad.path("requestId").asText()).isEqualTo("obs-json-2");
        assertThat(bad.path("status").asInt()).isEqualTo(400);
    }

    @Test
    void accessLogFalse_writesNoAccessLine() throws Exception {
        String console = console(r -> assertThat(post(base(r) + "/datafn/query", "{\"resource\":\"tasks\"}", "obs-quiet")
                        .statusCode()).isEqualTo(200),
                "--schema", SCHEMA, "--port", "0", "--host", "127.0.0.1", "--db", "jdbc:sqlite:" + dir.resolve("quiet.db"),
                "--log-format", "json", "--access-log", "false");
        assertThat(console).contains("DataFn server listening").doesNotContain("io.datafn.access").doesNotContain("obs-quiet");
    }

    /** Back to logback-test.xml for the tests that run after this one in the same JVM. */
    private static void resetLogging() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        new ContextInitializer(ctx).autoConfig();
    }

    @Test
    void embedder_passesItsOwnRegistry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (TestServer s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, b -> b.observer(new DatafnMetrics(registry)))) {
            s.query("{\"resource\":\"tag\"}");
            assertThat(registry.get("datafn.http.requests").tags("method", "POST", "route", "query", "status", "200")
                    .timer().count()).isEqualTo(1);
            assertThat(registry.get("hikaricp.connections.max").tag("pool", "datafn-sqlite-read").gauge().value()).isEqualTo(8.0);
            assertThat(registry.find("jvm.memory.used").meters()).as("JVM meters are the application's to bind").isEmpty();
        }
    }

    @Test
    void operationsEndpoints_winOverARootBasePath() throws Exception {
        try (Main.Running r = start("--schema", SCHEMA, "--port", "0", "--host", "127.0.0.1",
                "--db", "jdbc:sqlite:" + dir.resolve("root.db"), "--base-path=")) {
            assertHealthy(r);
            assertThat(get(base(r) + "/readyz").statusCode()).isEqualTo(200);
            assertThat(get(base(r) + "/metrics").body()).contains("datafn_websocket_open ");
            assertThat(post(base(r) + "/query", "{\"resource\":\"tasks\"}", null).statusCode()).isEqualTo(200);
            HttpResponse<String> other = get(base(r) + "/nope");
            assertThat(other.statusCode()).isEqualTo(404);
            assertThat(Json.parse(other.body()).path("error").path("code").asText()).isEqualTo("NOT_FOUND");
        }
    }

    /** A WebSocket client that stays open until closed. */
    private record CompletableSocket(WebSocket socket) {
        static CompletableSocket open(String url) throws Exception {
            WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
            }).get(5, TimeUnit.SECONDS);
            return new CompletableSocket(ws);
        }

        void close() {
            socket.abort();
        }
    }
}
