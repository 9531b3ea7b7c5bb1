package io.datafn.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.schema.Relation;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaException;
import io.datafn.schema.SchemaParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tables from the schema and their evolution ({@link Migrator}, through {@link JdbcStore#migrate}): additions are
 * applied, anything that would lose or reinterpret data is refused naming it; on a real database of each dialect.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class MigratorTest {
    private static final String NOTE_V1 = "{\"resources\":[{\"name\":\"note\",\"version\":1,\"fields\":["
            + "{\"name\":\"text\",\"type\":\"string\"},{\"name\":\"slug\",\"type\":\"string\",\"unique\":true}]}]}";

    @Parameter
    TestDatabase db;

    JdbcStore store;

    @BeforeEach
    void open() {
        store = JdbcStore.open(db.freshUrl(), null, null, 2);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Schema schema(String json) {
        return SchemaParser.parse(Json.parse(json));
    }

    private void insert(Schema s, String resource, String json) {
        store.write("ns", tx -> tx.records().insert(s.resource(resource), (ObjectNode) Json.parse(json)));
    }

    @Test
    void migratingTheSameSchemaAgain_changesNothing() {
        Schema v1 = schema(NOTE_V1);
        store.migrate(v1);
        insert(v1, "note", "{\"id\":\"n1\",\"text\":\"hello\",\"slug\":\"a\"}");
        store.migrate(v1);
        assertThat(store.read("ns", tx -> tx.records().read(v1.resource("note"), "n1")).get("text").asText()).isEqualTo("hello");
    }

    @Test
    void uniqueFields_getAUniqueIndexPerNamespace() {
        Schema v1 = schema(NOTE_V1);
        store.migrate(v1);
        insert(v1, "note", "{\"id\":\"n1\",\"slug\":\"a\"}");
        ObjectNode same = (ObjectNode) Json.parse("{\"id\":\"n2\",\"slug\":\"a\"}");
        String clash = store.write("ns", tx -> tx.records().insert(v1.resource("note"), same));
        assertThat(clash).isEqualTo("slug");
        String otherNamespace = store.write("other", tx -> tx.records().insert(v1.resource("note"), same));
        assertThat(otherNamespace).isNull();
    }

    @Test
    void newResourcesFieldsAndRelations_areAdded() {
        store.migrate(schema(NOTE_V1));
        insert(schema(NOTE_V1), "note", "{\"id\":\"n1\",\"text\":\"hello\"}");
        Schema v2 = schema("{\"resources\":[{\"name\":\"note\",\"version\":2,\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                + "{\"name\":\"slug\",\"type\":\"string\",\"unique\":true},{\"name\":\"pinned\",\"type\":\"boolean\",\"default\":false},"
                + "{\"name\":\"folderId\",\"type\":\"string\",\"nullable\":true}]},"
                + "{\"name\":\"folder\",\"version\":1,\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}],"
                + "\"relations\":[{\"from\":\"note\",\"to\":\"folder\",\"type\":\"many-one\",\"relation\":\"folder\",\"fkField\":\"folderId\"},"
                + "{\"from\":\"note\",\"to\":\"folder\",\"type\":\"many-many\",\"relation\":\"alsoIn\",\"metadata\":[{\"name\":\"at\",\"type\":\"date\"}]}]}");
        store.migrate(v2);
        ObjectNode old = store.read("ns", tx -> tx.records().read(v2.resource("note"), "n1"));
        assertThat(old.get("text").asText()).isEqualTo("hello");
        assertThat(old.get("pinned").isNull()).isTrue();    // a new column: existing rows hold no value
        insert(v2, "folder", "{\"id\":\"f1\",\"name\":\"inbox\"}");
        Relation alsoIn = v2.relations().stream().filter(r -> r.relation().equals("alsoIn")).findFirst().orElseThrow();
        store.write("ns", tx -> {
            tx.joins().upsert(alsoIn, "n1", "f1", Json.object().put("at", 5));
            return null;
        });
        assertThat(store.read("ns", tx -> tx.joins().row(alsoIn, "n1", "f1")).get("at").asLong()).isEqualTo(5);
    }

    @Test
    void destructiveChanges_areRefused_namingEach() {
        store.migrate(schema("{\"resources\":[{\"name\":\"note\",\"version\":1,\"fields\":[{\"name\":\"text\",\"type\":\"string\"}]},"
                + "{\"name\":\"folder\",\"version\":1,\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}],"
                + "\"relations\":[{\"from\":\"note\",\"to\":\"folder\",\"type\":\"many-many\",\"relation\":\"in\"}]}"));
        assertThatThrownBy(() -> store.migrate(schema("{\"resources\":[{\"name\":\"note\",\"version\":2,\"fields\":["
                + "{\"name\":\"text\",\"type\":\"number\"},{\"name\":\"title\",\"type\":\"string\",\"required\":true}]}]}")))
                .isInstanceOfSatisfying(SchemaException.class, e -> assertThat(e.getMessage())
                        .contains("resource 'folder' was removed")
                        .contains("field 'note.text' changed type from string to number")
                        .contains("new field 'note.title' is required without a default")
                        .contains("many-many relation 'note.in' was removed"));
        // the refused schema was not applied: the old one still is
        long notes = store.read("ns", tx -> tx.records().count(schema(NOTE_V1).resource("note"), null));
        assertThat(notes).isZero();
    }

    @Test
    void longRelationNames_fitPostgresIdentifiers() {
        String rel = "a".repeat(55); // datafn_j_note_<rel> is longer than 63 bytes, and so is <rel>b's
        Schema s = schema("{\"resources\":[{\"name\":\"note\",\"version\":1,\"fields\":[]},"
                + "{\"name\":\"folder\",\"version\":1,\"fields\":[]}],"
                + "\"relations\":[{\"from\":\"note\",\"to\":\"folder\",\"type\":\"many-many\",\"relation\":\"" + rel + "\"},"
                + "{\"from\":\"note\",\"to\":\"folder\",\"type\":\"many-many\",\"relation\":\"" + rel + "b\"}]}");
        store.migrate(s);
        for (Relation r : s.relations()) {
            store.write("ns", tx -> {
                tx.joins().upsert(r, "n1", "f1", Json.object());
                return null;
            });
        }
        for (Relation r : s.relations()) {
            long joins = store.read("ns", tx -> tx.joins().count(r));
            assertThat(joins).isEqualTo(1);
        }
    }
}
