package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import io.datafn.schema.Field;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.datafn.jdbc.SqlNames.quote;

/**
 * Creates and evolves the tables of a schema. The schema last applied is kept in {@code datafn_meta}; compared with
 * it, new resources, new many-many relations and new fields (nullable, optional or defaulted) are added; removals
 * and type changes are refused, naming each, so that no data is lost silently.
 */
final class Migrator {
    private static final Logger log = LoggerFactory.getLogger(Migrator.class);

    private final Dialect dialect;
    private final Columns columns;

    Migrator(Dialect dialect) {
        this.dialect = dialect;
        this.columns = new Columns(dialect);
    }

    void migrate(Connection c, Schema schema) throws SQLException {
        String text = dialect.columnType(Dialect.ColumnKind.TEXT);
        String bigint = dialect.columnType(Dialect.ColumnKind.BIGINT);
        try (Statement st = c.createStatement()) {
            if (dialect == Dialect.POSTGRES) {
                // one migrating node at a time when several servers start on the same database
                st.execute("SELECT pg_advisory_xact_lock(7366354211)");
            }
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.META + " (key " + text + " PRIMARY KEY, value " + text + " NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.IDEMPOTENCY + " (ns " + text + " NOT NULL, client_id "
                    + text + " NOT NULL, mutation_id " + text + " NOT NULL, payload " + text + " NOT NULL, result " + text
                    + " NOT NULL, created_at " + bigint + " NOT NULL, PRIMARY KEY (ns, client_id, mutation_id))");
            st.execute("CREATE INDEX IF NOT EXISTS " + SqlNames.IDEMPOTENCY + "__age ON " + SqlNames.IDEMPOTENCY + " (created_at)");
            // the change log: one row per change, seq unique per namespace; pulls read (ns, resource, seq) ranges
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.CHANGES + " (ns " + text + " NOT NULL, seq " + bigint
                    + " NOT NULL, resource " + text + " NOT NULL, record_id " + text + " NOT NULL, op " + text
                    + " NOT NULL, record " + text + ", created_at " + bigint + " NOT NULL, PRIMARY KEY (ns, seq))");
            st.execute("CREATE INDEX IF NOT EXISTS " + SqlNames.CHANGES + "__res ON " + SqlNames.CHANGES + " (ns, resource, seq)");
            st.execute("CREATE INDEX IF NOT EXISTS " + SqlNames.CHANGES + "__age ON " + SqlNames.CHANGES + " (created_at)");
            // deletions by record, for "Record was deleted" answers (partial: only delete rows pay for it)
            st.execute("CREATE INDEX IF NOT EXISTS " + SqlNames.CHANGES + "__del ON " + SqlNames.CHANGES
                    + " (ns, resource, record_id) WHERE op = 'delete'");
            // share grants: record_id '' is a resource-scope grant covering every record its granted_by owns
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.GRANTS + " (ns " + text + " NOT NULL, resource " + text
                    + " NOT NULL, record_id " + text + " NOT NULL, principal " + text + " NOT NULL, level " + text
                    + " NOT NULL, granted_by " + text + " NOT NULL, granted_at " + bigint
                    + " NOT NULL, PRIMARY KEY (ns, resource, record_id, principal, granted_by))");
            st.execute("CREATE INDEX IF NOT EXISTS " + SqlNames.GRANTS + "__principal ON " + SqlNames.GRANTS
                    + " (ns, resource, principal)");
            // pushed mutations failing with a retryable error: attempts counted, given up after a bound
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.QUARANTINE + " (ns " + text + " NOT NULL, client_id " + text
                    + " NOT NULL, mutation_id " + text + " NOT NULL, payload " + text + " NOT NULL, code " + text
                    + " NOT NULL, message " + text + " NOT NULL, attempts " + bigint + " NOT NULL, quarantined " + bigint
                    + " NOT NULL, first_seen " + bigint + " NOT NULL, last_seen " + bigint
                    + " NOT NULL, PRIMARY KEY (ns, client_id, mutation_id))");
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.SEQ + " (ns " + text + " PRIMARY KEY, value " + bigint + " NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS " + SqlNames.SEED + " (ns " + text + " PRIMARY KEY, created_at " + bigint + " NOT NULL)");
        }
        JsonNode previous = readPrevious(c);
        Map<String, Map<String, JsonNode>> oldFields = previous == null ? Map.of() : refuseDestructive(previous, schema);
        try (Statement st = c.createStatement()) {
            for (Resource r : schema.resources()) {
                String t = quote(SqlNames.table(r));
                Map<String, JsonNode> known = oldFields.get(r.name());
                if (known == null) {
                    if (previous != null) {
                        log.info("schema: adding resource {} (new table)", r.name());
                    }
                    StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS " + t + " (" + quote(Columns.NS)
                            + " " + text + " NOT NULL, " + quote("id") + " " + text + " NOT NULL");
                    for (Field f : r.fields()) {
                        ddl.append(", ").append(quote(f.name())).append(' ').append(dialect.columnType(columns.kind(f.type())));
                    }
                    ddl.append(", PRIMARY KEY (").append(quote(Columns.NS)).append(", ").append(quote("id")).append("))");
                    st.execute(ddl.toString());
                } else {
                    for (Field f : r.fields()) {
                        if (!known.containsKey(f.name())) {
                            log.info("schema: adding column {}.{} ({})", r.name(), f.name(), f.type().wireName());
                            st.execute("ALTER TABLE " + t + " ADD COLUMN " + quote(f.name()) + " "
                                    + dialect.columnType(columns.kind(f.type())));
                        }
                    }
                }
                for (Field f : r.fields()) {
                    if (f.unique()) {
                        st.execute("CREATE UNIQUE INDEX IF NOT EXISTS " + quote(SqlNames.index(r.name(), "u", f.name()))
                                + " ON " + t + " (" + quote(Columns.NS) + ", " + quote(f.name()) + ")");
                    }
                }
                List<List<String>> indexes = new ArrayList<>(r.indices());
                for (Relation rel : schema.relations()) {
                    boolean fkHere = (rel.type() == RelationType.MANY_ONE && rel.from().equals(r.name()))
                            || (rel.type() == RelationType.ONE_MANY && rel.to().equals(r.name()));
                    if (fkHere) {
                        indexes.add(List.of(rel.fkField()));
                    }
                }
                for (List<String> cols : indexes) {
                    StringBuilder on = new StringBuilder(quote(Columns.NS));
                    cols.forEach(col -> on.append(", ").append(quote(col)));
                    st.execute("CREATE INDEX IF NOT EXISTS " + quote(SqlNames.index(r.name(), "i", cols.toArray(String[]::new)))
                            + " ON " + t + " (" + on + ")");
                }
            }
            for (Relation rel : schema.relations()) {
                if (rel.type() != RelationType.MANY_MANY) {
                    continue;
                }
                String jt = quote(SqlNames.joinTable(rel));
                StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS " + jt + " (" + quote(Columns.NS) + " "
                        + text + " NOT NULL, " + SqlNames.FROM + " " + text + " NOT NULL, " + SqlNames.TO + " " + text + " NOT NULL");
                for (Field f : rel.metadata()) {
                    ddl.append(", ").append(quote(f.name())).append(' ').append(dialect.columnType(columns.kind(f.type())));
                }
                ddl.append(", PRIMARY KEY (").append(quote(Columns.NS)).append(", ").append(SqlNames.FROM).append(", ")
                        .append(SqlNames.TO).append("))");
                st.execute(ddl.toString());
                Map<String, JsonNode> knownMeta = oldFields.get(rel.joinKey());
                if (knownMeta != null) {
                    for (Field f : rel.metadata()) {
                        if (!knownMeta.containsKey(f.name())) {
                            st.execute("ALTER TABLE " + jt + " ADD COLUMN " + quote(f.name()) + " "
                                    + dialect.columnType(columns.kind(f.type())));
                        }
                    }
                }
                st.execute("CREATE INDEX IF NOT EXISTS " + quote(SqlNames.index(SqlNames.joinTable(rel), "to"))
                        + " ON " + jt + " (" + quote(Columns.NS) + ", " + SqlNames.TO + ")");
            }
        }
        try (PreparedStatement del = c.prepareStatement("DELETE FROM " + SqlNames.META + " WHERE key = 'schema'");
             PreparedStatement ins = c.prepareStatement("INSERT INTO " + SqlNames.META + " (key, value) VALUES ('schema', ?)")) {
            del.executeUpdate();
            ins.setString(1, Json.text(schema.normalized()));
            ins.executeUpdate();
        }
    }

    private static JsonNode readPrevious(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT value FROM " + SqlNames.META + " WHERE key = 'schema'");
             ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Json.parse(rs.getString(1)) : null;
        }
    }

    /**
     * Compares the stored schema with the new one and throws when a change would lose or reinterpret data.
     *
     * @return the previous fields by resource name (and by join key for many-many metadata)
     */
    private static Map<String, Map<String, JsonNode>> refuseDestructive(JsonNode previous, Schema schema) {
        List<SchemaException.Problem> problems = new ArrayList<>();
        Map<String, Map<String, JsonNode>> old = new HashMap<>();
        for (JsonNode r : previous.path("resources")) {
            Map<String, JsonNode> fields = new HashMap<>();
            r.path("fields").forEach(f -> fields.put(f.path("name").asText(), f));
            String name = r.path("name").asText();
            old.put(name, fields);
            Resource now = schema.resource(name);
            if (now == null) {
                problems.add(new SchemaException.Problem("resources", "resource '" + name
                        + "' was removed, but its table still holds data; drop the table by hand if that is intended"));
                continue;
            }
            fields.forEach((fname, f) -> {
                Field nf = now.field(fname);
                if (nf == null) {
                    problems.add(new SchemaException.Problem("resources." + name + ".fields", "field '" + name + "." + fname
                            + "' was removed, but its column still holds data"));
                } else if (!nf.type().wireName().equals(f.path("type").asText())) {
                    problems.add(new SchemaException.Problem("resources." + name + ".fields." + fname, "field '" + name + "."
                            + fname + "' changed type from " + f.path("type").asText() + " to " + nf.type().wireName()));
                }
            });
            for (Field nf : now.fields()) {
                if (!fields.containsKey(nf.name()) && nf.required() && !nf.nullable() && !nf.hasDefault() && !nf.system()) {
                    problems.add(new SchemaException.Problem("resources." + name + ".fields." + nf.name(), "new field '"
                            + name + "." + nf.name() + "' is required without a default, but existing rows have no value;"
                            + " make it nullable, optional or give it a default"));
                }
            }
        }
        for (JsonNode rel : previous.path("relations")) {
            String key = "join_" + rel.path("from").asText() + "_" + rel.path("relation").asText() + "_" + rel.path("to").asText();
            Relation now = schema.relations().stream()
                    .filter(x -> x.from().equals(rel.path("from").asText()) && x.relation().equals(rel.path("relation").asText()))
                    .findFirst().orElse(null);
            String type = rel.path("type").asText();
            if (now == null) {
                if (type.equals("many-many")) {
                    problems.add(new SchemaException.Problem("relations", "many-many relation '" + rel.path("from").asText()
                            + "." + rel.path("relation").asText() + "' was removed, but its join table still holds data"));
                }
                continue;
            }
            if (!now.type().wireName().equals(type)) {
                problems.add(new SchemaException.Problem("relations", "relation '" + now.from() + "." + now.relation()
                        + "' changed type from " + type + " to " + now.type().wireName()));
            }
            if (type.equals("many-many")) {
                Map<String, JsonNode> meta = new HashMap<>();
                rel.path("metadata").forEach(f -> meta.put(f.path("name").asText(), f));
                old.put(key, meta);
                meta.forEach((fname, f) -> {
                    Field nf = now.metadataField(fname);
                    if (nf == null) {
                        problems.add(new SchemaException.Problem("relations", "metadata '" + fname + "' of relation '"
                                + now.from() + "." + now.relation() + "' was removed, but its column still holds data"));
                    } else if (!nf.type().wireName().equals(f.path("type").asText())) {
                        problems.add(new SchemaException.Problem("relations", "metadata '" + fname + "' of relation '"
                                + now.from() + "." + now.relation() + "' changed type"));
                    }
                });
            }
        }
        if (!problems.isEmpty()) {
            throw new SchemaException(problems);
        }
        return old;
    }
}
