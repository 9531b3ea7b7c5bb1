package io.datafn.store;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One entry of the change log.
 *
 * @param seq      the namespace's serverSeq of this change (0 until the transaction commits it)
 * @param resource a resource name, or a join key {@code join_<from>_<relation>_<to>}
 * @param recordId the record id, or {@code <from>:<to>} for a join row
 * @param op       {@code insert | merge | replace | upsert | delete}
 * @param record   full image (insert/replace/upsert), partial delta (merge), {@code {from,to}} for a join delete,
 *                 null for a record delete; wire form (images written by versions before dates travelled as
 *                 epoch milliseconds may hold ISO-8601 strings in date fields: readers convert them with
 *                 {@code FieldValues.toWire})
 */
public record ChangeRow(long seq, String resource, String recordId, String op, JsonNode record) {
    public static final String INSERT = "insert";
    public static final String MERGE = "merge";
    public static final String REPLACE = "replace";
    public static final String UPSERT = "upsert";
    public static final String DELETE = "delete";

    public boolean isJoin() {
        return resource.startsWith("join_");
    }
}
