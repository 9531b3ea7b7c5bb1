package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;
import io.datafn.schema.FieldType;
import io.datafn.schema.FieldValues;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * How each field type is stored and bound: text, double, boolean, epoch-millisecond bigint for dates, JSON documents
 * (jsonb on PostgreSQL, canonical text on SQLite). Values enter in storage form and leave in wire
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
            case OBJECT, ARRAY, JSON -> dialect == Dialect.POSTGRES ? JSONB.valueOf(Json.canonical(v)) : Json.canonical(v);
        };
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
