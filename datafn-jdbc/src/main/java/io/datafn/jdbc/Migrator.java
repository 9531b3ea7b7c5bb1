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

import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Name;
import org.jooq.Table;
import org.jooq.impl.DSL;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;


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

    private DataType<?> type(Dialect.ColumnKind kind, boolean notNull) {
        DataType<?> t = dialect.columnType(kind);
        return notNull ? t.nullable(false) : t;
    }

    private DataType<?> key() {
        return type(Dialect.ColumnKind.KEY, true);
    }

    private DataType<?> text() {
        return type(Dialect.ColumnKind.TEXT, true);
    }

    private DataType<?> bigint() {
        return type(Dialect.ColumnKind.BIGINT, true);
    }

    private static Name n(String name) {
        return DSL.name(name);
    }

    /** Runs inside the migration's transaction, after {@link Dialect#lockMigration}. */
    void migrate(DSLContext ctx, Schema schema) {
        // "key" is a reserved word in MariaDB: every name is quoted (the store's settings render DSL names quoted)
        ctx.createTableIfNotExists(n(SqlNames.META)).column(n("key"), key()).column(n("value"), text())
                .primaryKey(n("key")).execute();
        ctx.createTableIfNotExists(n(SqlNames.IDEMPOTENCY)).column(n("ns"), key()).column(n("client_id"), key())
                .column(n("mutation_id"), key()).column(n("payload"), text()).column(n("result"), text())
                .column(n("created_at"), bigint()).primaryKey(n("ns"), n("client_id"), n("mutation_id")).execute();
        index(ctx, SqlNames.IDEMPOTENCY + "__age", SqlNames.IDEMPOTENCY, null, DSL.field(n("created_at")));
        // the change log: one row per change, seq unique per namespace; pulls read (ns, resource, seq) ranges
        ctx.createTableIfNotExists(n(SqlNames.CHANGES)).column(n("ns"), key()).column(n("seq"), bigint())
                .column(n("resource"), key()).column(n("record_id"), key()).column(n("op"), key())
                .column(n("record"), type(Dialect.ColumnKind.TEXT, false)).column(n("created_at"), bigint())
                .primaryKey(n("ns"), n("seq")).execute();
        index(ctx, SqlNames.CHANGES + "__res", SqlNames.CHANGES, null, DSL.field(n("ns")), DSL.field(n("resource")),
                DSL.field(n("seq")));
        index(ctx, SqlNames.CHANGES + "__age", SqlNames.CHANGES, null, DSL.field(n("created_at")));
        // deletions by record, for "Record was deleted" answers (partial where it exists: only delete rows pay for it)
        index(ctx, SqlNames.CHANGES + "__del", SqlNames.CHANGES, DSL.field(n("op")).eq(DSL.inline("delete")),
                DSL.field(n("ns")), DSL.field(n("resource")), DSL.field(n("record_id")));
        // share grants: record_id '' is a resource-scope grant covering every record its granted_by owns
        ctx.createTableIfNotExists(n(SqlNames.GRANTS)).column(n("ns"), key()).column(n("resource"), key())
                .column(n("record_id"), key()).column(n("principal"), key()).column(n("level"), key())
                .column(n("granted_by"), key()).column(n("granted_at"), bigint())
                .constraints(dialect.wideKey(n("ns"), n("resource"), n("record_id"), n("principal"), n("granted_by")))
                .execute();
        index(ctx, SqlNames.GRANTS + "__principal", SqlNames.GRANTS, null, DSL.field(n("ns")), DSL.field(n("resource")),
                DSL.field(n("principal")));
        // pushed mutations failing with a retryable error: attempts counted, given up after a bound
        ctx.createTableIfNotExists(n(SqlNames.QUARANTINE)).column(n("ns"), key()).column(n("client_id"), key())
                .column(n("mutation_id"), key()).column(n("payload"), text()).column(n("code"), text())
                .column(n("message"), text()).column(n("attempts"), bigint()).column(n("quarantined"), bigint())
                .column(n("first_seen"), bigint()).column(n("last_seen"), bigint())
                .primaryKey(n("ns"), n("client_id"), n("mutation_id")).execute();
        ctx.createTableIfNotExists(n(SqlNames.SEQ)).column(n("ns"), key()).column(n("value"), bigint())
                .primaryKey(n("ns")).execute();
        ctx.createTableIfNotExists(n(SqlNames.SEED)).column(n("ns"), key()).column(n("created_at"), bigint())
                .primaryKey(n("ns")).execute();

        JsonNode previous = readPrevious(ctx);
        Map<String, Map<String, JsonNode>> oldFields = new HashMap<>();
        List<SchemaException.Problem> problems = previous == null ? List.of() : compare(previous, schema, oldFields);
        if (!problems.isEmpty()) {
            throw new SchemaException(problems);
        }
        for (MigrationPlan.Step step : additions(ctx, previous, oldFields, schema)) {
            if (previous != null) {
                log.info("schema: adding {}", step.description());
            }
            step.ddl().execute();
        }
        for (Resource r : schema.resources()) {
            String t = SqlNames.table(r);
            for (Field f : r.fields()) {
                if (f.unique()) {
                    ctx.createUniqueIndexIfNotExists(n(SqlNames.index(r.name(), "u", f.name())))
                            .on(DSL.table(n(t)), DSL.field(n(Columns.NS)), DSL.field(n(f.name()))).execute();
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
                List<org.jooq.Field<?>> on = new ArrayList<>();
                on.add(DSL.field(n(Columns.NS)));
                for (String col : cols) {
                    Field f = r.field(col);
                    Dialect.ColumnKind kind = f == null ? Dialect.ColumnKind.KEY : columns.kind(f.type());
                    on.add(dialect.indexed(DSL.field(n(col)), kind));
                }
                index(ctx, SqlNames.index(r.name(), "i", cols.toArray(String[]::new)), t, null,
                        on.toArray(org.jooq.Field[]::new));
            }
        }
        for (Relation rel : schema.relations()) {
            if (rel.type() == RelationType.MANY_MANY) {
                String jt = SqlNames.joinTable(rel);
                index(ctx, SqlNames.index(jt, "to"), jt, null, DSL.field(n(Columns.NS)), DSL.field(n(SqlNames.TO)));
            }
        }
        Table<?> meta = DSL.table(n(SqlNames.META));
        org.jooq.Field<String> k = DSL.field(n("key"), String.class);
        org.jooq.Field<String> v = DSL.field(n("value"), String.class);
        ctx.deleteFrom(meta).where(k.eq("schema")).execute();
        ctx.insertInto(meta, k, v).values("schema", Json.text(schema.normalized())).execute();
    }

    /**
     * What {@link #migrate} would do to this database, without doing it: the tables and columns it would add (with
     * their DDL) and the changes it would refuse. Reads only; a database without DataFn tables is {@code fresh}.
     */
    MigrationPlan plan(DSLContext ctx, Schema schema) {
        JsonNode previous;
        try {
            previous = readPrevious(ctx);
        } catch (org.jooq.exception.DataAccessException e) {
            previous = null; // no datafn_meta table yet: nothing was ever migrated here
        }
        Map<String, Map<String, JsonNode>> oldFields = new HashMap<>();
        List<SchemaException.Problem> problems = previous == null ? List.of() : compare(previous, schema, oldFields);
        return new MigrationPlan(previous == null, additions(ctx, previous, oldFields, schema), problems);
    }

    /**
     * The tables and columns the schema adds to the previous one (everything when {@code previous} is null): new
     * resources, new fields (nullable, optional or defaulted, {@link #compare} refuses the others), new many-many
     * join tables and their new metadata columns.
     */
    private List<MigrationPlan.Step> additions(DSLContext ctx, JsonNode previous, Map<String, Map<String, JsonNode>> oldFields,
                                               Schema schema) {
        List<MigrationPlan.Step> steps = new ArrayList<>();
        for (Resource r : schema.resources()) {
            String t = SqlNames.table(r);
            Map<String, JsonNode> known = oldFields.get(r.name());
            if (known == null) {
                var ddl = ctx.createTableIfNotExists(n(t)).column(n(Columns.NS), key()).column(n("id"), key());
                for (Field f : r.fields()) {
                    ddl = ddl.column(n(f.name()), type(columns.kind(f.type()), false));
                }
                steps.add(new MigrationPlan.Step("resource " + r.name() + " (new table " + t + ")",
                        ddl.primaryKey(n(Columns.NS), n("id"))));
                continue;
            }
            for (Field f : r.fields()) {
                if (!known.containsKey(f.name())) {
                    steps.add(new MigrationPlan.Step("column " + r.name() + "." + f.name() + " (" + f.type().wireName() + ")",
                            ctx.alterTable(n(t)).addColumn(n(f.name()), type(columns.kind(f.type()), false))));
                }
            }
        }
        for (Relation rel : schema.relations()) {
            if (rel.type() != RelationType.MANY_MANY) {
                continue;
            }
            String jt = SqlNames.joinTable(rel);
            Map<String, JsonNode> knownMeta = previous == null ? null : oldFields.get(rel.joinKey());
            if (knownMeta == null) {
                var ddl = ctx.createTableIfNotExists(n(jt)).column(n(Columns.NS), key()).column(n(SqlNames.FROM), key())
                        .column(n(SqlNames.TO), key());
                for (Field f : rel.metadata()) {
                    ddl = ddl.column(n(f.name()), type(columns.kind(f.type()), false));
                }
                steps.add(new MigrationPlan.Step("many-many relation " + rel.from() + "." + rel.relation()
                        + " (new join table " + jt + ")", ddl.primaryKey(n(Columns.NS), n(SqlNames.FROM), n(SqlNames.TO))));
                continue;
            }
            for (Field f : rel.metadata()) {
                if (!knownMeta.containsKey(f.name())) {
                    steps.add(new MigrationPlan.Step("metadata column " + rel.from() + "." + rel.relation() + "."
                            + f.name() + " (" + f.type().wireName() + ")",
                            ctx.alterTable(n(jt)).addColumn(n(f.name()), type(columns.kind(f.type()), false))));
                }
            }
        }
        return steps;
    }

    /** {@code CREATE INDEX IF NOT EXISTS}, partial where the dialect has partial indexes ({@code where} may be null). */
    private void index(DSLContext ctx, String name, String table, Condition where, org.jooq.Field<?>... on) {
        var ddl = ctx.createIndexIfNotExists(n(name)).on(DSL.table(n(table)), on);
        if (where != null && dialect.partialIndexes()) {
            ddl.where(where).execute();
        } else {
            ddl.execute();
        }
    }

    private static JsonNode readPrevious(DSLContext ctx) {
        String text = ctx.select(DSL.field(n("value"), String.class)).from(DSL.table(n(SqlNames.META)))
                .where(DSL.field(n("key"), String.class).eq("schema")).fetchOne(0, String.class);
        return text == null ? null : Json.parse(text);
    }

    /**
     * Compares the stored schema with the new one: the changes that would lose or reinterpret data, each named.
     *
     * @param old filled with the previous fields by resource name (and by join key for many-many metadata)
     */
    private static List<SchemaException.Problem> compare(JsonNode previous, Schema schema, Map<String, Map<String, JsonNode>> old) {
        List<SchemaException.Problem> problems = new ArrayList<>();
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
        return problems;
    }
}
