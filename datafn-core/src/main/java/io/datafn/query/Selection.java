package io.datafn.query;

import io.datafn.schema.Link;

import java.util.List;
import java.util.Map;

/**
 * What a query returns per row: base fields and related data.
 *
 * @param allFields every base field ({@code select} absent, empty or {@code "*"})
 * @param fields    explicitly selected base fields, in request order
 * @param relations related data by relation name, in request order
 */
public record Selection(boolean allFields, List<String> fields, Map<String, RelationSelection> relations) {
    public Selection {
        fields = List.copyOf(fields);
        relations = Map.copyOf(relations);
    }

    public static Selection all() {
        return new Selection(true, List.of(), Map.of());
    }

    public enum Mode {
        /** {@code rel}: ids only. */
        IDS,
        /** {@code rel.*} or {@code rel.<field>}: related records. */
        RECORDS,
        /** {@code rel.#}: join rows ({@code from}, {@code to}, metadata). */
        JOIN_ROWS,
        /** {@code rel.*#}: related records each with {@code $relation_metadata}. */
        RECORDS_WITH_METADATA
    }

    public record RelationSelection(Link link, Mode mode, Selection nested) {
    }
}
