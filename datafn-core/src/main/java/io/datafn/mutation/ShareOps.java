package io.datafn.mutation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.mutation.MutationService.Writer;
import io.datafn.sharing.Access;
import io.datafn.store.ChangeRow;
import io.datafn.store.StoreTx;

import java.time.Clock;

/** share / unshare (reference-query-mutation.md §5.1): grants of a shareable resource's records. */
final class ShareOps {
    private final Clock clock;

    ShareOps(Clock clock) {
        this.clock = clock;
    }

    /**
     * share / unshare: grant or revoke a principal's access to a record (or, resource scope, to every record the actor
     * owns). Only an owner may. A share records the record's full image again so that the principal's next pull
     * brings it.
     */
    void apply(StoreTx tx, Writer w, Mutation m) {
        if (w.actorId() == null) {
            throw Access.forbidden();
        }
        Mutation.Share s = m.share();
        if (s.resourceScope()) {
            if (m.operation() == Operation.SHARE) {
                tx.grants().save(new StoreTx.Grant(m.resource().name(), "", s.principal(), s.level(), w.actorId(), clock.millis()));
            } else {
                tx.grants().delete(m.resource().name(), "", s.principal(), w.actorId());
            }
            return;
        }
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        m.requireGuard(tx, current);
        if (current == null) {
            throw ChangeLog.notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        Access.require(tx, m.resource(), m.id(), current, w.actorId(), Access.Level.OWNER);
        if (m.operation() == Operation.UNSHARE) {
            tx.grants().delete(m.resource().name(), m.id(), s.principal(), null);
            return;
        }
        tx.grants().save(new StoreTx.Grant(m.resource().name(), m.id(), s.principal(), s.level(), w.actorId(), clock.millis()));
        ChangeLog.record(tx, w, m.resource(), ChangeRow.UPSERT, m.id(), current);
    }
}
