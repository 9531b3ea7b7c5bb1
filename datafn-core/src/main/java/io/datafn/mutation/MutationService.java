package io.datafn.mutation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.json.Uuids;
import io.datafn.schema.Field;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.sharing.Access;
import io.datafn.store.ChangeRow;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;
import io.datafn.store.Written;

import java.time.Clock;
import java.util.List;

/**
 * Executes mutations (PROTOCOL.md "Mutation"; original §5.2–§5.5). Each mutation's writes, guard check and
 * idempotency record happen in one transaction; guards read the row under a lock taken by that transaction.
 */
public final class MutationService {
    private final Schema schema;
    private final Store store;
    private final Clock clock;
    private final Stamps stamps;
    private final Cascade cascade;
    private final RelationOps relationOps;
    private final ShareOps shareOps;

    public MutationService(Schema schema, Store store, Clock clock) {
        this.schema = schema;
        this.store = store;
        this.clock = clock;
        this.stamps = new Stamps(clock);
        this.cascade = new Cascade(schema);
        this.relationOps = new RelationOps(schema);
        this.shareOps = new ShareOps(clock);
    }

    /** How a route's writes treat what is already there (the original differs between its routes). */
    public enum Policy {
        /** {@code mutation}, {@code transact}, REST, seed: an existing id is a conflict, a missing record not found. */
        STRICT,
        /**
         * {@code push} (the original's E2): an insert of an existing id whose supplied values all equal the stored
         * ones succeeds without a change (a re-sent insert), and a replace of a missing record creates it.
         */
        PUSH
    }

    /** Who is writing: the namespace and the actor id the {@code audit} capability records (may be null). */
    public record Writer(String namespace, String actorId) {
    }

    /**
     * Runs one mutation in its own transaction. Failures come back as a failed {@link MutationResult}; a
     * non-retryable failure is still recorded for idempotency (in a second transaction, after the failed one was
     * rolled back).
     */
    public MutationResult execute(Writer w, Mutation m) {
        return executeTracked(w, m).value();
    }

    /** Like {@link #execute}, with the change rows (and their seqs) the mutation committed. */
    public Written<MutationResult> executeTracked(Writer w, Mutation m) {
        try {
            return store.writeTracked(w.namespace(), tx -> executeIn(tx, w, m, Policy.STRICT));
        } catch (DatafnException e) {
            MutationResult failed = MutationResult.failure(mutationId(m), e);
            if (Idempotency.keepsFailure(m, failed)) {
                store.write(w.namespace(), tx -> {
                    Idempotency.saveFailure(tx, w, m, failed);
                    return null;
                });
            }
            return new Written<>(failed, w.namespace(), List.of());
        }
    }

    /**
     * Runs one mutation inside the caller's transaction as its own unit: on failure everything it did is rolled back
     * to a savepoint and the failure comes back as a result (recorded for idempotency when it is not retryable), and
     * the transaction goes on. Push runs a whole batch this way in one transaction: one commit, one seq allocation.
     */
    public MutationResult executeIsolated(StoreTx tx, Writer w, Mutation m, Policy policy) {
        StoreTx.Savepoint sp = tx.savepoint();
        try {
            return executeIn(tx, w, m, policy);
        } catch (DatafnException e) {
            tx.rollbackTo(sp);
            MutationResult failed = MutationResult.failure(mutationId(m), e);
            if (Idempotency.keepsFailure(m, failed)) {
                Idempotency.saveFailure(tx, w, m, failed);
            }
            return failed;
        }
    }

    /**
     * Seeds one record inside the caller's transaction: inserts it, or replaces the stored one when any value
     * differs. Returns false when the stored record already equals it (nothing written, no change recorded).
     */
    public boolean seedIn(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        if (current == null) {
            insert(tx, w, m, Policy.STRICT);
            return true;
        }
        if (holds(current, replacement(m))) {
            return false;
        }
        replace(tx, w, m, Policy.STRICT);
        return true;
    }

    /**
     * Runs one mutation inside the caller's transaction (transact, push). A failure is thrown as
     * {@link DatafnException} (a replayed stored failure as {@link MutationResult.Replayed}); the caller decides
     * whether the transaction rolls back.
     */
    public MutationResult executeIn(StoreTx tx, Writer w, Mutation m, Policy policy) {
        MutationResult replayed = Idempotency.replay(tx, w, m);
        if (replayed != null) {
            return replayed;
        }
        Mutation withId = m.id() == null && m.operation() == Operation.INSERT ? m.withId(generateId(m.resource())) : m;
        apply(tx, w, withId, policy);
        MutationResult result = withId.id() == null
                ? new MutationResult(true, mutationId(m), List.of(), List.of(), false) // a resource-scope share
                : MutationResult.success(mutationId(m), withId.id());
        if (m.keyed()) {
            Idempotency.save(tx, w, m, result);
        }
        return result;
    }

