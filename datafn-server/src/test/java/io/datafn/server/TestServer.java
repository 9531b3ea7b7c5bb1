package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.javalin.Javalin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.UnaryOperator;

/** A real server on a random port over a real database, and a small HTTP client for it. */
public final class TestServer implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public final DatafnServer server;
    public final Javalin app;
    public final String url;
    public final String jdbcUrl;

    private TestServer(DatafnServer server, Javalin app, String jdbcUrl) {
        this.server = server;
        this.app = app;
        this.url = "http://127.0.0.1:" + app.port();
        this.jdbcUrl = jdbcUrl;
    }

    public static TestServer start(TestDb db, String schemaJson) {
        return start(db, schemaJson, b -> b);
    }

    public static TestServer start(TestDb db, String schemaJson, UnaryOperator<DatafnServer.Builder> customize) {
        return startOn(db.freshUrl(), schemaJson, customize);
    }

    /** Starts a server whose clients may hold what {@code clients} allows (slow-client tests). */
    public static TestServer start(TestDb db, String schemaJson, ClientLimits clients) {
        return startOn(db.freshUrl(), schemaJson, o -> o, clients, b -> b);
    }

    /** Starts a server on an existing database (restart tests). */
    public static TestServer startOn(String jdbcUrl, String schemaJson, UnaryOperator<DatafnServer.Builder> customize) {
        return startOn(jdbcUrl, schemaJson, o -> o, ClientLimits.defaults(), customize);
    }

    /** Starts a server on an existing database with store options (a sequence store, timeouts). */
    public static TestServer startOn(String jdbcUrl, String schemaJson, UnaryOperator<JdbcStore.Options> store,
                                     UnaryOperator<DatafnServer.Builder> customize) {
        return startOn(jdbcUrl, schemaJson, store, ClientLimits.defaults(), customize);
    }

    /**
     * Starts one node of several sharing the database at {@code jdbcUrl}, with the cluster bus the standalone server's
     * {@code --bus auto} takes for it without {@code --redis} (LISTEN/NOTIFY on PostgreSQL, else polling the counters
     * every {@code --bus-poll-ms}, default 200 ms).
     */
    public static TestServer startNode(String jdbcUrl, String schemaJson, UnaryOperator<DatafnServer.Builder> customize) {
        Main main = new Main(java.util.Map.of());
        Main.commandLine(main).parseArgs("--bus", "auto");
        JdbcStore store = JdbcStore.at(jdbcUrl).poolSize(8).open();
        return start(jdbcUrl, schemaJson, store, ClientLimits.defaults(),
                b -> customize.apply(b.clusterBus(main.bus(store))));
    }

    private static TestServer startOn(String jdbcUrl, String schemaJson, UnaryOperator<JdbcStore.Options> store,
                                      ClientLimits clients, UnaryOperator<DatafnServer.Builder> customize) {
        return start(jdbcUrl, schemaJson, store.apply(JdbcStore.at(jdbcUrl).poolSize(8)).open(), clients, customize);
    }

    private static TestServer start(String jdbcUrl, String schemaJson, JdbcStore store, ClientLimits clients,
                                    UnaryOperator<DatafnServer.Builder> customize) {
        DatafnServer server = customize.apply(DatafnServer.builder()
                .schema(Json.parse(schemaJson))
                .store(store)).build();
        Javalin app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.host = "127.0.0.1";
            cfg.jetty.port = 0;
            DatafnJavalin.mount(cfg, server, clients);
        }).start();
        return new TestServer(server, app, jdbcUrl);
    }

    /** A response: status, parsed JSON body (null when not JSON), headers. */
    public record Reply(int status, JsonNode body, HttpResponse<String> raw) {
        public JsonNode result() {
            return body.get("result");
        }

        public JsonNode error() {
            return body.get("error");
        }

        public String code() {
            return body.path("error").path("code").asText(null);
        }

        public String path() {
            return body.path("error").path("details").path("path").asText(null);
        }

        public String message() {
            return body.path("error").path("message").asText(null);
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    public Reply post(String endpoint, String body) {
        return send(HttpRequest.newBuilder(URI.create(url + "/datafn/" + endpoint))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** Posts as a user: with {@code X-User: user} (no header when null), see {@link Fixtures#TEAM}. */
    public Reply postAs(String user, String endpoint, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/datafn/" + endpoint))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            b.header("X-User", user);
        }
        return send(b.build());
    }

    public Reply post(String endpoint, JsonNode body) {
        return post(endpoint, Json.text(body));
    }

    public Reply get(String endpoint) {
        return send(HttpRequest.newBuilder(URI.create(url + "/datafn/" + endpoint)).GET().build());
    }

    public Reply send(HttpRequest req) {
        try {
            HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = Json.parse(r.body());
            } catch (RuntimeException e) {
                body = null;
            }
            return new Reply(r.statusCode(), body, r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Posts a query and returns {@code result}, failing unless the answer is 200 ok. */
    public JsonNode query(String body) {
        Reply r = post("query", body);
        if (r.status() != 200) {
            throw new AssertionError("query failed: " + r.status() + " " + r.body() + " for " + body);
        }
        return r.result();
    }

    /** Posts a mutation and returns {@code result}, failing unless the answer is 200 ok. */
    public JsonNode mutate(String body) {
        Reply r = post("mutation", body);
        if (r.status() != 200 || !r.body().path("ok").asBoolean()) {
            throw new AssertionError("mutation failed: " + r.status() + " " + r.body() + " for " + body);
        }
        return r.result();
    }

    @Override
    public void close() {
        app.stop();
        server.close();
    }
}
