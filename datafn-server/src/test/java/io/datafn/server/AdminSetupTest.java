package io.datafn.server;

import io.datafn.DatafnServer;
import io.javalin.Javalin;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin option's check, and {@code GET /} of the standalone server pointing to the console. */
class AdminSetupTest {
    @Test
    void shortToken_isRefusedByTheBuilder() {
        assertThatThrownBy(() -> DatafnServer.builder().admin("short"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("admin token must be at least 16 characters, got 5");
    }

    @Test
    void shortAdminTokenOption_isABadConfiguration() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(buf));
        try {
            assertThat(Main.run(new String[]{"--admin-token", "0123456789", "--port", "0"})).isEqualTo(Main.EXIT_USAGE);
        } finally {
            System.setErr(err);
        }
        assertThat(buf.toString().trim())
                .isEqualTo("datafn: bad configuration: admin token must be at least 16 characters, got 10");
    }

    @Test
    void root_redirectsToTheConsole_orHintsWhereTheApiIs() throws Exception {
        try (TestServer s = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, b -> b.admin(AdminConsoleTest.TOKEN))) {
            root(s);
        }
    }

    private static void root(TestServer s) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (boolean admin : new boolean[]{true, false}) {
            Javalin app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.jetty.host = "127.0.0.1";
                cfg.jetty.port = 0;
                DatafnJavalin.mount(cfg, s.server);
                Main.mountRoot(cfg, "/datafn", admin);
            }).start();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/"))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (admin) {
                    assertThat(r.statusCode()).isEqualTo(302);
                    assertThat(r.headers().firstValue("Location")).hasValue("/datafn/admin");
                } else {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json;charset=utf-8");
                    assertThat(r.body()).isEqualTo("{\"ok\":true,\"result\":{\"name\":\"DataFn server\",\"status\":"
                            + "\"/datafn/status\",\"openapi\":\"/datafn/openapi.json\",\"admin\":\"off: start the server"
                            + " with --admin-token to serve the console at /datafn/admin\"}}");
                }
            } finally {
                app.stop();
            }
        }
    }
}
