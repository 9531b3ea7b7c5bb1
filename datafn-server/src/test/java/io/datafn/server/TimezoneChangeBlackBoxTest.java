package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static io.datafn.server.JsonAssert.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in {@code datafnTimezoneChange} resource (reference-query-mutation.md §2.8): present whatever the schema,
 * a table like any resource, served by query, mutation, clone, pull and push, on SQLite and PostgreSQL.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class TimezoneChangeBlackBoxTest {
    static final String RESOURCE = "datafnTimezoneChange";
    static final String CHANGE = "{\"timezone\":\"Europe/Berlin\",\"effectiveFrom\":1767225600000,\"recordedAt\":1767225601000,"
            + "\"source\":\"device\"}";

    @Parameter
    TestDb db;

    @Test
    void clone_ofAFreshNamespace_returnsTheEmptyTableAndItsCursor() {
        try (TestServer s = TestServer.start(db, Fixtures.F1_SCHEMA)) {
            JsonNode r = s.post("clone", "{\"tables\":[\"" + RESOURCE + "\"]}").result();
            assertJson(r, "{\"ok\":true,\"data\":{\"" + RESOURCE + "\":[]},\"cursors\":{\"" + RESOURCE + "\":\"0\"}}");
            assertThat(s.post("clone", "{}").result().get("data").has(RESOURCE)).isTrue();
        }
    }

    @Test
    void insertQueryCloneAndPull_workLikeAnyResource() {
        try (TestServer s = TestServer.start(db, Fixtures.F1_SCHEMA)) {
            s.mutate("{\"resource\":\"" + RESOURCE + "\",\"operation\":\"insert\",\"id\":\"timezoneChange:1\",\"record\":" + CHANGE + "}");
            String generated = s.mutate("{\"resource\":\"" + RESOURCE + "\",\"operation\":\"insert\",\"record\":{\"timezone\":\"UTC\","
                    + "\"effectiveFrom\":1767312000000,\"recordedAt\":1767312000000}}").path("affectedIds").get(0).asText();
            assertThat(generated).matches("timezoneChange:[0-9a-f-]{36}");

            String row = "{\"id\":\"timezoneChange:1\",\"timezone\":\"Europe/Berlin\",\"effectiveFrom\":1767225600000,"
                    + "\"recordedAt\":1767225601000,\"source\":\"device\"}";
            JsonNode q = s.query("{\"resource\":\"" + RESOURCE + "\",\"filters\":{\"effectiveFrom\":{\"lt\":1767312000000}}}");
            assertJson(q.get("data"), "[" + row + "]");
            q = s.query("{\"resource\":\"" + RESOURCE + "\",\"select\":[\"id\",\"timezone\"],\"sort\":[\"-effectiveFrom\"]}");
            assertThat(q.get("data").get(0).get("timezone").asText()).isEqualTo("UTC");

            JsonNode clone = s.post("clone", "{\"tables\":[\"" + RESOURCE + "\"]}").result();
            assertThat(clone.get("data").get(RESOURCE)).hasSize(2);
            assertThat(clone.get("cursors").get(RESOURCE).asText()).isEqualTo("2");

            JsonNode pull = s.post("pull", "{\"cursors\":{\"" + RESOURCE + "\":\"0\"}}").result();
            assertThat(pull.get("records").get(RESOURCE)).hasSize(2);
            assertJson(byId(pull.get("records").get(RESOURCE), "timezoneChange:1"), row);
            assertJson(pull.get("cursors"), "{\"" + RESOURCE + "\":\"2\"}");
        }
    }

    @Test
    void push_andItsRules_applyToTheBuiltIn() {
        try (TestServer s = TestServer.start(db, Fixtures.F1_SCHEMA)) {
            TestServer.Reply r = s.post("push", "{\"clientId\":\"c1\",\"mutations\":[{\"resource\":\"" + RESOURCE + "\",\"operation\":\"insert\","
                    + "\"id\":\"timezoneChange:p\",\"record\":" + CHANGE + ",\"clientId\":\"c1\",\"mutationId\":\"m1\"}]}");
            assertThat(r.status()).as("push %s", r.body()).isEqualTo(200);
            JsonNode pull = s.post("pull", "{\"cursors\":{\"" + RESOURCE + "\":\"0\"}}").result();
            assertThat(pull.get("records").get(RESOURCE).get(0).get("id").asText()).isEqualTo("timezoneChange:p");

            TestServer.Reply missing = s.post("mutation", "{\"resource\":\"" + RESOURCE + "\",\"operation\":\"insert\","
                    + "\"id\":\"timezoneChange:x\",\"record\":{\"timezone\":\"UTC\",\"recordedAt\":1}}");
            JsonAssert.assertError(missing, 400, "DFQL_INVALID", null, "$.record.effectiveFrom");
            TestServer.Reply wrongPrefix = s.post("mutation", "{\"resource\":\"" + RESOURCE + "\",\"operation\":\"insert\","
                    + "\"id\":\"tz:1\",\"record\":" + CHANGE + "}");
            JsonAssert.assertError(wrongPrefix, 400, "DFQL_INVALID", "Invalid id: must start with \"timezoneChange\"", "$.id");
        }
    }

    @Test
    void restart_onADatabaseOfThePreviousVersion_addsTheTable() throws SQLException {
        String url;
        try (TestServer first = TestServer.start(db, Fixtures.F1_SCHEMA)) {
            first.mutate("{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\"tag:kept\",\"record\":{\"label\":\"kept\"}}");
            url = first.jdbcUrl;
        }
        // what the previous version left: no table, and a stored schema without the resource
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.execute("DROP TABLE " + db.quote(RESOURCE));
            String stored;
            try (ResultSet rs = st.executeQuery("SELECT value FROM datafn_meta WHERE " + db.quote("key") + " = 'schema'")) {
                assertThat(rs.next()).isTrue();
                stored = rs.getString(1);
            }
            ObjectNode schema = (ObjectNode) Json.parse(stored);
            ArrayNode resources = (ArrayNode) schema.get("resources");
            for (int i = resources.size() - 1; i >= 0; i--) {
                if (resources.get(i).path("name").asText().equals(RESOURCE)) {
                    resources.remove(i);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE datafn_meta SET value = ? WHERE " + db.quote("key") + " = 'schema'")) {
                ps.setString(1, Json.text(schema));
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
        }
        try (TestServer s = TestServer.startOn(url, Fixtures.F1_SCHEMA, b -> b)) {
            s.mutate("{\"resource\":\"" + RESOURCE + "\",\"operation\":\"insert\",\"id\":\"timezoneChange:1\",\"record\":" + CHANGE + "}");
            assertThat(s.query("{\"resource\":\"" + RESOURCE + "\"}").get("data")).hasSize(1);
            assertThat(s.query("{\"resource\":\"tag\"}").get("data").get(0).get("id").asText()).isEqualTo("tag:kept");
        }
    }

    private static JsonNode byId(JsonNode rows, String id) {
        for (JsonNode r : rows) {
            if (r.path("id").asText().equals(id)) {
                return r;
            }
        }
        throw new AssertionError(id + " not in " + rows);
    }
}
