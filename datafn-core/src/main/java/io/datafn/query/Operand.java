package io.datafn.query;

import io.datafn.schema.FieldType;
import io.datafn.schema.Link;

import java.util.List;

/** What a comparison or sort term reads: a field (possibly through to-one relations) or an aggregation alias. */
public sealed interface Operand permits Operand.FieldRef, Operand.AliasRef {

    /**
     * A column of the query's resource, or of a resource reached through {@code hops} (to-one links only).
     *
     * @param field    the column name ({@code id} included)
     * @param jsonPath keys inside a json/object column ({@code "meta.color"}), empty for the column itself
     */
    record FieldRef(List<Link> hops, String field, FieldType type, List<String> jsonPath) implements Operand {
        public FieldRef {
            hops = List.copyOf(hops);
            jsonPath = List.copyOf(jsonPath);
        }

        public static FieldRef of(String field, FieldType type) {
            return new FieldRef(List.of(), field, type, List.of());
        }

        /** The value type the comparison sees (a json sub-path can hold anything). */
        public FieldType valueType() {
            return jsonPath.isEmpty() ? type : FieldType.JSON;
        }
    }

    /** An aggregation alias or a group key, in {@code having} and in the sort of a grouped query. */
    record AliasRef(String alias) implements Operand {
    }
}
