package io.datafn.mutation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.MutationService.Writer;
import io.datafn.schema.OnDelete;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.store.ChangeRow;
import io.datafn.store.StoreTx;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Deleting a record with its relations' {@code onDelete} policies (reference-query-mutation.md §5.2): restrict
 * refuses, cascade deletes dependants, setNull/detach clear their foreign keys; join rows of the record always go.
 */
final class Cascade {
    /** Cascades deeper than this are refused rather than run away on cyclic data. */
    static final int MAX_CASCADE = 10_000;

    private final Schema schema;

    Cascade(Schema schema) {
        this.schema = schema;
    }

    /** Deletes the (existing) record {@code id} of {@code res} and what its relations' policies say. */
    void delete(StoreTx tx, Writer w, Resource res, String id) {
        deleteCascading(tx, w, res, id, new HashSet<>());
    }

    /**
     * Applies every relation's onDelete policy to the records referencing {@code id}, then deletes it. Join rows of
     * the record are always removed (a join row never outlives either end).
     */
    private void deleteCascading(StoreTx tx, Writer w, Resource res, String id, Set<String> visited) {
        if (!visited.add(res.name() + "\u0000" + id)) {
            return;
        }
        if (visited.size() > MAX_CASCADE) {
            throw new DatafnException(ErrorCode.CONFLICT, "Cascade from " + id + " exceeds " + MAX_CASCADE + " records", "id");
        }
        for (Relation rel : schema.relations()) {
            if (rel.type() == RelationType.MANY_MANY) {
                if (rel.to().equals(res.name()) && rel.onDelete() == OnDelete.RESTRICT
                        && !tx.joins().of(rel, false, id).isEmpty()) {
                    throw restricted(id, rel);
                }
                continue;
            }
            // the record that holds the foreign key (dependant) and the one it points at (referenced)
            String referenced = rel.type() == RelationType.MANY_ONE ? rel.to() : rel.from();
            String dependant = rel.type() == RelationType.MANY_ONE ? rel.from() : rel.to();
            if (!referenced.equals(res.name()) || rel.onDelete() == OnDelete.NONE) {
                continue;
            }
            Resource dep = schema.resource(dependant);
            List<String> refs = tx.records().referencing(dep, rel.fkField(), id, MAX_CASCADE);
            if (refs.isEmpty()) {
                continue;
            }
            switch (rel.onDelete()) {
                case RESTRICT -> throw restricted(id, rel);
                case CASCADE -> {
                    for (String child : refs) {
                        deleteCascading(tx, w, dep, child, visited);
                    }
                }
                case SET_NULL, DETACH -> {
                    for (String child : refs) {
                        ObjectNode v = Json.object();
                        v.putNull(rel.fkField());
                        tx.records().update(dep, child, v);
                        ChangeLog.record(tx, w, dep, ChangeRow.MERGE, child, v);
                    }
                }
                case NONE -> {
                }
            }
        }
        for (Relation rel : schema.relations()) {
            if (rel.type() != RelationType.MANY_MANY) {
                continue;
            }
            for (boolean fromSide : new boolean[]{true, false}) {
                if ((fromSide ? rel.from() : rel.to()).equals(res.name())) {
                    for (StoreTx.JoinKey pair : tx.joins().of(rel, fromSide, id)) {
                        tx.joins().delete(rel, pair.from(), pair.to());
                        ChangeLog.recordJoin(tx, w, rel, ChangeRow.DELETE, pair.from(), pair.to(), null);
                    }
                }
            }
        }
        tx.records().delete(res, id);
        ChangeLog.record(tx, w, res, ChangeRow.DELETE, id, null);
    }

    private static DatafnException restricted(String id, Relation rel) {
        return new DatafnException(ErrorCode.RELATION_RESTRICTED,
                "Cannot delete " + id + "; relation \"" + rel.relation() + "\" still references it", "id");
    }
}
