package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.query.Filter.Op;
import io.datafn.query.Operand.FieldRef;
import io.datafn.schema.Field;
import io.datafn.schema.FieldType;
import io.datafn.schema.Link;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses DFQL filter objects ({@code filters}, {@code if} guards, {@code having}) into {@link Filter} trees, checking
 * field names, operators, value types and the nesting limits. Paths in errors follow the query convention
 * ({@code filters.<key>.<op>}).
 */
public final class FilterParser {
    private static final Map<String, Op> OPS = Map.ofEntries(
            Map.entry("eq", Op.EQ), Map.entry("$eq", Op.EQ), Map.entry("ne", Op.NE), Map.entry("$ne", Op.NE),
            Map.entry("gt", Op.GT), Map.entry("$gt", Op.GT), Map.entry("gte", Op.GTE), Map.entry("$gte", Op.GTE),
            Map.entry("lt", Op.LT), Map.entry("$lt", Op.LT), Map.entry("lte", Op.LTE), Map.entry("$lte", Op.LTE),
            Map.entry("before", Op.LT), Map.entry("$before", Op.LT), Map.entry("after", Op.GT), Map.entry("$after", Op.GT),
            Map.entry("like", Op.LIKE), Map.entry("$like", Op.LIKE), Map.entry("ilike", Op.ILIKE),
            Map.entry("$ilike", Op.ILIKE), Map.entry("not_like", Op.NOT_LIKE), Map.entry("$not_like", Op.NOT_LIKE),
            Map.entry("not_ilike", Op.NOT_ILIKE), Map.entry("$not_ilike", Op.NOT_ILIKE),
            Map.entry("in", Op.IN), Map.entry("$in", Op.IN), Map.entry("not_in", Op.NOT_IN), Map.entry("$not_in", Op.NOT_IN),
            Map.entry("nin", Op.NOT_IN), Map.entry("$nin", Op.NOT_IN),
            Map.entry("between", Op.BETWEEN), Map.entry("$between", Op.BETWEEN),
            Map.entry("not_between", Op.NOT_BETWEEN), Map.entry("$not_between", Op.NOT_BETWEEN),
            Map.entry("is_null", Op.IS_NULL), Map.entry("$is_null", Op.IS_NULL),
            Map.entry("is_not_null", Op.IS_NOT_NULL), Map.entry("$is_not_null", Op.IS_NOT_NULL),
            Map.entry("is_empty", Op.IS_EMPTY), Map.entry("$is_empty", Op.IS_EMPTY),
            Map.entry("is_not_empty", Op.IS_NOT_EMPTY), Map.entry("$is_not_empty", Op.IS_NOT_EMPTY),
            Map.entry("contains", Op.CONTAINS), Map.entry("$contains", Op.CONTAINS),
            Map.entry("startsWith", Op.STARTS_WITH), Map.entry("$startsWith", Op.STARTS_WITH),
            Map.entry("endsWith", Op.ENDS_WITH), Map.entry("$endsWith", Op.ENDS_WITH));
    private static final Set<String> QUANTIFIERS = Set.of("$any", "$all", "$none");

    /** How names in the filter are resolved. */
    public enum Mode {
        /** query {@code filters}: fields, relation paths, json sub-paths, quantifiers */
        QUERY,
        /** mutation {@code if}: fields of the row only; logical keys are unknown fields (as the original) */
        GUARD,
        /** {@code having}: aggregation aliases and group keys */
        HAVING
    }

    private final Schema schema;
    private final Mode mode;
    private final Map<String, FieldType> aliases;
    /**
     * Conditions counted so far in this filter: a comparison one, an in list one per value, each times one more than
     * the number of relation subqueries ({@code $any}/{@code $all}/{@code $none}, a relation path) it is nested in:
     * SQLite adds up the expression heights of nested subqueries against its depth limit of 1 000.
     */
    private int conditions;
    /** Relation subqueries around the part being parsed. */
    private int subqueries;

    private FilterParser(Schema schema, Mode mode, Map<String, FieldType> aliases) {
        this.schema = schema;
        this.mode = mode;
        this.aliases = aliases;
    }

    /** Parses {@code node} (an object) as a filter over {@code resource}; {@code path} prefixes error paths. */
    public static Filter parse(Schema schema, Resource resource, JsonNode node, String path, Mode mode) {
        return new FilterParser(schema, mode, Map.of()).object(resource, node, path, 0);
    }

