package io.datafn.schema;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * One field of a resource.
 *
 * @param system  injected by a capability ({@code createdAt}, {@code updatedBy}, ...): readable, never client-written
 * @param implicit a foreign-key column that a relation needs and the schema did not declare
 */
public record Field(String name, FieldType type, boolean required, boolean nullable, boolean unique,
                    JsonNode defaultValue, boolean readonly, List<JsonNode> enumValues, Double min, Double max,
                    Integer minLength, Integer maxLength, String pattern, boolean system, boolean implicit) {

    public Field {
        enumValues = enumValues == null ? List.of() : List.copyOf(enumValues);
    }

    public boolean hasDefault() {
        return defaultValue != null && !defaultValue.isMissingNode();
    }

    /** Writable by a client through {@code record}. */
    public boolean writable() {
        return !readonly && !system;
    }

    static Field simple(String name, FieldType type, boolean system) {
        return new Field(name, type, false, true, false, null, system, List.of(), null, null, null, null, null,
                system, !system);
    }
}
