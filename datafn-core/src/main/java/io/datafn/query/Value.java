package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.schema.FieldType;
import io.datafn.schema.FieldValues;

/**
 * A DFQL value as the parser hands it on: typed, immutable, already in the form its operand stores (dates as epoch
 * milliseconds, numbers as doubles, JSON documents in canonical text). The store only binds these; it never looks at
 * the JSON they came from.
 *
 * <p>The variant follows the value, not only the operand: a json operand ({@code "meta.color"}, a json or array field)
 * holds whatever JSON it was given, so its scalars are {@link Text}, {@link Number} and {@link Bool} and its objects
 * and arrays are {@link Json}. A {@link Filter.Compare} never holds {@link Null} (the parser turns a null into a null
 * test); a {@link Query.Cursor} holds it for a boundary row whose sort value is null.
 */
public sealed interface Value permits Value.Text, Value.Number, Value.Bool, Value.Instant, Value.Json, Value.Null {

    /** The JSON null of a cursor boundary. */
    Value NULL = new Null();

    /** A string (text, file and id operands, and strings inside json). */
    record Text(String value) implements Value {
        public Text {
            java.util.Objects.requireNonNull(value);
        }
    }

    /** A number; JSON has one number type, and number columns store doubles. */
    record Number(double value) implements Value {
    }

    record Bool(boolean value) implements Value {
    }

    /** A date operand's value: epoch milliseconds, whichever of the accepted wire forms it was sent in. */
    record Instant(long epochMillis) implements Value {
    }

    /** A JSON object or array, as canonical JSON text ({@link io.datafn.json.Json#canonical}). */
    record Json(String canonical) implements Value {
        public Json {
            java.util.Objects.requireNonNull(canonical);
        }
    }

    /** JSON null. */
    record Null() implements Value {
    }

    /** The value as canonical JSON text: what a JSON column or a JSON containment test compares with. */
    default String json() {
        if (this instanceof Text t) {
            return io.datafn.json.Json.NODES.textNode(t.value()).toString();
        }
        if (this instanceof Number n) {
            return io.datafn.json.Json.number(n.value()).toString();
        }
        if (this instanceof Bool b) {
            return Boolean.toString(b.value());
        }
        if (this instanceof Instant i) {
            return Long.toString(i.epochMillis());
        }
        return this instanceof Json j ? j.canonical() : "null";
    }

    /** Any JSON value as it is: scalars as their own variant, objects and arrays as {@link Json}, null as {@link #NULL}. */
    static Value of(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return NULL;
        }
        if (v.isTextual()) {
            return new Text(v.asText());
        }
        if (v.isNumber()) {
            return new Number(v.asDouble());
        }
        if (v.isBoolean()) {
            return new Bool(v.asBoolean());
        }
        return new Json(io.datafn.json.Json.canonical(v));
    }

    /**
     * The value normalised to the type the operand stores (dates as epoch milliseconds), {@link #NULL} for JSON null,
     * or null when no value of that type can ever equal it (strict equality: {@code 1} is not {@code "1"}).
     */
    static Value of(FieldType type, JsonNode v) {
        if (v == null || v.isNull()) {
            return NULL;
        }
        return switch (type) {
            case STRING, FILE -> v.isTextual() ? new Text(v.asText()) : null;
            case NUMBER -> v.isNumber() ? new Number(v.asDouble()) : null;
            case BOOLEAN -> v.isBoolean() ? new Bool(v.asBoolean()) : null;
            case DATE -> {
                Long ms = FieldValues.dateMillis(v);
                yield ms == null ? null : new Instant(ms);
            }
            case OBJECT -> v.isObject() ? of(v) : null;
            case ARRAY -> v.isArray() ? of(v) : null;
            case JSON -> of(v);
        };
    }
}
