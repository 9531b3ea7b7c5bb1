package io.datafn.mutation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.MutationService.Writer;
import io.datafn.schema.Link;
import io.datafn.schema.Relation;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.sharing.Access;
import io.datafn.store.ChangeRow;
import io.datafn.store.StoreTx;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * relate / unrelate / modifyRelation (reference-query-mutation.md §5.2) on foreign keys and join rows, from either
 * side of a relation, recording {@code merge} changes of the foreign-key holder and {@code upsert}/{@code delete}
 * changes of join rows.
 */
final class RelationOps {
    private final Schema schema;

    RelationOps(Schema schema) {
        this.schema = schema;
    }

    void apply(StoreTx tx, Writer w, Mutation m) {
        if (m.relations().isEmpty()) {
            return; // the original treats a relation operation without relations as a successful no-op
        }
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        m.requireGuard(tx, current);
        if (current == null) {
            throw ChangeLog.notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        Access.requireIfPrivate(tx, m.resource(), m.id(), current, w.actorId(), Access.Level.EDITOR);
        for (Mutation.RelationChange change : m.relations()) {
            Link link = change.link();
            Resource target = schema.resource(link.target());
            List<String> ids = new ArrayList<>();
            change.targets().forEach(t -> ids.add(t.id()));
            if (m.operation() == Operation.MODIFY_RELATION && !link.isManyMany()) {
                throw DatafnException.unsupported("modifyRelation only supported for many-many relations", change.path());
            }
            if (m.operation() == Operation.RELATE) {
                Set<String> found = tx.records().existing(target, ids);
                if (target.isPrivate()) {
                    found = tx.records().visible(target, w.actorId(), found); // a record one may not see is not there
                }
                for (String id : ids) {
                    if (!found.contains(id)) {
                        throw ChangeLog.notFound(tx, w, target, id, "Related record not found: " + id, change.path());
                    }
                }
            }
            switch (link.kind()) {
                case FK_ON_SOURCE -> {
                    if (m.operation() == Operation.RELATE && ids.size() != 1) {
                        throw DatafnException.invalid("many-one relation expects single target", change.path());
                    }
                    String currentFk = current.path(link.fkField()).asText(null);
                    ObjectNode v = Json.object();
                    if (m.operation() == Operation.RELATE) {
                        v.put(link.fkField(), ids.get(0));
                    } else if (currentFk != null && ids.contains(currentFk)) {
                        v.putNull(link.fkField());
                    } else {
                        continue;
                    }
                    tx.records().update(m.resource(), m.id(), v);
                    ChangeLog.record(tx, w, m.resource(), ChangeRow.MERGE, m.id(), v);
                }
                case FK_ON_TARGET -> {
                    for (String t : ids) {
                        ObjectNode v = Json.object();
                        if (m.operation() == Operation.RELATE) {
                            v.put(link.fkField(), m.id());
                        } else if (tx.records().referencing(target, link.fkField(), m.id(), Integer.MAX_VALUE).contains(t)) {
                            v.putNull(link.fkField());
                        } else {
                            continue;
                        }
                        tx.records().update(target, t, v);
                        ChangeLog.record(tx, w, target, ChangeRow.MERGE, t, v);
                    }
                }
                case JOIN -> {
                    for (Mutation.Target t : change.targets()) {
                        String from = link.forward() ? m.id() : t.id();
                        String to = link.forward() ? t.id() : m.id();
                        Relation rel = link.relation();
                        if (m.operation() == Operation.UNRELATE) {
                            if (tx.joins().delete(rel, from, to)) {
                                ChangeLog.recordJoin(tx, w, rel, ChangeRow.DELETE, from, to, null);
                            }
                            continue;
                        }
                        if (m.operation() == Operation.MODIFY_RELATION && tx.joins().row(rel, from, to) == null) {
                            throw new DatafnException(ErrorCode.NOT_FOUND,
                                    "Relation not found between " + from + " and " + to, change.path());
                        }
                        tx.joins().upsert(rel, from, to, t.metadata());
                        ChangeLog.recordJoin(tx, w, rel, ChangeRow.UPSERT, from, to, tx.joins().row(rel, from, to));
                    }
                }
            }
        }
    }
}
