package io.datafn.server;

import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL outage (issue: failing dependencies), played with a TCP proxy in front of the shared database that the
 * test cuts and restores: while it is down requests fail fast with 503 {@code SERVICE_UNAVAILABLE} and
 * {@code Retry-After}, never a 500 after a long wait; afterwards the pool recovers by itself and nothing acknowledged
 * was lost.
 */
class DatabaseOutageTest {

    @Test
    void outage_isAFast503WithRetryAfter_andThePoolRecovers() throws Exception {
        String url = TestDb.POSTGRES.freshUrl(); // skips without PostgreSQL, fails on CI
        try (TcpProxy proxy = new TcpProxy(5432)) {
            String proxied = url.replace("127.0.0.1:5432", "127.0.0.1:" + proxy.port());
            DatafnServer server = DatafnServer.builder().schema(Json.parse(Fixtures.F1_SCHEMA))
                    .store(JdbcStore.at(proxied).poolSize(4).acquireTimeout(Duration.ofMillis(800)).open()).build();
            Javalin app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.jetty.host = "127.0.0.1";
                cfg.jetty.port = 0;
                DatafnJavalin.mount(cfg, server);
            }).start();
            try {
                TestServer.Reply ok = post(app, "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:1\","
                        + "\"record\":{\"label\":\"before\"},\"clientId\":\"c\",\"mutationId\":\"m1\"}");
                assertThat(ok.status()).as("%s", ok.body()).isEqualTo(200);

                proxy.down();
                for (String endpoint : new String[]{"query", "mutation", "push"}) {
                    long start = System.nanoTime();
                    TestServer.Reply r = post(app, endpoint, switch (endpoint) {
                        case "query" -> "{\"resource\":\"tag\"}";
                        case "mutation" -> "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:2\",\"record\":{\"label\":\"x\"},"
                                + "\"clientId\":\"c\",\"mutationId\":\"m2\"}";
                        default -> "{\"clientId\":\"c\",\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:3\","
                                + "\"record\":{\"label\":\"y\"},\"clientId\":\"c\",\"mutationId\":\"m3\"}]}";
                    });
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    assertThat(r.status()).as("%s during the outage: %s", endpoint, r.body()).isEqualTo(503);
                    assertThat(r.code()).isEqualTo("SERVICE_UNAVAILABLE");
                    assertThat(r.message()).isEqualTo("Database unavailable");
                    assertThat(r.header("Retry-After")).isEqualTo("1");
                    assertThat(ms).as("answered within the acquire timeout and some slack").isLessThan(5_000);
                }

                proxy.up();
                TestServer.Reply after = null;
                for (int i = 0; i < 50; i++) { // the pool replaces its broken connections by itself
                    after = post(app, "mutation", "{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:2\","
                            + "\"record\":{\"label\":\"x\"},\"clientId\":\"c\",\"mutationId\":\"m2\"}");
                    if (after.status() == 200) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(after.status()).as("%s", after.body()).isEqualTo(200);
                // the mutation refused during the outage is not stored as failed: its retry applied it
                assertThat(after.result().get("deduped").asBoolean()).isFalse();
                TestServer.Reply q = post(app, "query", "{\"resource\":\"tag\",\"sort\":[\"id\"]}");
                for (int i = 0; i < 50 && q.status() == 503; i++) { // the read pool has stale connections too
                    Thread.sleep(200);
                    q = post(app, "query", "{\"resource\":\"tag\",\"sort\":[\"id\"]}");
                }
                assertThat(JsonAssert.ids(q.result())).containsExactly("tag:1", "tag:2");
            } finally {
                app.stop();
                server.close();
            }
        }
    }

    private static TestServer.Reply post(Javalin app, String endpoint, String body) {
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + app.port() + "/datafn/" + endpoint))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                    .send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
            com.fasterxml.jackson.databind.JsonNode json;
            try {
                json = Json.parse(r.body());
            } catch (RuntimeException e) {
                json = null;
            }
            return new TestServer.Reply(r.statusCode(), json, r);
        } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
