package io.datafn.store;

import io.datafn.json.Json;

/**
 * One entry of the change log as the store holds it: the image is still the JSON text of its column, so that a reader
 * that only passes it on (a pull writes most images into its answer as they are) neither parses nor re-serialises it.
 *
 * @param seq      the namespace's serverSeq of this change
 * @param resource a resource name, or a join key {@code join_<from>_<relation>_<to>}
 * @param recordId the record id, or {@code <from>:<to>} for a join row
 * @param op       {@code insert | merge | replace | upsert | delete}
 * @param image    the image's JSON text as {@link ChangeRow#record} describes it, or null (a record delete)
 */
public record StoredChange(long seq, String resource, String recordId, String op, String image) {

    /** The change with its image parsed. */
    public ChangeRow row() {
        return new ChangeRow(seq, resource, recordId, op, image == null ? null : Json.parse(image));
    }
}
