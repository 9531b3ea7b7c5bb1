package io.datafn.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated, normalised schema: the resources this server serves (built-in {@code kv} and {@code datafnTimezoneChange}
 * included), their relations, and the {@code schemaHash} = {@code "sha256:" + hex(sha256(canonical JSON of the
 * normalised schema))}. Build one with {@link SchemaParser}.
 */
public final class Schema {
    /**
     * Something this server serves but the DataFn client would refuse or treat differently, at a JSON path of the
     * schema document (e.g. {@code resources[1].indices[1]}). The server logs each at start-up.
     */
    public record Warning(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    private final Map<String, Resource> resources;
    private final List<Relation> relations;
    private final Set<String> capabilities;
    private final ObjectNode normalized;
    private final String hash;
    private final List<Warning> warnings;

    Schema(List<Resource> resources, List<Relation> relations, Set<String> capabilities, ObjectNode normalized,
           List<Warning> warnings) {
        Map<String, Resource> byName = new LinkedHashMap<>();
        resources.forEach(r -> byName.put(r.name(), r));
        this.resources = byName;
        this.relations = List.copyOf(relations);
        this.capabilities = Set.copyOf(capabilities);
        this.normalized = normalized;
        this.hash = "sha256:" + sha256(Json.canonical(normalized));
        this.warnings = List.copyOf(warnings);
    }

    /** What the DataFn client would refuse in this schema (the server serves it regardless), in the order found. */
    public List<Warning> warnings() {
        return warnings;
    }

    /** The resource named {@code name}, or null. */
    public Resource resource(String name) {
        return resources.get(name);
    }

    public List<Resource> resources() {
        return List.copyOf(resources.values());
    }

    public List<Relation> relations() {
        return relations;
    }

    public Set<String> capabilities() {
        return capabilities;
    }

    /** The normalised schema document the hash covers (a copy). */
    public JsonNode normalized() {
        return normalized.deepCopy();
    }

    public String hash() {
        return hash;
    }

    static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
