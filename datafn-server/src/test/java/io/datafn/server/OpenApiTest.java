package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import io.datafn.router.Route;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET <base>/openapi.json}, read by a real OpenAPI parser (swagger-parser) with validation on. */
class OpenApiTest {
    private static TestServer server;
    private static SwaggerParseResult parsed;
    private static JsonNode raw;

    @BeforeAll
    static void start() throws Exception {
        String schema = Files.readString(Path.of("../examples/tasks.schema.json"));
        server = TestServer.start(TestDb.SQLITE, schema, b -> b.rest(true).admin("an-admin-token-of-32-characters!"));
        TestServer.Reply r = server.get("openapi.json");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        raw = r.body();
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        parsed = new OpenAPIParser().readContents(r.raw().body(), null, options);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void document_isOpenApi31_withoutAnyValidationMessage() {
        assertThat(parsed.getMessages()).isEmpty();
        assertThat(parsed.getOpenAPI()).isNotNull();
        assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        assertThat(parsed.getOpenAPI().getServers().get(0).getUrl()).isEqualTo("/datafn");
        // the raw document, not an envelope
        assertThat(raw.has("ok")).isFalse();
    }

    @Test
    void everyRouteOfTheTable_isAnOperation() {
        OpenAPI api = parsed.getOpenAPI();
        List<Route> routes = server.server.router().routes();
        assertThat(routes).extracting(Route::path).contains("status", "query", "mutation", "transact", "clone", "pull",
                "push", "reconcile", "seed", "search", "resources/*", "resources/*/*", "admin", "admin/assets/*",
                "admin/namespaces", "openapi.json");
        for (Route route : routes) {
            Pattern p = Pattern.compile("/" + route.path().replace(".", "\\.").replace("*", "[^/]+"));
            List<String> matching = new ArrayList<>();
            api.getPaths().forEach((path, item) -> {
                if (p.matcher(path).matches() && operation(item, route.method()) != null) {
                    matching.add(path);
                }
            });
            assertThat(matching).as(route.method() + " " + route.path()).isNotEmpty();
        }
        // the REST routes once per resource, each error answer the envelope
        assertThat(api.getPaths()).containsKeys("/resources/tasks", "/resources/tasks/{id}", "/resources/kv", "/ws");
        io.swagger.v3.oas.models.Operation query = api.getPaths().get("/query").getPost();
        assertThat(query.getResponses().get("4XX").get$ref()).isEqualTo("#/components/responses/Error");
        assertThat(query.getRequestBody().getContent().get("application/json").getSchema().getOneOf()).hasSize(2);
    }

    @Test
    void resourceSchemas_matchTheirFields_capabilityFieldsIncluded() {
        Map<String, Schema> schemas = parsed.getOpenAPI().getComponents().getSchemas();
        Schema<?> tasks = schemas.get("tasks");
        assertThat(tasks.getProperties().keySet()).containsExactly("id", "title", "completed", "priority", "status",
                "dueAt", "labels", "projectId", "createdAt", "updatedAt");
        assertThat(tasks.getRequired()).contains("id", "title", "completed").doesNotContain("priority");
        assertThat(type(tasks, "title")).isEqualTo("string");
        assertThat(tasks.getProperties().get("title").getMaxLength()).isEqualTo(500);
        assertThat(type(tasks, "completed")).isEqualTo("boolean");
        assertThat(tasks.getProperties().get("priority").getTypes()).containsExactlyInAnyOrder("number", "null");
        assertThat(tasks.getProperties().get("status").getEnum()).containsExactly("todo", "doing", "done");
        assertThat(tasks.getProperties().get("dueAt").getTypes()).containsExactlyInAnyOrder("integer", "null");
        assertThat(tasks.getProperties().get("labels").getTypes()).containsExactlyInAnyOrder("array", "null");
        assertThat(tasks.getProperties().get("createdAt").getReadOnly()).isTrue();
        // what a client may write: no capability fields, nothing unknown
        Schema<?> input = schemas.get("tasks.input");
        assertThat(input.getProperties().keySet()).containsExactly("id", "title", "completed", "priority", "status",
                "dueAt", "labels", "projectId");
        assertThat(input.getProperties().get("status").getDefault()).isEqualTo("todo");
        // a mutation offers only the operations the resource's capabilities allow
        Schema<?> mutation = schemas.get("tasks.mutation");
        assertThat(mutation.getProperties().get("operation").getEnum()).contains("insert", "merge", "delete")
                .doesNotContain("trash", "share");
        assertThat(mutation.getProperties().get("record").get$ref()).isEqualTo("#/components/schemas/tasks.input");
        assertThat(schemas.get("tags").getProperties().keySet()).containsExactly("id", "label", "createdAt", "updatedAt");
    }

    @Test
    void errorEnvelope_isDescribedWithEveryCode() {
        Schema<?> error = parsed.getOpenAPI().getComponents().getSchemas().get("Error");
        assertThat(error.getRequired()).containsExactlyInAnyOrder("ok", "error");
        Schema<?> inner = error.getProperties().get("error");
        assertThat(inner.getProperties().keySet()).contains("code", "message", "details");
        assertThat(inner.getProperties().get("code").getEnum()).contains("DFQL_INVALID", "UNAUTHORIZED", "NOT_FOUND",
                "RATE_LIMITED", "INTERNAL", "SERVICE_UNAVAILABLE");
        assertThat(inner.getProperties().get("details").getProperties()).containsKey("path");
    }

    @Test
    void withoutRestAndAdmin_thoseRoutesAreNotDescribed() {
        try (TestServer plain = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA)) {
            JsonNode doc = plain.get("openapi.json").body();
            List<String> paths = new ArrayList<>();
            doc.get("paths").fieldNames().forEachRemaining(paths::add);
            assertThat(paths).contains("/status", "/query", "/openapi.json").noneMatch(p -> p.startsWith("/resources"))
                    .noneMatch(p -> p.startsWith("/admin"));
            assertThat(Json.text(doc.path("components").path("schemas").path("task").path("properties").path("dueAt")))
                    .contains("\"x-datafn-type\":\"date\"");
        }
    }

    private static io.swagger.v3.oas.models.Operation operation(PathItem item, String method) {
        return switch (method.toUpperCase(Locale.ROOT)) {
            case "GET" -> item.getGet();
            case "POST" -> item.getPost();
            case "PATCH" -> item.getPatch();
            case "DELETE" -> item.getDelete();
            default -> null;
        };
    }

    private static String type(Schema<?> s, String property) {
        Schema<?> p = s.getProperties().get(property);
        return p.getType() != null ? p.getType() : p.getTypes().iterator().next();
    }
}
