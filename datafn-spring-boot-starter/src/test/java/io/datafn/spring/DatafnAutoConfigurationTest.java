package io.datafn.spring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.DatafnServer;
import io.datafn.auth.NamespaceProvider;
import io.datafn.json.Json;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.testing.Database;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auto-configuration in a real Spring context (no web server; the example application's test boots one): what
 * the {@code datafn.*} properties and the application's beans turn into, health and gauges.
 */
class DatafnAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, DatafnAutoConfiguration.class,
                    DatafnHealthAutoConfiguration.class, DatafnMetricsAutoConfiguration.class));

    private static JsonNode post(DatafnServer server, String path, String ns, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Response r = server.router().handle(new Request("POST", path, null, h -> h.equals("X-Ns") ? ns : null,
                bytes.length, new ByteArrayInputStream(bytes), null));
        return ((ObjectNode) Json.parse(new String(r.body(), StandardCharsets.UTF_8))).put("status", r.status());
    }

    @Test
    void properties_andTheApplicationsBeans_wireTheServer() {
        runner.withPropertyValues("spring.datasource.url=" + Database.SQLITE.freshUrl(), "datafn.base-path=/api/df",
                        "datafn.limits.max-limit=7", "datafn.limits.max-payload-bytes=200")
                .withBean(NamespaceProvider.class, () -> ctx -> ctx.header("X-Ns"))
                .run(context -> {
                    DatafnServer server = context.getBean(DatafnServer.class);
                    assertThat(server.router().basePath()).isEqualTo("/api/df");
                    assertThat(server.router().limits().maxLimit()).isEqualTo(7);
                    post(server, "/api/df/mutation", "a", "{\"resource\":\"item\",\"operation\":\"insert\",\"id\":\"i1\",\"record\":{\"label\":\"x\"}}");
                    assertThat(post(server, "/api/df/query", "a", "{\"resource\":\"item\"}").at("/result/data")).hasSize(1);
                    // the application's NamespaceProvider decides the namespace
                    assertThat(post(server, "/api/df/query", "b", "{\"resource\":\"item\"}").at("/result/data")).isEmpty();
                    JsonNode large = post(server, "/api/df/query", "a", "{\"resource\":\"item\",\"x\":\"" + "x".repeat(200) + "\"}");
                    assertThat(large.path("status").asInt()).isEqualTo(413);
                    assertThat(large.at("/error/details/max").asLong()).isEqualTo(200);
                });
    }

    @Test
    void health_isUpWhileTheDatabaseAnswers_andGaugesAreBound() {
        runner.withPropertyValues("spring.datasource.url=" + Database.POSTGRES.freshUrl()).run(context -> {
            HealthIndicator health = context.getBean("datafnHealthIndicator", HealthIndicator.class);
            assertThat(health.health().getStatus()).isEqualTo(Status.UP);
            assertThat(health.health().getDetails().get("database").toString()).startsWith("postgresql DataSource 127.0.0.1:5432/");

            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            context.getBean(MeterBinder.class).bindTo(registry);
            assertThat(registry.get("datafn.websocket.connections").gauge().value()).isZero();
            assertThat(registry.get("datafn.store.healthy").gauge().value()).isEqualTo(1.0);

            context.getBean(DatafnServer.class).store().close();
            assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
            assertThat(registry.get("datafn.store.healthy").gauge().value()).isZero();
        });
    }

    @Test
    void withoutADataSource_thereIsNoServer_andABadSchemaLocationFailsNamingIt() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DatafnAutoConfiguration.class))
                .run(context -> assertThat(context).doesNotHaveBean(DatafnServer.class));
        runner.withPropertyValues("spring.datasource.url=" + Database.SQLITE.freshUrl(), "datafn.schema=classpath:nope.json")
                .run(context -> assertThat(context).getFailure()
                        .hasStackTraceContaining("datafn.schema: cannot read classpath:nope.json"));
    }
}
