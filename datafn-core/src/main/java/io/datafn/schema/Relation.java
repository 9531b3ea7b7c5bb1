package io.datafn.schema;

import java.util.List;

/**
 * A relation as declared in the schema.
 *
 * @param fkField  for many-one the column on {@code from}; for one-many the column on {@code to}; null for many-many
 * @param metadata declared join-row metadata fields (many-many only)
 */
public record Relation(String from, String to, RelationType type, String relation, String inverse, String fkField,
                       List<Field> metadata, OnDelete onDelete) {
    public Relation {
        metadata = metadata == null ? List.of() : List.copyOf(metadata);
    }

    /** The change-log / table key of a many-many relation: {@code join_<from>_<relation>_<to>}. */
    public String joinKey() {
        return "join_" + from + "_" + relation + "_" + to;
    }

    public Field metadataField(String name) {
        for (Field f : metadata) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }
}
