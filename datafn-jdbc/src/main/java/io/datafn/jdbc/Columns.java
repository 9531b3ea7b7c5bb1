package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import io.datafn.query.Value;
import io.datafn.schema.FieldType;
import io.datafn.schema.FieldValues;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * How each field type is stored and bound: text, double, boolean, epoch-millisecond bigint for dates, JSON documents
 * (jsonb on PostgreSQL, canonical text on SQLite and MariaDB). Values enter in storage form and leave in wire
 * form, which for every type is the storage form (dates are epoch milliseconds in both).
 */
final class Columns {
    private final Dialect dialect;

    Columns(Dialect dialect) {
        this.dialect = dialect;
    }

    static final String NS = "__ns";

    Dialect.ColumnKind kind(FieldType type) {
        return switch (type) {
            case STRING, FILE -> Dialect.ColumnKind.TEXT;
            case NUMBER -> Dialect.ColumnKind.NUMBER;
            case BOOLEAN -> Dialect.ColumnKind.BOOLEAN;
            case DATE -> Dialect.ColumnKind.BIGINT;
            case OBJECT, ARRAY, JSON -> Dialect.ColumnKind.JSON;
        };
    }

    DataType<?> dataType(FieldType type) {
        return switch (type) {
            case STRING, FILE -> SQLDataType.VARCHAR;
            case NUMBER -> SQLDataType.DOUBLE;
            case BOOLEAN -> SQLDataType.BOOLEAN;
            case DATE -> SQLDataType.BIGINT;
            case OBJECT, ARRAY, JSON -> dialect.jsonDataType();
        };
    }

    @SuppressWarnings("unchecked")
    Field<Object> column(String tableAlias, String name, FieldType type) {
        return (Field<Object>) DSL.field(DSL.name(tableAlias, name), dataType(type));
    }

    @SuppressWarnings("unchecked")
    Field<Object> column(String name, FieldType type) {
        return (Field<Object>) DSL.field(DSL.name(name), dataType(type));
    }

    /**
     * A bind value of the column's type for a DFQL value (filter operand, cursor boundary), which the parser has
     * already normalised to that type: {@link Value#NULL} binds SQL NULL, every other value its plain Java form, a JSON
     * column's value its canonical JSON.
     */
    @SuppressWarnings("unchecked")
    Field<Object> bind(FieldType type, Value v) {
        return (Field<Object>) DSL.val(value(type, v), dataType(type));
    }

    /** The plain Java value {@link #bind} binds (what jOOQ extracts from it). */
    Object value(FieldType type, Value v) {
        if (v instanceof Value.Null) {
            return null;
        } else if (type.isJson()) {
            return json(v.json());
        } else if (v instanceof Value.Text t) {
            return t.value();
        } else if (v instanceof Value.Number n) {
            return n.value();
        } else if (v instanceof Value.Bool b) {
            return b.value();
        } else if (v instanceof Value.Instant i) {
            return i.epochMillis();
        }
        throw new IllegalArgumentException("A " + type.wireName() + " column cannot hold " + v);
    }

    /** A bind value of the column's type from a storage-form JSON value (null stays null). */
    @SuppressWarnings("unchecked")
    Field<Object> bind(FieldType type, JsonNode v) {
        return (Field<Object>) DSL.val(toSql(type, v), dataType(type));
    }

    Object toSql(FieldType type, JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return null;
        }
        return switch (type) {
            case STRING, FILE -> v.asText();
            case NUMBER -> v.asDouble();
            case BOOLEAN -> v.asBoolean();
            case DATE -> v.asLong();
            case OBJECT, ARRAY, JSON -> json(Json.canonical(v));
        };
    }

    private Object json(String canonical) {
        return dialect.jsonValue(canonical);
    }

    /** A column value read back, in wire form (dates as epoch milliseconds, integral numbers without fraction). */
    static JsonNode toWire(FieldType type, Object v) {
        if (v == null) {
            return Json.NODES.nullNode();
        }
        return switch (type) {
            case STRING, FILE -> Json.NODES.textNode(v.toString());
            case NUMBER -> Json.number(((Number) v).doubleValue());
            case BOOLEAN -> Json.NODES.booleanNode(v instanceof Boolean b ? b : ((Number) v).intValue() != 0);
            case DATE -> FieldValues.dateToWire(((Number) v).longValue());
            case OBJECT, ARRAY, JSON -> Json.parse(v instanceof JSONB j ? j.data() : v.toString());
        };
    }
}
