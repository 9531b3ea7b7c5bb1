package io.datafn.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.json.Json;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Value rules of the field types: what a JSON value must look like, and how dates travel (PROTOCOL.md "Dates": epoch milliseconds). */
public final class FieldValues {
    private static final Pattern ISO = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?)?$");
    /** The largest distance from the epoch a JavaScript {@code Date} can hold (ECMA-262 time values), in ms. */
    public static final long MAX_DATE_MILLIS = 8_640_000_000_000_000L;
    private static final DateTimeFormatter OUT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private FieldValues() {
    }

    /** True when {@code v} (not null) is a valid value of {@code type}. */
    public static boolean matches(FieldType type, JsonNode v) {
        return switch (type) {
            case STRING, FILE -> v.isTextual();
            case NUMBER -> v.isNumber() && Double.isFinite(v.asDouble());
            case BOOLEAN -> v.isBoolean();
            case OBJECT -> v.isObject();
            case ARRAY -> v.isArray();
            case DATE -> dateMillis(v) != null;
            case JSON -> !v.isNull() && !v.isMissingNode();
        };
    }

    /**
     * A date value as epoch milliseconds: an ISO-8601 string (a date alone is midnight UTC; no zone means UTC) or a
     * number of epoch milliseconds within {@link #MAX_DATE_MILLIS} of the epoch (what a client's {@code Date} can
     * hold and its ISO string can express). Null when the value is not such a date.
     */
    public static Long dateMillis(JsonNode v) {
        if (v == null) {
            return null;
        }
        if (v.isNumber()) {
            double d = v.asDouble();
            return Double.isFinite(d) && Math.abs(d) <= MAX_DATE_MILLIS ? (long) Math.floor(d) : null;
        }
        if (!v.isTextual()) {
            return null;
        }
        String s = v.asText();
        Matcher m = ISO.matcher(s);
        if (!m.matches()) {
            return null;
        }
        // read from the pattern's groups (what OffsetDateTime.parse with the ISO format accepts, without its cost):
        // strict ranges (no Feb 30, no 24:00, offsets within 18 hours), at most 9 fraction digits
        try {
            LocalDate date = LocalDate.of(digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10));
            if (m.group(1) == null) {
                return date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
            int nanos = 0;
            String fraction = m.group(3);
            if (fraction != null) {
                if (fraction.length() > 10) {
                    return null;
                }
                nanos = digits(fraction, 1, fraction.length()) * (int) Math.pow(10, 10 - fraction.length());
            }
            LocalTime time = LocalTime.of(digits(s, 11, 13), digits(s, 14, 16), m.group(2) == null ? 0 : digits(s, 17, 19), nanos);
            String zone = m.group(4);
            ZoneOffset offset = zone == null || zone.equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(zone);
            return LocalDateTime.of(date, time).toInstant(offset).toEpochMilli();
        } catch (DateTimeException e) {
            return null;
        }
    }

    private static int digits(String s, int from, int to) {
        return Integer.parseInt(s, from, to, 10);
    }

    /**
     * A record or join row (metadata) as stored, in wire form: the values of the date fields among {@code fields}
     * through {@link #dateToWire(JsonNode)}. Keys without a field are copied as they are. Returns a copy.
     */
    public static ObjectNode toWire(List<Field> fields, ObjectNode stored) {
        ObjectNode out = stored.deepCopy();
        for (Field f : fields) {
            JsonNode v = out.get(f.name());
            if (f.type() == FieldType.DATE && v != null) {
                out.set(f.name(), dateToWire(v));
            }
        }
        return out;
    }

    /**
     * A stored date in wire form (PROTOCOL.md "Dates": epoch milliseconds as a JSON integer). Takes what the date
     * columns and change images hold (epoch milliseconds), and the ISO-8601 strings that change images written by
     * earlier versions of this server hold; null and anything that is no date stay as they are.
     */
    public static JsonNode dateToWire(JsonNode stored) {
        if (stored.isIntegralNumber() && stored.canConvertToLong()) {
            return stored;
        }
        Long ms = dateMillis(stored);
        return ms == null ? stored : dateToWire(ms);
    }

    /** Epoch milliseconds read from a date column, in wire form. */
    public static JsonNode dateToWire(long millis) {
        return LongNode.valueOf(millis);
    }

    /** Epoch milliseconds as an ISO-8601 UTC string with milliseconds (for messages; the wire carries numbers). */
    public static String iso(long millis) {
        return OUT.format(Instant.ofEpochMilli(millis));
    }

    /**
     * Checks a value against its field (type, enum, min/max, length, pattern) and returns it in storage form (dates as
     * epoch milliseconds, numbers canonical); a value that breaks a rule is {@code DFQL_INVALID} at {@code path}. The
     * one check of field values: record values, relation metadata and schema defaults all pass through it.
     */
    public static JsonNode checked(Field f, JsonNode v, String path) {
        if (v.isNull()) {
            if (!f.nullable()) {
                throw DatafnException.invalid("Field '" + f.name() + "' expects " + f.type().wireName() + ", got null", path);
            }
            return v;
        }
        if (!matches(f.type(), v)) {
            throw DatafnException.invalid("Field '" + f.name() + "' expects " + f.type().wireName() + ", got "
                    + mismatch(f.type(), v), path);
        }
        if (!f.enumValues().isEmpty() && f.enumValues().stream().noneMatch(e -> e.equals(v))) {
            throw DatafnException.invalid("Field '" + f.name() + "' must be one of " + f.enumValues(), path);
        }
        if (f.type() == FieldType.NUMBER) {
            double d = v.asDouble();
            if (f.min() != null && d < f.min()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must be >= " + Json.number(f.min()), path);
            }
            if (f.max() != null && d > f.max()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must be <= " + Json.number(f.max()), path);
            }
        }
        if (f.type().isText()) {
            int len = v.asText().codePointCount(0, v.asText().length());
            if (f.minLength() != null && len < f.minLength()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must have at least " + f.minLength() + " characters", path);
            }
            if (f.maxLength() != null && len > f.maxLength()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must have at most " + f.maxLength() + " characters", path);
            }
            if (f.pattern() != null && !Pattern.compile(f.pattern()).matcher(v.asText()).find()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must match pattern " + f.pattern(), path);
            }
        }
        if (f.type() == FieldType.DATE) {
            long ms = dateMillis(v);
            if (f.min() != null && ms < f.min()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must be on or after " + iso(f.min().longValue()), path);
            }
            if (f.max() != null && ms > f.max()) {
                throw DatafnException.invalid("Field '" + f.name() + "' must be on or before " + iso(f.max().longValue()), path);
            }
            return Json.NODES.numberNode(ms);
        }
        if (f.type() == FieldType.NUMBER) {
            return Json.number(v.asDouble());
        }
        return v;
    }

    /** What a value that does not match its type is, for the message (a number may still be the wrong number). */
    private static String mismatch(FieldType type, JsonNode v) {
        if (type == FieldType.DATE && v.isTextual()) {
            return "an invalid date string";
        }
        if (type == FieldType.DATE && v.isNumber()) {
            return Double.isFinite(v.asDouble()) ? "a number outside the date range" : "a non-finite number";
        }
        if (type == FieldType.NUMBER && v.isNumber()) {
            return "a non-finite number";
        }
        return Json.typeName(v);
    }
}
