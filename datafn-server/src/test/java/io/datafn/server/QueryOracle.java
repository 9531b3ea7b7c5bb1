package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A plain-Java model of DFQL row queries over one resource, written from PROTOCOL.md alone: the filter tree (which
 * renders itself as the JSON the server receives and evaluates itself over a row), the sort order and the keyset
 * boundaries. It shares no code with the server's parser or SQL translation.
 */
final class QueryOracle {
    private QueryOracle() {
    }

    enum Type { STRING, NUMBER, BOOLEAN, DATE }

    /** The resource's readable fields ({@code id} included) and their types. */
    static final Map<String, Type> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("id", Type.STRING);
        FIELDS.put("s", Type.STRING);
        FIELDS.put("n", Type.NUMBER);
        FIELDS.put("b", Type.BOOLEAN);
        FIELDS.put("d", Type.DATE);
    }

    static final String SCHEMA = """
            {"resources": [{"name": "item", "version": 1, "idPrefix": "item:", "fields": [
              {"name": "s", "type": "string", "nullable": true},
              {"name": "n", "type": "number", "nullable": true},
              {"name": "b", "type": "boolean", "required": true},
              {"name": "d", "type": "date", "nullable": true}
            ]}]}
            """;

    private static final DateTimeFormatter ISO_OUT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    // ----------------------------------------------------------------------------------------------------- rows

    /** One stored row; {@code d} in epoch milliseconds. */
    record Row(String id, String s, Double n, boolean b, Long d) {
        Object get(String field) {
            return switch (field) {
                case "id" -> id;
                case "s" -> s;
                case "n" -> n;
                case "b" -> b;
                case "d" -> d;
                default -> throw new IllegalArgumentException(field);
            };
        }

        /** The row as the server returns it with all fields selected. */
        ObjectNode wire() {
            ObjectNode o = Json.object();
            FIELDS.keySet().forEach(f -> o.set(f, wireValue(f, get(f))));
            return o;
        }
    }

    /** A date as ISO-8601 UTC with milliseconds (a spelling filters accept; the wire carries epoch milliseconds). */
    static String isoMillis(long ms) {
        return ISO_OUT.format(Instant.ofEpochMilli(ms));
    }

    /** A value in wire form: dates as epoch milliseconds (PROTOCOL.md "Dates"). */
    static JsonNode wireValue(String field, Object v) {
        if (v == null) {
            return Json.NODES.nullNode();
        }
        return switch (FIELDS.get(field)) {
            case STRING -> Json.NODES.textNode((String) v);
            case NUMBER -> Json.NODES.numberNode((Double) v);
            case BOOLEAN -> Json.NODES.booleanNode((Boolean) v);
            case DATE -> Json.NODES.numberNode((Long) v);
        };
    }

    // -------------------------------------------------------------------------------------------------- filters

    /** A filter object: the implicit AND of its entries (keys are distinct). */
    record Obj(List<Entry> entries) {
        ObjectNode json() {
            ObjectNode o = Json.object();
            entries.forEach(e -> o.set(e.key(), e.json()));
            return o;
        }

        boolean test(Row r) {
            return entries.stream().allMatch(e -> e.test(r));
        }

        @Override
        public String toString() {
            return Json.text(json());
        }
    }

    sealed interface Entry permits FieldEntry, Logic, NotEntry {
        String key();

        JsonNode json();

        boolean test(Row r);
    }

    /** {@code field: cond}. */
    record FieldEntry(String field, Cond cond) implements Entry {
        @Override
        public String key() {
            return field;
        }

        @Override
        public JsonNode json() {
            return cond.json();
        }

        @Override
        public boolean test(Row r) {
            return cond.test(FIELDS.get(field), r.get(field));
        }
    }

    /** {@code $and: [...]} (empty: true) or {@code $or: [...]} (empty: false). */
    record Logic(boolean or, List<Obj> items) implements Entry {
        @Override
        public String key() {
            return or ? "$or" : "$and";
        }

        @Override
        public JsonNode json() {
            ArrayNode a = Json.array();
            items.forEach(i -> a.add(i.json()));
            return a;
        }

        @Override
        public boolean test(Row r) {
            return or ? items.stream().anyMatch(i -> i.test(r)) : items.stream().allMatch(i -> i.test(r));
        }
    }

    /** {@code $not: {...}}: negates the true/false of its filter. */
    record NotEntry(Obj inner) implements Entry {
        @Override
        public String key() {
            return "$not";
        }

        @Override
        public JsonNode json() {
            return inner.json();
        }

        @Override
        public boolean test(Row r) {
            return !inner.test(r);
        }
    }

    sealed interface Cond permits Shorthand, Ops {
        JsonNode json();

        boolean test(Type type, Object x);
    }

    /** A scalar (equality) or an array ({@code in}) in place of an operator object. */
    record Shorthand(JsonNode value) implements Cond {
        @Override
        public JsonNode json() {
            return value;
        }

        @Override
        public boolean test(Type type, Object x) {
            return holds(value.isArray() ? "in" : "eq", type, x, value);
        }
    }

    /** An operator object: every operator must hold (an empty one always does). */
    record Ops(List<OpVal> ops) implements Cond {
        @Override
        public JsonNode json() {
            ObjectNode o = Json.object();
            ops.forEach(op -> o.set(op.name(), op.value()));
            return o;
        }

        @Override
        public boolean test(Type type, Object x) {
            return ops.stream().allMatch(op -> holds(canonicalOp(op.name()), type, x, op.value()));
        }
    }

    record OpVal(String name, JsonNode value) {
    }

    /** The operator an alias stands for: {@code $gt} is {@code gt}, {@code after} is {@code gt}, {@code nin} is {@code not_in}. */
    static String canonicalOp(String name) {
        String n = name.startsWith("$") ? name.substring(1) : name;
        return switch (n) {
            case "before" -> "lt";
            case "after" -> "gt";
            case "nin" -> "not_in";
            default -> n;
        };
    }

    /** Marks a filter value that no value of the field's type can equal ({@code "2"} against a number field). */
    private static final Object MISMATCH = new Object();

    /** The filter value in the field's domain, null for JSON null, or {@link #MISMATCH}. */
    static Object normalize(Type type, JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        return switch (type) {
            case STRING -> v.isTextual() ? v.asText() : MISMATCH;
            case NUMBER -> v.isNumber() ? (Object) v.asDouble() : MISMATCH;
            case BOOLEAN -> v.isBoolean() ? (Object) v.asBoolean() : MISMATCH;
            case DATE -> {
                Long ms = dateMillis(v);
                yield ms == null ? MISMATCH : ms;
            }
        };
    }

    /** ISO-8601 date or date-time (zone optional only for a date alone), or epoch milliseconds. */
    static Long dateMillis(JsonNode v) {
        if (v.isIntegralNumber()) {
            return v.asLong();
        }
        if (!v.isTextual()) {
            return null;
        }
        String s = v.asText();
        try {
            return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(s).toInstant().toEpochMilli();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    /** Whether {@code op} (canonical name) holds for the row value {@code x} of a field of {@code type}. */
    static boolean holds(String op, Type type, Object x, JsonNode v) {
        return switch (op) {
            case "eq" -> equal(type, x, v);
            case "ne" -> !equal(type, x, v);
            case "gt", "gte", "lt", "lte" -> {
                Object n = normalize(type, v);
                if (x == null || n == null || n == MISMATCH) {
                    yield false;
                }
                int c = compare(type, x, n);
                yield switch (op) {
                    case "gt" -> c > 0;
                    case "gte" -> c >= 0;
                    case "lt" -> c < 0;
                    default -> c <= 0;
                };
            }
            case "in" -> in(type, x, v);
            case "not_in" -> !in(type, x, v);
            case "between" -> between(type, x, v);
            case "not_between" -> !between(type, x, v);
            case "like" -> type == Type.STRING && x != null && like((String) x, v.asText(), false);
            case "not_like" -> !(type == Type.STRING && x != null && like((String) x, v.asText(), false));
            case "ilike" -> type == Type.STRING && x != null && like((String) x, v.asText(), true);
            case "not_ilike" -> !(type == Type.STRING && x != null && like((String) x, v.asText(), true));
            case "contains" -> type == Type.STRING && x != null && v.isTextual() && ((String) x).contains(v.asText());
            case "startsWith" -> type == Type.STRING && x != null && ((String) x).startsWith(v.asText());
            case "endsWith" -> type == Type.STRING && x != null && ((String) x).endsWith(v.asText());
            case "is_null" -> (x == null) == v.asBoolean();
            case "is_not_null" -> (x != null) == v.asBoolean();
            case "is_empty" -> empty(x) == v.asBoolean();
            case "is_not_empty" -> !empty(x) == v.asBoolean();
            default -> throw new IllegalArgumentException(op);
        };
    }

    /** Strict equality; {@code eq: null} means "is null". */
    private static boolean equal(Type type, Object x, JsonNode v) {
        Object n = normalize(type, v);
        if (n == null) {
            return x == null;
        }
        return x != null && n != MISMATCH && compare(type, x, n) == 0;
    }

    /** {@code in} is "equal to one of the values" (so a null in the list matches a null field, as {@code eq: null}). */
    private static boolean in(Type type, Object x, JsonNode list) {
        for (JsonNode item : list) {
            if (equal(type, x, item)) {
                return true;
            }
        }
        return false;
    }

    private static boolean between(Type type, Object x, JsonNode v) {
        Object lo = normalize(type, v.get(0));
        Object hi = normalize(type, v.get(1));
        if (x == null || lo == null || hi == null || lo == MISMATCH || hi == MISMATCH) {
            return false;
        }
        return compare(type, x, lo) >= 0 && compare(type, x, hi) <= 0;
    }

    private static boolean empty(Object x) {
        return x == null || "".equals(x);
    }

    /** LIKE: {@code %} any sequence, {@code _} one character (code point), anchored, no escape character. */
    static boolean like(String value, String pattern, boolean ignoreCase) {
        if (ignoreCase) {
            value = value.toLowerCase(Locale.ROOT);
            pattern = pattern.toLowerCase(Locale.ROOT);
        }
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < pattern.length(); ) {
            int cp = pattern.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '%' || cp == '_') {
                if (literal.length() > 0) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                re.append(cp == '%' ? ".*" : ".");
            } else {
                literal.appendCodePoint(cp);
            }
        }
        if (literal.length() > 0) {
            re.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL).matcher(value).matches();
    }

    /** Comparison of two non-null values of a type; text by code point. */
    static int compare(Type type, Object a, Object b) {
        return switch (type) {
            case STRING -> compareCodePoints((String) a, (String) b);
            case NUMBER -> Double.compare((Double) a, (Double) b);
            case BOOLEAN -> Boolean.compare((Boolean) a, (Boolean) b);
            case DATE -> Long.compare((Long) a, (Long) b);
        };
    }

    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    // ----------------------------------------------------------------------------------------------------- sort

    /**
     * One sort term and how it is spelled on the wire: 0 {@code "f"}, 1 {@code "f:asc"}/{@code "f:desc"},
     * 2 {@code "-f"} (desc only), 3 {@code {field, direction}}, 4 {@code {field}} (asc only), 5 {@code "f:DESC"}.
     */
    record SortTerm(String field, boolean desc, int spelling) {
        JsonNode json() {
            int form = spelling;
            if (desc && (form == 0 || form == 4)) {
                form = 1;
            }
            if (!desc && form == 2) {
                form = 1;
            }
            return switch (form) {
                case 0 -> Json.NODES.textNode(field);
                case 1 -> Json.NODES.textNode(field + (desc ? ":desc" : ":asc"));
                case 2 -> Json.NODES.textNode("-" + field);
                case 3 -> Json.object().put("field", field).put("direction", desc ? "desc" : "asc");
                case 4 -> Json.object().put("field", field);
                default -> Json.NODES.textNode(field + (desc ? ":DESC" : ":ASC"));
            };
        }
    }

    /** The keys a cursor carries: the sort fields in order, then {@code id} unless already there. */
    static List<SortTerm> effectiveSort(List<SortTerm> sort) {
        List<SortTerm> out = new ArrayList<>(sort);
        if (sort.stream().noneMatch(t -> t.field().equals("id"))) {
            out.add(new SortTerm("id", false, 0));
        }
        return out;
    }

    /** The sort key of a row: its values for the effective sort terms. */
    static List<Object> key(Row r, List<SortTerm> effective) {
        List<Object> out = new ArrayList<>();
        effective.forEach(t -> out.add(r.get(t.field())));
        return out;
    }

    /** Orders sort keys: per term, nulls last ascending and first descending. */
    static Comparator<List<Object>> keyOrder(List<SortTerm> effective) {
        return (a, b) -> {
            for (int i = 0; i < effective.size(); i++) {
                SortTerm t = effective.get(i);
                Object x = a.get(i);
                Object y = b.get(i);
                int c;
                if (x == null || y == null) {
                    // null is the greatest value ascending; descending reverses, so it comes first
                    c = x == null && y == null ? 0 : x == null ? 1 : -1;
                } else {
                    c = compare(FIELDS.get(t.field()), x, y);
                }
                if (c != 0) {
                    return t.desc() ? -c : c;
                }
            }
            return 0;
        };
    }

    /** The rows matching {@code filter}, in the order of {@code sort} (with the implicit id tie-breaker). */
    static List<Row> evaluate(List<Row> rows, Obj filter, List<SortTerm> sort) {
        List<SortTerm> eff = effectiveSort(sort);
        Comparator<List<Object>> order = keyOrder(eff);
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            if (filter == null || filter.test(r)) {
                out.add(r);
            }
        }
        out.sort((a, b) -> order.compare(key(a, eff), key(b, eff)));
        return out;
    }

    /** The cursor object naming a row's position under {@code sort}, as the server sends it in {@code nextCursor}. */
    static ObjectNode cursorOf(Row r, List<SortTerm> sort) {
        ObjectNode c = Json.object();
        effectiveSort(sort).forEach(t -> c.set(t.field(), wireValue(t.field(), r.get(t.field()))));
        return c;
    }
}
