package io.datafn.mutation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.MutationService.Writer;
import io.datafn.schema.FieldValues;
import io.datafn.schema.Relation;
import io.datafn.schema.Resource;
import io.datafn.store.ChangeRow;
import io.datafn.store.StoreTx;

/**
 * What a mutation writes to the change log and reads back from it: the images of changed records and join rows
 * (PROTOCOL-NOTES "Change images"), and whether a record that is not there was deleted.
 */
final class ChangeLog {
    private ChangeLog() {
    }

    /** Records a change of a record; {@code values} are in storage form (id included or added). */
    static void record(StoreTx tx, Writer w, Resource res, String op, String id, ObjectNode values) {
        ObjectNode image = values == null ? null : FieldValues.toWire(res.fields(), values);
        if (image != null) {
            image.put("id", id);
        }
        tx.changes().record(new ChangeRow(0, res.name(), id, op, image));
    }

    static void recordJoin(StoreTx tx, Writer w, Relation rel, String op, String from, String to, ObjectNode storageRow) {
        ObjectNode image;
        if (storageRow == null) {
            image = Json.object().put("from", from).put("to", to);
        } else {
            image = FieldValues.toWire(rel.metadata(), storageRow);
            image.put("id", from + ":" + to);
        }
        tx.changes().record(new ChangeRow(0, rel.joinKey(), from + ":" + to, op, image));
    }

    /**
     * A record that is not there: {@code NOT_FOUND}, retryable while it may still arrive (another device's insert on
     * its way), not retryable once the change log shows it was deleted, so that a client's queue moves on.
     */
    static DatafnException notFound(StoreTx tx, Writer w, Resource res, String id, String message, String path) {
        if (tx.changes().deleted(res.name(), id)) {
            return new DatafnException(ErrorCode.NOT_FOUND, "Record was deleted", path).withRetryable(false);
        }
        return new DatafnException(ErrorCode.NOT_FOUND, message, path);
    }
}
