package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.DatafnServer;
import io.datafn.json.Json;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaParser;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A {@link JdbcStore} on a fresh database with a server over it (requests go to the router in memory, no sockets),
 * and the SQL of every statement the store runs, for the tests that count statements.
 */
final class StoreFixture implements AutoCloseable {
    /** Goals have tasks (many-one {@code task.goalId}); tasks have tags (many-many with an {@code order}). */
    static final Schema SCHEMA = SchemaParser.parse(Json.parse("""
            {"resources": [
              {"name": "goal", "version": 1, "fields": [
                {"name": "label", "type": "string", "required": true}]},
              {"name": "task", "version": 1, "fields": [
                {"name": "label", "type": "string", "required": true},
                {"name": "priority", "type": "number", "nullable": true},
                {"name": "done", "type": "boolean", "nullable": true},
                {"name": "dueAt", "type": "date", "nullable": true},
                {"name": "labels", "type": "array", "nullable": true},
                {"name": "meta", "type": "json", "nullable": true},
                {"name": "code", "type": "string", "unique": true, "nullable": true},
                {"name": "goalId", "type": "string", "nullable": true}]},
              {"name": "tag", "version": 1, "fields": [
                {"name": "label", "type": "string", "required": true}]}],
             "relations": [
              {"from": "task", "to": "goal", "type": "many-one", "relation": "goal", "inverse": "tasks", "fkField": "goalId"},
              {"from": "task", "to": "tag", "type": "many-many", "relation": "tags", "inverse": "tasks",
               "metadata": [{"name": "order", "type": "number"}]}]}
            """));
    /** The namespace of {@code NamespaceProvider.SINGLE}, which the server uses. */
    static final String NS = "datafn";

    final TestDatabase db;
    final JdbcStore store;
    final DatafnServer server;
    private final List<String> statements = Collections.synchronizedList(new ArrayList<>());

    StoreFixture(TestDatabase db) {
        this(db, SCHEMA);
    }

    StoreFixture(TestDatabase db, Schema schema) {
        this.db = db;
        this.store = JdbcStore.open(db.freshUrl(), null, null, 4);
        this.server = DatafnServer.builder().schema(schema).store(store).build();
        store.addStatementListener(statements::add);
    }

    /** The SQL of the statements {@code action} ran, in order. */
    List<String> statementsOf(Runnable action) {
        statements.clear();
        action.run();
        return List.copyOf(statements);
    }

    /** {@code POST <base>/<route>} through the router; the parsed response body. */
    JsonNode post(String route, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        Response r = server.router().handle(new Request("POST", "/datafn/" + route, Map.of(), h -> null, body.length,
                new ByteArrayInputStream(body), null));
        return Json.parse(new String(r.body(), StandardCharsets.UTF_8));
    }

    /** Posts and requires {@code ok:true}; the {@code result}. */
    JsonNode ok(String route, String json) {
        JsonNode r = post(route, json);
        if (!r.path("ok").asBoolean()) {
            throw new AssertionError(route + " " + json + " answered " + r);
        }
        return r.get("result");
    }

    @Override
    public void close() {
        server.close();
    }
}
