package io.datafn.jdbc;

import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Every difference between PostgreSQL and SQLite, named, in one place. Nothing else in the store asks which database
 * it talks to.
 */
enum Dialect {
    POSTGRES {
        @Override
        String columnType(ColumnKind kind) {
            return switch (kind) {
                // COLLATE "C": code-point order, so sort and cursors agree with SQLite (PROTOCOL.md "Ordering of text")
                case TEXT -> "text COLLATE \"C\"";
                case NUMBER -> "double precision";
                case BOOLEAN -> "boolean";
                case BIGINT -> "bigint";
                case JSON -> "jsonb";
            };
        }

        @Override
        DataType<?> jsonDataType() {
            return SQLDataType.JSONB;
        }

        @Override
        String likePattern(String pattern) {
            // PostgreSQL's LIKE treats backslash as the escape character by default; DFQL has no escape character.
            return pattern.replace("\\", "\\\\");
        }

        @Override
        Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind) {
            String p = path.isEmpty() ? "{}" : "{" + path.stream().map(s -> "\"" + s.replace("\"", "\\\"") + "\"")
                    .collect(Collectors.joining(",")) + "}";
            String node = "({0} #> '" + p.replace("'", "''") + "')";
            String sql = switch (kind) {
                case TEXT -> "(case when jsonb_typeof(" + node + ") = 'string' then " + node + " #>> '{}' end)";
                case NUMBER -> "(case when jsonb_typeof(" + node + ") = 'number' then (" + node + " #>> '{}')::double precision end)";
                case BOOLEAN -> "(case when jsonb_typeof(" + node + ") = 'boolean' then (" + node + " #>> '{}')::boolean end)";
                case ANY -> node;
            };
            return DSL.field(sql, Object.class, json);
        }

        @Override
        Condition jsonContains(Field<?> json, List<String> path, String elementJson) {
            return DSL.condition("(" + jsonScalar(json, path, ScalarKind.ANY) + " @> {0})",
                    DSL.val("[" + elementJson + "]").cast(SQLDataType.JSONB));
        }

        @Override
        Condition jsonEquals(Field<?> json, List<String> path, String valueJson) {
            return DSL.condition("{0} = {1}", jsonScalar(json, path, ScalarKind.ANY),
                    DSL.val(valueJson).cast(SQLDataType.JSONB));
        }

        @Override
        boolean rowLocks() {
            return true;
        }

        @Override
        void lockKey(DSLContext ctx, String key) {
            // a transaction-scoped advisory lock on a 64-bit hash of the key; a hash collision only makes one wait
            ctx.execute("select pg_advisory_xact_lock(hashtextextended({0}, 0))", DSL.val(key));
        }
    },

    SQLITE {
        @Override
        String columnType(ColumnKind kind) {
            return switch (kind) {
                case TEXT, JSON -> "TEXT";
                case NUMBER -> "REAL";
                case BOOLEAN, BIGINT -> "INTEGER";
            };
        }

        @Override
        DataType<?> jsonDataType() {
            return SQLDataType.VARCHAR;
        }

        @Override
        String likePattern(String pattern) {
            return pattern;
        }

        private String jsonPath(List<String> path) {
            StringBuilder sb = new StringBuilder("$");
            for (String s : path) {
                sb.append(".\"").append(s.replace("\"", "\\\"")).append('"');
            }
            return sb.toString().replace("'", "''");
        }

        @Override
        Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind) {
            String p = "'" + jsonPath(path) + "'";
            String sql = switch (kind) {
                case TEXT -> "(case when json_type({0}, " + p + ") = 'text' then json_extract({0}, " + p + ") end)";
                case NUMBER -> "(case when json_type({0}, " + p + ") in ('integer','real') then json_extract({0}, " + p + ") end)";
                case BOOLEAN -> "(case when json_type({0}, " + p + ") in ('true','false') then json_extract({0}, " + p + ") end)";
                case ANY -> "json_extract({0}, " + p + ")";
            };
            return DSL.field(sql, Object.class, json);
        }

        /** json_type with integer and real folded into one kind, as JSON has one number type. */
        private String kind(String typeExpr) {
            return "(case when " + typeExpr + " in ('integer','real') then 'number' else " + typeExpr + " end)";
        }

        private String sameValue(String valueExpr, String typeExpr) {
            // {1} is the canonical JSON text of the filter value
            return "(" + kind(typeExpr) + " = " + kind("json_type({1})") + " and (case when " + typeExpr
                    + " in ('object','array') then json(" + valueExpr + ") = json({1}) else " + valueExpr
                    + " = json_extract({1}, '$') end))";
        }

        @Override
        Condition jsonContains(Field<?> json, List<String> path, String elementJson) {
            String p = "'" + jsonPath(path) + "'";
            return DSL.condition("(json_type({0}, " + p + ") = 'array' and exists (select 1 from json_each({0}, " + p
                    + ") je where " + sameValue("je.value", "je.type") + "))", json, DSL.val(elementJson));
        }

        @Override
        Condition jsonEquals(Field<?> json, List<String> path, String valueJson) {
            String p = "'" + jsonPath(path) + "'";
            return DSL.condition("(json_type({0}, " + p + ") is not null and "
                    + sameValue("json_extract({0}, " + p + ")", "json_type({0}, " + p + ")") + ")", json, DSL.val(valueJson));
        }

        @Override
        boolean rowLocks() {
            return false; // one writer connection: a write transaction already excludes every other writer
        }

        @Override
        void lockKey(DSLContext ctx, String key) {
            // nothing to do: the one writer connection already excludes every other writer
        }
    };

    enum ColumnKind { TEXT, NUMBER, BOOLEAN, BIGINT, JSON }

    /** The JSON value kind a comparison needs from a json column; other kinds read as SQL null. */
    enum ScalarKind { TEXT, NUMBER, BOOLEAN, ANY }

    abstract String columnType(ColumnKind kind);

    abstract DataType<?> jsonDataType();

    /** A DFQL LIKE pattern ({@code %}, {@code _}, no escape character) in this database's syntax. */
    abstract String likePattern(String pattern);

    /** The value at {@code path} inside a json column as an SQL scalar of {@code kind}, null when of another kind. */
    abstract Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind);

    /** The json array at {@code path} has an element equal to the given JSON value. */
    abstract Condition jsonContains(Field<?> json, List<String> path, String elementJson);

    /** The json value at {@code path} equals the given JSON value. */
    abstract Condition jsonEquals(Field<?> json, List<String> path, String valueJson);

    /** Whether {@code SELECT ... FOR UPDATE} exists (and is needed). */
    abstract boolean rowLocks();

    /**
     * Makes the current write transaction the only one holding {@code key} (a name, not a row) until it ends; another
     * transaction asking for the same key waits until then.
     */
    abstract void lockKey(DSLContext ctx, String key);

    SQLDialect jooq() {
        return this == POSTGRES ? SQLDialect.POSTGRES : SQLDialect.SQLITE;
    }

    static Dialect fromUrl(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRES;
        }
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        throw new IllegalArgumentException("database: unsupported JDBC URL '" + jdbcUrl
                + "' (use jdbc:postgresql://host:port/db or jdbc:sqlite:path)");
    }
}
