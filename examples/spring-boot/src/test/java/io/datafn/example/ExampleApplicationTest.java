package io.datafn.example;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import io.datafn.testing.Database;
import io.datafn.testing.WsClient;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example application booted on a random port (embedded Tomcat, the starter's auto-configuration, the
 * application's DataSource) and driven over HTTP and a WebSocket, on SQLite and on PostgreSQL.
 */
class ExampleApplicationTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Nested
    class OnSqlite extends Drive {
        @DynamicPropertySource
        static void database(DynamicPropertyRegistry r) {
            r.add("spring.datasource.url", Database.SQLITE::freshUrl);
        }
    }

    @Nested
    class OnPostgres extends Drive {
        @DynamicPropertySource
        static void database(DynamicPropertyRegistry r) {
            r.add("spring.datasource.url", Database.POSTGRES::freshUrl);
        }
    }

    @SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
    abstract static class Drive {
        @LocalServerPort
        int port;

        record Reply(int status, JsonNode json) {
        }

        Reply get(String path) throws Exception {
            return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET());
        }

        Reply post(String path, String body) throws Exception {
            return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        static Reply send(HttpRequest.Builder b) throws Exception {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), Json.parse(r.body()));
        }

        @Test
        void statusMutationQuery_overHttp() throws Exception {
            Reply status = get("/datafn/status");
            assertThat(status.status()).isEqualTo(200);
            assertThat(status.json().at("/result/schemaHash").asText()).startsWith("sha256:");

            Reply m = post("/datafn/mutation",
                    "{\"resource\":\"notes\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"text\":\"from Spring\"}}");
            assertThat(m.status()).isEqualTo(200);
            assertThat(m.json().at("/result/affectedIds").toString()).isEqualTo("[\"note:1\"]");

            Reply q = post("/datafn/query", "{\"resource\":\"notes\",\"filters\":{\"id\":\"note:1\",\"pinned\":false},\"select\":[\"id\",\"text\"]}");
            assertThat(q.status()).isEqualTo(200);
            assertThat(q.json().at("/result/data")).isEqualTo(Json.parse("[{\"id\":\"note:1\",\"text\":\"from Spring\"}]"));

            Reply bad = post("/datafn/query", "{\"resource\":\"nope\"}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.json().at("/error/details/path").asText()).isEqualTo("resource");

            Reply unknown = get("/datafn/nope");
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.json()).isEqualTo(Json.parse("{\"ok\":false,\"error\":{\"code\":\"NOT_FOUND\","
                    + "\"message\":\"Not found: GET /datafn/nope\",\"details\":{\"path\":\"$\"}}}"));

            // a body over datafn.limits.max-payload-bytes (application.properties: 1 MiB) is the router's 413
            Reply large = post("/datafn/query", "{\"resource\":\"notes\",\"x\":\"" + "x".repeat(1 << 20) + "\"}");
            assertThat(large.status()).isEqualTo(413);
            assertThat(large.json().at("/error/details/max").asLong()).isEqualTo(1 << 20);

            // a form content type does not make Spring or Tomcat read the body as parameters: it is the router's
            Reply form = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/datafn/query"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"resource\":\"notes\",\"filters\":{\"id\":\"note:1\"},\"select\":[\"id\"]}")));
            assertThat(form.status()).isEqualTo(200);
            assertThat(form.json().at("/result/data")).isEqualTo(Json.parse("[{\"id\":\"note:1\"}]"));

            // the application's own Spring MVC controller, beside DataFn's servlet
            assertThat(get("/hello").json()).isEqualTo(Json.parse("{\"hello\":\"world\"}"));
        }

        @Test
        void actuatorHealth_includesTheDatabase_andReadiness() throws Exception {
            Reply health = get("/actuator/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().path("status").asText()).isEqualTo("UP");
            assertThat(health.json().at("/components/datafn/status").asText()).isEqualTo("UP");
            assertThat(health.json().at("/components/datafn/details/database").asText()).isNotBlank();

            Reply readiness = get("/actuator/health/readiness");
            assertThat(readiness.status()).isEqualTo(200);
            assertThat(readiness.json().at("/components/datafn/status").asText()).isEqualTo("UP");
        }

        @Test
        void websocket_getsACursorAfterACommit_andIsCountedInMetrics() throws Exception {
            WsClient client = new WsClient();
            WebSocket ws = HTTP.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/datafn/ws"), client)
                    .get(10, TimeUnit.SECONDS);
            try {
                assertThat(get("/actuator/metrics/datafn.websocket.connections").json().at("/measurements/0/value").asDouble())
                        .isEqualTo(1.0);
                Reply m = post("/datafn/mutation",
                        "{\"resource\":\"notes\",\"operation\":\"insert\",\"id\":\"note:ws\",\"record\":{\"text\":\"live\"}}");
                assertThat(m.status()).isEqualTo(200);
                String cursor = client.next();
                assertThat(cursor).isNotNull();
                JsonNode c = Json.parse(cursor);
                assertThat(c.path("type").asText()).isEqualTo("cursor");
                assertThat(c.path("cursor").asLong()).isPositive();
            } finally {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
            }
        }
    }
}