    /** A replay of an idempotency key with another payload (PROTOCOL.md "Idempotency"): not retryable. */
    public static DatafnException payloadMismatch(Mutation m) {
        return Idempotency.payloadMismatch(m);
    }

    private static String mutationId(Mutation m) {
        return m.mutationId() != null ? m.mutationId() : Uuids.random();
    }

    /** PROTOCOL.md "Generated ids": {@code <prefix><uuid>} after ':' or '-', else {@code <prefix>:<uuid>}. */
    public static String generateId(Resource r) {
        String uuid = Uuids.random();
        String p = r.idPrefix();
        if (p == null) {
            return r.name() + ":" + uuid;
        }
        return p.endsWith(":") || p.endsWith("-") ? p + uuid : p + ":" + uuid;
    }

    private void apply(StoreTx tx, Writer w, Mutation m, Policy policy) {
        switch (m.operation()) {
            case INSERT -> insert(tx, w, m, policy);
            case MERGE -> merge(tx, w, m);
            case REPLACE -> replace(tx, w, m, policy);
            case DELETE -> delete(tx, w, m);
            case RELATE, UNRELATE, MODIFY_RELATION -> relationOps.apply(tx, w, m);
            case TRASH, RESTORE, ARCHIVE, UNARCHIVE -> lifecycle(tx, w, m);
            case SHARE, UNSHARE -> shareOps.apply(tx, w, m);
        }
    }