    /**
     * Parses a {@code having} object whose keys are aggregation aliases or group keys, each compared as a value of the
     * type it has (a count is a number, a group key has its field's type).
     */
    public static Filter parseHaving(Schema schema, Resource resource, JsonNode node, Map<String, FieldType> aliases) {
        return new FilterParser(schema, Mode.HAVING, aliases).object(resource, node, "having", 0);
    }

    private Filter object(Resource res, JsonNode node, String path, int depth) {
        if (node == null || node.isNull()) {
            return new Filter.Const(true);
        }
        if (!node.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: " + rootless(path) + " must be object", path);
        }
        if (depth > Limits.MAX_FILTER_DEPTH) {
            throw DatafnException.limit("Filter nesting depth exceeds limit (" + Limits.MAX_FILTER_DEPTH + ")", rootOf(path));
        }
        if (node.size() > Limits.MAX_FILTER_KEYS) {
            throw DatafnException.invalid("Filter keys exceed limit: " + node.size() + " (max " + Limits.MAX_FILTER_KEYS + ")", rootOf(path));
        }
        List<Filter> items = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            items.add(entry(res, e.getKey(), e.getValue(), path, depth));
        }
        return items.isEmpty() ? new Filter.Const(true) : Filter.and(items);
    }

    private Filter entry(Resource res, String key, JsonNode value, String path, int depth) {
        String keyPath = path + "." + key;
        if (mode != Mode.GUARD && (key.equals("$and") || key.equals("$or"))) {
            if (!value.isArray()) {
                throw DatafnException.invalid("Invalid DFQL: " + key + " must be an array", keyPath);
            }
            if (value.size() > Limits.MAX_FILTER_CONDITIONS) {
                throw tooLarge(keyPath);
            }
            List<Filter> items = new ArrayList<>();
            for (int i = 0; i < value.size(); i++) {
                items.add(object(res, value.get(i), keyPath + "[" + i + "]", depth + 1));
            }
            if (key.equals("$and")) {
                return items.isEmpty() ? new Filter.Const(true) : new Filter.And(items);
            }
            return items.isEmpty() ? new Filter.Const(false) : new Filter.Or(items);
        }
        if (mode != Mode.GUARD && key.equals("$not")) {
            return new Filter.Not(object(res, value, keyPath, depth + 1));
        }
        if (mode == Mode.HAVING) {
            if (!aliases.containsKey(key)) {
                throw DatafnException.unknownField("Unknown field in having: " + key, keyPath);
            }
            return operators(new Operand.AliasRef(key), aliases.get(key), value, keyPath);
        }
        if (res.readable(key)) {
            return operators(fieldRef(res, key), fieldRef(res, key).type(), value, keyPath);
        }
        Link link = res.link(key);
        if (link != null && mode == Mode.QUERY) {
            return quantified(link, value, keyPath, depth);
        }
        int dot = key.indexOf('.');
        if (dot > 0 && mode == Mode.QUERY) {
            return dotted(res, key, value, keyPath, depth);
        }
        throw DatafnException.unknownField("Unknown field: " + keyPath, keyPath);
    }

    /** {@code "goal.label": v} is "any related goal has label v"; {@code "meta.color": v} reads inside a json field. */
    private Filter dotted(Resource res, String key, JsonNode value, String keyPath, int depth) {
        String[] parts = key.split("\\.", -1);
        String head = parts[0];
        String rest = String.join(".", Arrays.copyOfRange(parts, 1, parts.length));
        Field f = res.field(head);
        if (f != null && (f.type() == FieldType.JSON || f.type() == FieldType.OBJECT)) {
            for (int i = 1; i < parts.length; i++) {
                if (parts[i].isEmpty()) {
                    throw DatafnException.unknownField("Unknown path segment: " + parts[i], keyPath);
                }
            }
            FieldRef ref = new FieldRef(List.of(), head, f.type(), Arrays.asList(parts).subList(1, parts.length));
            return operators(ref, FieldType.JSON, value, keyPath);
        }
        Link link = res.link(head);
        if (link == null || rest.isEmpty()) {
            throw DatafnException.unknownField("Unknown path segment: " + head, keyPath);
        }
        Resource target = schema.resource(link.target());
        subqueries++;
        try {
            return new Filter.Quantified(link, Filter.Quantifier.ANY, relationPath(target, rest, value, keyPath, depth));
        } finally {
            subqueries--;
        }
    }

    /** The condition on the target of a relation path ({@code "goal.label"}: {@code label} of the goal). */
    private Filter relationPath(Resource target, String rest, JsonNode value, String keyPath, int depth) {
        Filter inner;
        if (rest.contains(".")) {
            inner = dotted(target, rest, value, keyPath, depth + 1);
        } else if (target.readable(rest)) {
            inner = operators(fieldRef(target, rest), fieldRef(target, rest).type(), value, keyPath);
        } else if (target.link(rest) != null) {
            inner = quantified(target.link(rest), value, keyPath, depth + 1);
        } else {
            throw DatafnException.unknownField("Unknown field: " + rest + " on " + target.name(), keyPath);
        }
        if (depth + 1 > Limits.MAX_FILTER_DEPTH) {
            throw DatafnException.limit("Filter nesting depth exceeds limit (" + Limits.MAX_FILTER_DEPTH + ")", rootOf(keyPath));
        }
        return inner;
    }

    private Filter quantified(Link link, JsonNode value, String keyPath, int depth) {
        if (!value.isObject()) {
            throw DatafnException.invalid("Relation filter must be object", keyPath);
        }
        Resource target = schema.resource(link.target());
        List<Filter> items = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = value.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!QUANTIFIERS.contains(e.getKey())) {
                throw DatafnException.invalid("Unknown relation quantifier: " + e.getKey(), keyPath + "." + e.getKey());
            }
            Filter.Quantifier q = switch (e.getKey()) {
                case "$any" -> Filter.Quantifier.ANY;
                case "$all" -> Filter.Quantifier.ALL;
                default -> Filter.Quantifier.NONE;
            };
            subqueries++;
            try {
                items.add(new Filter.Quantified(link, q, object(target, e.getValue(), keyPath + "." + e.getKey(), depth + 1)));
            } finally {
                subqueries--;
            }
        }
        return items.isEmpty() ? new Filter.Const(true) : Filter.and(items);
    }

    static FieldRef fieldRef(Resource res, String name) {
        if (name.equals("id")) {
            return FieldRef.of("id", FieldType.STRING);
        }
        return FieldRef.of(name, res.field(name).type());
    }

    /** A scalar means equality, an array means {@code in}, an object is a set of operators that must all hold. */
    private Filter operators(Operand operand, FieldType type, JsonNode value, String path) {
        if (value.isObject()) {
            if (value.isEmpty()) {
                return new Filter.Const(true);
            }
            List<Filter> items = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> it = value.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                Op op = OPS.get(e.getKey());
                if (op == null) {
                    throw DatafnException.unsupported("Unsupported DFQL feature: " + rootless(path) + "." + e.getKey(),
                            path + "." + e.getKey());
                }
                items.add(compare(operand, type, op, e.getValue(), path + "." + e.getKey()));
            }
            return Filter.and(items);
        }
        if (value.isArray()) {
            return compare(operand, type, Op.IN, value, path);
        }
        return compare(operand, type, Op.EQ, value, path);
    }

    private Filter compare(Operand operand, FieldType type, Op op, JsonNode v, String path) {
        int weight = ((op == Op.IN || op == Op.NOT_IN) && v.isArray() ? Math.max(1, v.size()) : 1) * (subqueries + 1);
        if (weight > Limits.MAX_FILTER_CONDITIONS || (conditions += weight) > Limits.MAX_FILTER_CONDITIONS) {
            throw tooLarge(path);
        }
        switch (op) {
            case IS_NULL, IS_NOT_NULL, IS_EMPTY, IS_NOT_EMPTY -> {
                if (!v.isBoolean()) {
                    throw DatafnException.invalid("Null predicate must be boolean: " + rootless(path), path);
                }
                Op effective = v.asBoolean() ? op : switch (op) {
                    case IS_NULL -> Op.IS_NOT_NULL;
                    case IS_NOT_NULL -> Op.IS_NULL;
                    case IS_EMPTY -> Op.IS_NOT_EMPTY;
                    default -> Op.IS_EMPTY;
                };
                return new Filter.Compare(operand, effective);
            }
            case IN, NOT_IN -> {
                if (!v.isArray()) {
                    throw DatafnException.invalid("Invalid DFQL: " + rootless(path) + " must be an array", path);
                }
                List<Value> values = new ArrayList<>();
                boolean withNull = false;
                for (JsonNode item : v) {
                    Value n = Value.of(type, item);
                    if (Value.NULL.equals(n)) {
                        withNull = true;
                    } else if (n != null) {
                        values.add(n);
                    }
                }
                // a null in the list means "is null", as {eq: null} does; left in an SQL IN list it would make
                // the comparison unknown (so not_in [x, null] would miss every row that is not x)
                List<Filter> parts = new ArrayList<>();
                if (withNull) {
                    parts.add(new Filter.Compare(operand, op == Op.IN ? Op.IS_NULL : Op.IS_NOT_NULL));
                }
                if (!values.isEmpty()) {
                    parts.add(new Filter.Compare(operand, op, values));
                }
                if (parts.isEmpty()) {
                    return new Filter.Const(op == Op.NOT_IN);
                }
                if (parts.size() == 1) {
                    return parts.get(0);
                }
                return op == Op.IN ? new Filter.Or(parts) : new Filter.And(parts);
            }
            case BETWEEN, NOT_BETWEEN -> {
                if (!v.isArray() || v.size() != 2) {
                    throw DatafnException.invalid("Invalid DFQL: " + rootless(path) + " must be [low, high]", path);
                }
                Value lo = Value.of(type, v.get(0));
                Value hi = Value.of(type, v.get(1));
                if (lo == null || hi == null || Value.NULL.equals(lo) || Value.NULL.equals(hi)) {
                    return constFor(op);
                }
                return new Filter.Compare(operand, op, List.of(lo, hi));
            }
            case LIKE, ILIKE, NOT_LIKE, NOT_ILIKE, STARTS_WITH, ENDS_WITH -> {
                if (!v.isTextual()) {
                    throw DatafnException.invalid("Invalid DFQL: " + rootless(path) + " must be a string", path);
                }
                if ((op == Op.LIKE || op == Op.ILIKE || op == Op.NOT_LIKE || op == Op.NOT_ILIKE)
                        && v.asText().length() > Limits.MAX_LIKE_PATTERN) {
                    throw DatafnException.invalid("LIKE pattern exceeds maximum length (" + Limits.MAX_LIKE_PATTERN + ")", path);
                }
                if (!(type.isText() || type == FieldType.JSON)) {
                    return constFor(op);
                }
                return new Filter.Compare(operand, op, new Value.Text(v.asText()));
            }
            case CONTAINS -> {
                if (type.isText()) {
                    return v.isTextual() ? new Filter.Compare(operand, op, new Value.Text(v.asText())) : new Filter.Const(false);
                }
                if (type == FieldType.ARRAY || type == FieldType.JSON) {
                    if (v.isNull() || v.isMissingNode()) {
                        return new Filter.Const(false);
                    }
                    return new Filter.Compare(operand, op, Value.of(v));
                }
                return new Filter.Const(false);
            }
            default -> {
                if (v.isNull() && (op == Op.EQ || op == Op.NE)) {
                    return new Filter.Compare(operand, op == Op.EQ ? Op.IS_NULL : Op.IS_NOT_NULL);
                }
                if (!(v.isValueNode() || type == FieldType.JSON || type == FieldType.OBJECT || type == FieldType.ARRAY)) {
                    throw DatafnException.invalid("Invalid DFQL: " + rootless(path) + " expects a value, got " + Json.typeName(v), path);
                }
                Value n = Value.of(type, v);
                if (n == null || Value.NULL.equals(n)) {
                    return constFor(op);
                }
                return new Filter.Compare(operand, op, n);
            }
        }
    }

    /** 400 {@code LIMIT_EXCEEDED} at the node that took the filter past {@link Limits#MAX_FILTER_CONDITIONS}. */
    private static DatafnException tooLarge(String path) {
        return new DatafnException(ErrorCode.LIMIT_EXCEEDED, "Filter exceeds maximum conditions (" + Limits.MAX_FILTER_CONDITIONS + ")",
                path, 400, Map.of("max", Limits.MAX_FILTER_CONDITIONS), null);
    }

    /** The value a comparison of a mistyped operand always yields: false, or true for the negative operators. */
    private static Filter constFor(Op op) {
        return new Filter.Const(op.negative());
    }

    private static String rootOf(String path) {
        int dot = path.indexOf('.');
        String root = dot < 0 ? path : path.substring(0, dot);
        int br = root.indexOf('[');
        return br < 0 ? root : root.substring(0, br);
    }

    /** Error messages name the path without the {@code $.} prefix of mutation paths. */
    private static String rootless(String path) {
        return path.startsWith("$.") ? path.substring(2) : path;
    }

    static DatafnException unknownRelation(String path) {
        return new DatafnException(ErrorCode.DFQL_UNKNOWN_RELATION, "Unknown relation: " + path, path);
    }
}
