package io.datafn.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.datafn.error.DatafnException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The project's JSON conventions: one mapper, JS-like number output, canonical form for hashing and comparing. */
public final class Json {
    private static final Set<String> DISALLOWED_KEYS = Set.of("__proto__", "constructor", "prototype");

    /** Nesting deeper than this is refused while parsing (a hostile body must not blow the stack). */
    public static final int MAX_DEPTH = 64;

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    public static ObjectNode object() {
        return NODES.objectNode();
    }

    public static ArrayNode array() {
        return NODES.arrayNode();
    }

    /** Parses a request body; any syntax problem (an empty body included) is {@code DFQL_INVALID "Invalid JSON"}. */
    public static JsonNode parseBody(byte[] body) {
        if (body.length == 0) {
            throw DatafnException.invalid("Invalid JSON", "$");
        }
        try (JsonParser p = MAPPER.getFactory().createParser(body)) {
            JsonNode node = MAPPER.readTree(p);
            if (node == null || node.isMissingNode()) {
                throw DatafnException.invalid("Invalid JSON", "$");
            }
            return node;
        } catch (IOException e) {
            throw DatafnException.invalid("Invalid JSON", "$");
        }
    }

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A node that is written as {@code json}, character for character, without parsing it: for JSON text the server
     * wrote itself with this mapper and passes on unchanged (pull answers carry change images as the log stores them,
     * which saves parsing and serialising each one). Nobody reads it as a tree; {@link #resolveRaw} turns such nodes
     * back into trees for code that does.
     */
    public static JsonNode raw(String json) {
        return NODES.rawValueNode(new RawValue(json));
    }

    /**
     * Replaces, in place, every {@link #raw} node inside {@code node} by the tree of its text, and answers the node
     * (the tree itself when it is a raw node): code that reads a result (plugins' {@code afterSync}) sees trees only.
     */
    public static JsonNode resolveRaw(JsonNode node) {
        if (node instanceof POJONode p && p.getPojo() instanceof RawValue r) {
            return parse(r.rawValue().toString());
        }
        if (node instanceof ObjectNode o) {
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = resolveRaw(e.getValue());
                if (v != e.getValue()) {
                    e.setValue(v);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode v = resolveRaw(a.get(i));
                if (v != a.get(i)) {
                    a.set(i, v);
                }
            }
        }
        return node;
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(JsonNode node) {
        return new String(bytes(node), StandardCharsets.UTF_8);
    }

    /** Finds a prototype-pollution key ({@code __proto__}, {@code constructor}, {@code prototype}) anywhere, or null. */
    public static String findDisallowedKey(JsonNode node) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (DISALLOWED_KEYS.contains(e.getKey())) {
                    return e.getKey();
                }
                String inner = findDisallowedKey(e.getValue());
                if (inner != null) {
                    return inner;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                String inner = findDisallowedKey(child);
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }

    /**
     * Finds a string (value or key) that no database can store as text: one holding U+0000 (PostgreSQL refuses it in
     * text and jsonb) or an unpaired surrogate (not Unicode; drivers silently turn it into '?'). Returns the JSON path
     * of the value, or of the object whose key it is ({@code $.record.label}, {@code $[1].id}), or null when all
     * strings are storable.
     */
    public static String findUnstorableText(JsonNode node) {
        return findUnstorableText(node, "$");
    }

    private static String findUnstorableText(JsonNode node, String path) {
        if (node.isTextual()) {
            return storable(node.asText()) ? null : path;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (!storable(e.getKey())) {
                    return path;
                }
                String inner = findUnstorableText(e.getValue(), path + "." + e.getKey());
                if (inner != null) {
                    return inner;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String inner = findUnstorableText(node.get(i), path + "[" + i + "]");
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }

    private static boolean storable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Canonical JSON: object keys sorted recursively (code-unit order, as JavaScript's default sort), arrays in order,
     * nulls kept, integral numbers without a fraction. Used for schemaHash and idempotency payload comparison.
     */
    public static String canonical(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        writeCanonical(node, sb);
        return sb.toString();
    }

    private static void writeCanonical(JsonNode node, StringBuilder sb) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            sb.append("null");
        } else if (node.isObject()) {
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            Collections.sort(keys);
            sb.append('{');
            boolean first = true;
            for (String k : keys) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append(NODES.textNode(k).toString()).append(':');
                writeCanonical(node.get(k), sb);
            }
            sb.append('}');
        } else if (node.isArray()) {
            sb.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                writeCanonical(node.get(i), sb);
            }
            sb.append(']');
        } else if (node.isNumber()) {
            sb.append(number(node.asDouble()).toString());
        } else {
            sb.append(node.toString());
        }
    }

    /** A number as JavaScript would print it: integral values without a fraction. */
    public static JsonNode number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15 && !(d == 0 && 1 / d < 0)) {
            return NODES.numberNode((long) d);
        }
        return NODES.numberNode(d);
    }

    /** A short type name for messages, as JavaScript's typeof would say it ({@code array} and {@code null} apart). */
    public static String typeName(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "undefined";
        }
        if (v.isNull()) {
            return "null";
        }
        if (v.isTextual()) {
            return "string";
        }
        if (v.isNumber()) {
            return "number";
        }
        if (v.isBoolean()) {
            return "boolean";
        }
        if (v.isArray()) {
            return "array";
        }
        return "object";
    }
}