    /** trash / restore / archive / unarchive: set the capability fields of an existing record (a merge change). */
    private void lifecycle(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        m.requireGuard(tx, current);
        if (current == null) {
            throw ChangeLog.notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        Access.requireIfPrivate(tx, m.resource(), m.id(), current, w.actorId(), Access.Level.EDITOR);
        ObjectNode values = Json.object();
        switch (m.operation()) {
            case TRASH -> {
                values.put("trashedAt", stamps.now());
                values.put("trashedBy", w.actorId());
            }
            case RESTORE -> {
                if (current.path("trashedAt").isNull() || current.path("trashedAt").isMissingNode()) {
                    return; // restoring a record that is not trashed succeeds and changes nothing
                }
                values.putNull("trashedAt");
                values.putNull("trashedBy");
            }
            case ARCHIVE -> values.put("isArchived", true);
            case UNARCHIVE -> values.put("isArchived", false);
            default -> throw new IllegalStateException(m.operation().name());
        }
        stamps.updated(m.resource(), values, w);
        tx.records().update(m.resource(), m.id(), values);
        // the original records the full row re-read after the update (reference-sync.md §1.3)
        ObjectNode image = current.deepCopy();
        image.setAll(values);
        ChangeLog.record(tx, w, m.resource(), ChangeRow.MERGE, m.id(), image);
    }

    private void insert(StoreTx tx, Writer w, Mutation m, Policy policy) {
        if (m.guard() != null) {
            // A guard reads the current row; an insert has none, so its guard never holds (as the original).
            throw new DatafnException(ErrorCode.CONFLICT, "Guard condition not met", "if");
        }
        String clash = insertNew(tx, w, m);
        if (clash != null) {
            if (clash.equals("id") && policy == Policy.PUSH && holds(tx.records().lock(m.resource(), m.id()), m.record())) {
                return; // push: re-sending an insert whose values are already stored succeeds and changes nothing
            }
            throw conflict(clash);
        }
    }

    /**
     * Inserts the record with its defaults and records the insert; when the id or a unique field is taken, writes
     * nothing and returns the clashing field.
     */
    private String insertNew(StoreTx tx, Writer w, Mutation m) {
        if (m.resource().isPrivate() && w.actorId() == null) {
            throw Access.forbidden(); // a private record belongs to its creator: there must be one
        }
        ObjectNode row = withDefaults(m.resource(), m.record());
        stamps.created(m.resource(), row, w);
        row.put("id", m.id());
        String clash = tx.records().insert(m.resource(), row);
        if (clash != null) {
            return clash;
        }
        ObjectNode image = Json.object();
        image.put("id", m.id());
        for (Field f : m.resource().fields()) {
            image.set(f.name(), row.has(f.name()) ? row.get(f.name()) : Json.NODES.nullNode());
        }
        ChangeLog.record(tx, w, m.resource(), ChangeRow.INSERT, m.id(), image);
        return null;
    }

    /** True when {@code stored} (may be null) already holds every value of {@code values} (storage form). */
    private static boolean holds(ObjectNode stored, ObjectNode values) {
        if (stored == null) {
            return false;
        }
        var it = values.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!Json.canonical(e.getValue()).equals(Json.canonical(stored.path(e.getKey())))) {
                return false;
            }
        }
        return true;
    }

    private void merge(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        m.requireGuard(tx, current);
        if (current == null) {
            // merge on a missing record creates it when the record is complete (upsert, as the original)
            for (Field f : m.resource().fields()) {
                if (f.required() && !f.hasDefault() && f.writable()) {
                    JsonNode v = m.record().get(f.name());
                    if (v == null || (v.isNull() && !f.nullable())) {
                        throw ChangeLog.notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
                    }
                }
            }
            String clash = insertNew(tx, w, m);
            if (clash == null) {
                return;
            }
            // a concurrent write created the record after our read: merge into it (reference case MRG-003)
            current = clash.equals("id") ? tx.records().lock(m.resource(), m.id()) : null;
            if (current == null) {
                throw conflict(clash);
            }
        }
        Access.requireIfPrivate(tx, m.resource(), m.id(), current, w.actorId(), Access.Level.EDITOR);
        ObjectNode values = m.record().deepCopy();
        stamps.updated(m.resource(), values, w);
        if (values.isEmpty()) {
            return;
        }
        String clash = tx.records().update(m.resource(), m.id(), values);
        if (clash != null) {
            throw conflict(clash);
        }
        ChangeLog.record(tx, w, m.resource(), ChangeRow.MERGE, m.id(), values);
    }

    private void replace(StoreTx tx, Writer w, Mutation m, Policy policy) {
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        m.requireGuard(tx, current); // a guard on a missing row fails as a guard, as for every other operation
        if (current == null && policy == Policy.PUSH) {
            // the original's push replace is an upsert (reference-sync.md §4.3): create the record with the values
            Mutation create = new Mutation(m.resource(), Operation.INSERT, m.id(), replacement(m), null, List.of(),
                    null, m.clientId(), m.mutationId(), m.payloadHash());
            String clash = insertNew(tx, w, create);
            if (clash != null) {
                throw conflict(clash);
            }
            return;
        }
        if (current == null) {
            throw ChangeLog.notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        Access.requireIfPrivate(tx, m.resource(), m.id(), current, w.actorId(), Access.Level.EDITOR);
        ObjectNode values = replacement(m);
        stamps.updated(m.resource(), values, w);
        String clash = tx.records().update(m.resource(), m.id(), values);
        if (clash != null) {
            throw conflict(clash);
        }
        ObjectNode image = current.deepCopy();
        image.setAll(values);
        ChangeLog.record(tx, w, m.resource(), ChangeRow.REPLACE, m.id(), image);
    }

    /** Every writable field of a replace: the given value, else the default, else null (storage form). */
    private static ObjectNode replacement(Mutation m) {
        ObjectNode values = Json.object();
        for (Field f : m.resource().fields()) {
            if (!f.writable()) {
                continue;
            }
            JsonNode v = m.record().get(f.name());
            if (v == null && f.hasDefault()) {
                v = f.defaultValue(); // checked and in storage form since the schema was parsed
            }
            values.set(f.name(), v == null ? Json.NODES.nullNode() : v);
        }
        return values;
    }

    private void delete(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.records().lock(m.resource(), m.id());
        if (m.guard() != null) {
            m.requireGuard(tx, current);
        }
        if (current == null) {
            return; // deleting a missing record succeeds and changes nothing
        }
        Access.requireIfPrivate(tx, m.resource(), m.id(), current, w.actorId(), Access.Level.OWNER);
        cascade.delete(tx, w, m.resource(), m.id());
    }

    private static ObjectNode withDefaults(Resource res, ObjectNode record) {
        ObjectNode row = Json.object();
        for (Field f : res.fields()) {
            if (f.hasDefault() && !record.has(f.name())) {
                row.set(f.name(), f.defaultValue()); // checked and in storage form since the schema was parsed
            }
        }
        row.setAll(record);
        return row;
    }

    private static DatafnException conflict(String field) {
        return field.equals("id")
                ? new DatafnException(ErrorCode.CONFLICT, "Record already exists", "id")
                : new DatafnException(ErrorCode.CONFLICT, "Unique field '" + field + "' already holds this value", "record." + field);
    }
}
