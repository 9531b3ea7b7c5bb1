package io.datafn.mutation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.json.Uuids;
import io.datafn.schema.Field;
import io.datafn.schema.FieldValues;
import io.datafn.schema.Link;
import io.datafn.schema.OnDelete;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.sharing.Access;
import io.datafn.store.ChangeRow;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;
import io.datafn.store.StoreTx.StoredMutation;
import io.datafn.store.Written;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Executes mutations (PROTOCOL.md "Mutation"; original §5.2–§5.5). Each mutation's writes, guard check and
 * idempotency record happen in one transaction; guards read the row under a lock taken by that transaction.
 */
public final class MutationService {
    /** Cascades deeper than this are refused rather than run away on cyclic data. */
    private static final int MAX_CASCADE = 10_000;

    private final Schema schema;
    private final Store store;
    private final Clock clock;
    private final boolean push;

    /**
     * @param push when true, the original's E2 push semantics: an insert of an existing id whose supplied values all
     *             equal the stored ones succeeds without a change, and a replace of a missing record creates it
     */
    public MutationService(Schema schema, Store store, Clock clock, boolean push) {
        this.schema = schema;
        this.store = store;
        this.clock = clock;
        this.push = push;
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
            return store.writeTracked(tx -> executeIn(tx, w, m));
        } catch (DatafnException e) {
            MutationResult failed = MutationResult.failure(mutationId(m), e);
            if (m.keyed() && !failed.retryable() && !failed.deduped()) {
                store.write(tx -> {
                    StoredMutation prev = tx.idempotency(w.namespace(), m.clientId(), m.mutationId());
                    if (prev == null || MutationResult.fromJson(prev.result()).retryable()) {
                        tx.saveIdempotency(w.namespace(), m.clientId(), m.mutationId(), new StoredMutation(m.payloadHash(), failed.toJson()));
                    }
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
    public MutationResult executeIsolated(StoreTx tx, Writer w, Mutation m) {
        StoreTx.Savepoint sp = tx.savepoint();
        try {
            return executeIn(tx, w, m);
        } catch (DatafnException e) {
            tx.rollbackTo(sp);
            MutationResult failed = MutationResult.failure(mutationId(m), e);
            if (m.keyed() && !failed.retryable() && !failed.deduped()) {
                StoredMutation prev = tx.idempotency(w.namespace(), m.clientId(), m.mutationId());
                if (prev == null || MutationResult.fromJson(prev.result()).retryable()) {
                    tx.saveIdempotency(w.namespace(), m.clientId(), m.mutationId(), new StoredMutation(m.payloadHash(), failed.toJson()));
                }
            }
            return failed;
        }
    }

    /**
     * Seeds one record inside the caller's transaction: inserts it, or replaces the stored one when any value
     * differs. Returns false when the stored record already equals it (nothing written, no change recorded).
     */
    public boolean seedIn(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.lock(w.namespace(), m.resource(), m.id());
        if (current == null) {
            insert(tx, w, m);
            return true;
        }
        ObjectNode values = replacement(m);
        var it = values.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!Json.canonical(e.getValue()).equals(Json.canonical(current.path(e.getKey())))) {
                replace(tx, w, m);
                return true;
            }
        }
        return false;
    }

    /**
     * Runs one mutation inside the caller's transaction (transact, push). A failure is thrown as
     * {@link DatafnException} (a replayed stored failure as {@link MutationResult.Replayed}); the caller decides
     * whether the transaction rolls back.
     */
    public MutationResult executeIn(StoreTx tx, Writer w, Mutation m) {
        if (m.keyed()) {
            StoredMutation stored = tx.idempotency(w.namespace(), m.clientId(), m.mutationId());
            if (stored != null) {
                MutationResult prev = MutationResult.fromJson(stored.result());
                if (!prev.retryable()) {
                    if (!stored.payload().equals(m.payloadHash())) {
                        throw payloadMismatch(m);
                    }
                    if (!prev.ok()) {
                        throw new MutationResult.Replayed(prev);
                    }
                    return prev.asDeduped();
                }
            }
        }
        Mutation withId = m.id() == null && m.operation() == Operation.INSERT ? m.withId(generateId(m.resource())) : m;
        apply(tx, w, withId);
        MutationResult result = withId.id() == null
                ? new MutationResult(true, mutationId(m), List.of(), List.of(), false) // a resource-scope share
                : MutationResult.success(mutationId(m), withId.id());
        if (m.keyed()) {
            tx.saveIdempotency(w.namespace(), m.clientId(), m.mutationId(), new StoredMutation(m.payloadHash(), result.toJson()));
        }
        return result;
    }

    /** A replay of an idempotency key with another payload (PROTOCOL.md "Idempotency"): not retryable. */
    public static DatafnException payloadMismatch(Mutation m) {
        return new DatafnException(ErrorCode.CONFLICT, "mutationId " + m.mutationId()
                + " was already used by client " + m.clientId() + " with a different payload", "mutationId");
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

    private void apply(StoreTx tx, Writer w, Mutation m) {
        switch (m.operation()) {
            case INSERT -> insert(tx, w, m);
            case MERGE -> merge(tx, w, m);
            case REPLACE -> replace(tx, w, m);
            case DELETE -> delete(tx, w, m);
            case RELATE, UNRELATE, MODIFY_RELATION -> relationOp(tx, w, m);
            case TRASH, RESTORE, ARCHIVE, UNARCHIVE -> lifecycle(tx, w, m);
            case SHARE, UNSHARE -> share(tx, w, m);
        }
    }

    /**
     * A record that is not there: {@code NOT_FOUND}, retryable while it may still arrive (another device's insert on
     * its way), not retryable once the change log shows it was deleted, so that a client's queue moves on.
     */
    private static DatafnException notFound(StoreTx tx, Writer w, Resource res, String id, String message, String path) {
        if (tx.deletedInLog(w.namespace(), res.name(), id)) {
            return new DatafnException(ErrorCode.NOT_FOUND, "Record was deleted", path).withRetryable(false);
        }
        return new DatafnException(ErrorCode.NOT_FOUND, message, path);
    }

    /** On a private (shareable) resource, the actor needs at least {@code needed} on the record. */
    private static void authorize(StoreTx tx, Writer w, Resource res, String id, ObjectNode current, Access.Level needed) {
        if (res.isPrivate()) {
            Access.require(tx, w.namespace(), res, id, current, w.actorId(), needed);
        }
    }

    /** trash / restore / archive / unarchive: set the capability fields of an existing record (a merge change). */
    private void lifecycle(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.lock(w.namespace(), m.resource(), m.id());
        checkGuard(tx, w, m, current);
        if (current == null) {
            throw notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        authorize(tx, w, m.resource(), m.id(), current, Access.Level.EDITOR);
        ObjectNode values = Json.object();
        switch (m.operation()) {
            case TRASH -> {
                values.put("trashedAt", clock.millis());
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
        stampUpdated(m.resource(), values, w);
        tx.update(w.namespace(), m.resource(), m.id(), values);
        // the original records the full row re-read after the update (reference-sync.md §1.3)
        ObjectNode image = current.deepCopy();
        image.setAll(values);
        record(tx, w, m.resource(), ChangeRow.MERGE, m.id(), image);
    }

    /**
     * share / unshare: grant or revoke a principal's access to a record (or, resource scope, to every record the actor
     * owns). Only an owner may. A share records the record's full image again so that the principal's next pull
     * brings it.
     */
    private void share(StoreTx tx, Writer w, Mutation m) {
        if (w.actorId() == null) {
            throw Access.forbidden();
        }
        Mutation.Share s = m.share();
        String ns = w.namespace();
        if (s.resourceScope()) {
            if (m.operation() == Operation.SHARE) {
                tx.saveGrant(ns, new StoreTx.Grant(m.resource().name(), "", s.principal(), s.level(), w.actorId(), clock.millis()));
            } else {
                tx.deleteGrant(ns, m.resource().name(), "", s.principal(), w.actorId());
            }
            return;
        }
        ObjectNode current = tx.lock(ns, m.resource(), m.id());
        checkGuard(tx, w, m, current);
        if (current == null) {
            throw notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        Access.require(tx, ns, m.resource(), m.id(), current, w.actorId(), Access.Level.OWNER);
        if (m.operation() == Operation.UNSHARE) {
            tx.deleteGrant(ns, m.resource().name(), m.id(), s.principal(), null);
            return;
        }
        tx.saveGrant(ns, new StoreTx.Grant(m.resource().name(), m.id(), s.principal(), s.level(), w.actorId(), clock.millis()));
        record(tx, w, m.resource(), ChangeRow.UPSERT, m.id(), current);
    }

    private void checkGuard(StoreTx tx, Writer w, Mutation m, ObjectNode current) {
        if (m.guard() == null) {
            return;
        }
        if (current == null || !tx.matches(w.namespace(), m.resource(), m.id(), m.guard())) {
            throw new DatafnException(ErrorCode.CONFLICT, "Guard condition not met", "if");
        }
    }

    private void insert(StoreTx tx, Writer w, Mutation m) {
        if (m.guard() != null) {
            // A guard reads the current row; an insert has none, so its guard never holds (as the original).
            throw new DatafnException(ErrorCode.CONFLICT, "Guard condition not met", "if");
        }
        String clash = insertNew(tx, w, m);
        if (clash != null) {
            if (clash.equals("id") && push && sameValues(tx.lock(w.namespace(), m.resource(), m.id()), m.record())) {
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
        stampCreated(m.resource(), row, w);
        row.put("id", m.id());
        String clash = tx.insert(w.namespace(), m.resource(), row);
        if (clash != null) {
            return clash;
        }
        ObjectNode image = Json.object();
        image.put("id", m.id());
        for (Field f : m.resource().fields()) {
            image.set(f.name(), row.has(f.name()) ? row.get(f.name()) : Json.NODES.nullNode());
        }
        record(tx, w, m.resource(), ChangeRow.INSERT, m.id(), image);
        return null;
    }

    private static boolean sameValues(ObjectNode stored, ObjectNode record) {
        if (stored == null) {
            return false;
        }
        var it = record.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (!Json.canonical(e.getValue()).equals(Json.canonical(stored.path(e.getKey())))) {
                return false;
            }
        }
        return true;
    }

    /** Records a change of a record; {@code values} are in storage form (id included or added). */
    private void record(StoreTx tx, Writer w, Resource res, String op, String id, ObjectNode values) {
        ObjectNode image = values == null ? null : FieldValues.toWire(res.fields(), values);
        if (image != null) {
            image.put("id", id);
        }
        tx.recordChange(w.namespace(), new ChangeRow(0, res.name(), id, op, image));
    }

    private void recordJoin(StoreTx tx, Writer w, Relation rel, String op, String from, String to, ObjectNode storageRow) {
        ObjectNode image;
        if (storageRow == null) {
            image = Json.object().put("from", from).put("to", to);
        } else {
            image = FieldValues.toWire(rel.metadata(), storageRow);
            image.put("id", from + ":" + to);
        }
        tx.recordChange(w.namespace(), new ChangeRow(0, rel.joinKey(), from + ":" + to, op, image));
    }

    private void merge(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.lock(w.namespace(), m.resource(), m.id());
        checkGuard(tx, w, m, current);
        if (current == null) {
            // merge on a missing record creates it when the record is complete (upsert, as the original)
            for (Field f : m.resource().fields()) {
                if (f.required() && !f.hasDefault() && f.writable()) {
                    JsonNode v = m.record().get(f.name());
                    if (v == null || (v.isNull() && !f.nullable())) {
                        throw notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
                    }
                }
            }
            String clash = insertNew(tx, w, m);
            if (clash == null) {
                return;
            }
            // a concurrent write created the record after our read: merge into it (reference case MRG-003)
            current = clash.equals("id") ? tx.lock(w.namespace(), m.resource(), m.id()) : null;
            if (current == null) {
                throw conflict(clash);
            }
        }
        authorize(tx, w, m.resource(), m.id(), current, Access.Level.EDITOR);
        ObjectNode values = m.record().deepCopy();
        stampUpdated(m.resource(), values, w);
        if (values.isEmpty()) {
            return;
        }
        String clash = tx.update(w.namespace(), m.resource(), m.id(), values);
        if (clash != null) {
            throw conflict(clash);
        }
        record(tx, w, m.resource(), ChangeRow.MERGE, m.id(), values);
    }

    private void replace(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.lock(w.namespace(), m.resource(), m.id());
        checkGuard(tx, w, m, current); // a guard on a missing row fails as a guard, as for every other operation
        if (current == null && push) {
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
            throw notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        authorize(tx, w, m.resource(), m.id(), current, Access.Level.EDITOR);
        ObjectNode values = replacement(m);
        stampUpdated(m.resource(), values, w);
        String clash = tx.update(w.namespace(), m.resource(), m.id(), values);
        if (clash != null) {
            throw conflict(clash);
        }
        ObjectNode image = current.deepCopy();
        image.setAll(values);
        record(tx, w, m.resource(), ChangeRow.REPLACE, m.id(), image);
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
                v = MutationParser.value(f, f.defaultValue(), "record." + f.name());
            }
            values.set(f.name(), v == null ? Json.NODES.nullNode() : v);
        }
        return values;
    }

    private void delete(StoreTx tx, Writer w, Mutation m) {
        ObjectNode current = tx.lock(w.namespace(), m.resource(), m.id());
        if (m.guard() != null) {
            checkGuard(tx, w, m, current);
        }
        if (current == null) {
            return; // deleting a missing record succeeds and changes nothing
        }
        authorize(tx, w, m.resource(), m.id(), current, Access.Level.OWNER);
        deleteCascading(tx, w, m.resource(), m.id(), new HashSet<>());
    }

    /**
     * Applies every relation's onDelete policy to the records referencing {@code id}, then deletes it. Join rows of
     * the record are always removed (a join row never outlives either end).
     */
    private void deleteCascading(StoreTx tx, Writer w, Resource res, String id, Set<String> visited) {
        String ns = w.namespace();
        if (!visited.add(res.name() + "\u0000" + id)) {
            return;
        }
        if (visited.size() > MAX_CASCADE) {
            throw new DatafnException(ErrorCode.CONFLICT, "Cascade from " + id + " exceeds " + MAX_CASCADE + " records", "id");
        }
        for (Relation rel : schema.relations()) {
            if (rel.type() == RelationType.MANY_MANY) {
                if (rel.to().equals(res.name()) && rel.onDelete() == OnDelete.RESTRICT
                        && !tx.joinsOf(ns, rel, false, id).isEmpty()) {
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
            List<String> refs = tx.referencing(ns, dep, rel.fkField(), id, MAX_CASCADE);
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
                        tx.update(ns, dep, child, v);
                        record(tx, w, dep, ChangeRow.MERGE, child, v);
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
                    for (String[] pair : tx.joinsOf(ns, rel, fromSide, id)) {
                        tx.deleteJoin(ns, rel, pair[0], pair[1]);
                        recordJoin(tx, w, rel, ChangeRow.DELETE, pair[0], pair[1], null);
                    }
                }
            }
        }
        tx.delete(ns, res, id);
        record(tx, w, res, ChangeRow.DELETE, id, null);
    }

    private static DatafnException restricted(String id, Relation rel) {
        return new DatafnException(ErrorCode.RELATION_RESTRICTED,
                "Cannot delete " + id + "; relation \"" + rel.relation() + "\" still references it", "id");
    }

    private void relationOp(StoreTx tx, Writer w, Mutation m) {
        if (m.relations().isEmpty()) {
            return; // the original treats a relation operation without relations as a successful no-op
        }
        ObjectNode current = tx.lock(w.namespace(), m.resource(), m.id());
        checkGuard(tx, w, m, current);
        if (current == null) {
            throw notFound(tx, w, m.resource(), m.id(), "Record not found: " + m.id(), "id");
        }
        authorize(tx, w, m.resource(), m.id(), current, Access.Level.EDITOR);
        String ns = w.namespace();
        for (Mutation.RelationChange change : m.relations()) {
            Link link = change.link();
            Resource target = schema.resource(link.target());
            List<String> ids = new ArrayList<>();
            change.targets().forEach(t -> ids.add(t.id()));
            if (m.operation() == Operation.MODIFY_RELATION && !link.isManyMany()) {
                throw DatafnException.unsupported("modifyRelation only supported for many-many relations", change.path());
            }
            if (m.operation() == Operation.RELATE) {
                Set<String> found = tx.existing(ns, target, ids);
                if (target.isPrivate()) {
                    found = tx.visible(ns, target, w.actorId(), found); // a record one may not see is not there
                }
                for (String id : ids) {
                    if (!found.contains(id)) {
                        throw notFound(tx, w, target, id, "Related record not found: " + id, change.path());
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
                    tx.update(ns, m.resource(), m.id(), v);
                    record(tx, w, m.resource(), ChangeRow.MERGE, m.id(), v);
                }
                case FK_ON_TARGET -> {
                    for (String t : ids) {
                        ObjectNode v = Json.object();
                        if (m.operation() == Operation.RELATE) {
                            v.put(link.fkField(), m.id());
                        } else if (tx.referencing(ns, target, link.fkField(), m.id(), Integer.MAX_VALUE).contains(t)) {
                            v.putNull(link.fkField());
                        } else {
                            continue;
                        }
                        tx.update(ns, target, t, v);
                        record(tx, w, target, ChangeRow.MERGE, t, v);
                    }
                }
                case JOIN -> {
                    for (Mutation.Target t : change.targets()) {
                        String from = link.forward() ? m.id() : t.id();
                        String to = link.forward() ? t.id() : m.id();
                        Relation rel = link.relation();
                        if (m.operation() == Operation.UNRELATE) {
                            if (tx.deleteJoin(ns, rel, from, to)) {
                                recordJoin(tx, w, rel, ChangeRow.DELETE, from, to, null);
                            }
                            continue;
                        }
                        if (m.operation() == Operation.MODIFY_RELATION && tx.joinRow(ns, rel, from, to) == null) {
                            throw new DatafnException(ErrorCode.NOT_FOUND,
                                    "Relation not found between " + from + " and " + to, change.path());
                        }
                        tx.upsertJoin(ns, rel, from, to, t.metadata());
                        recordJoin(tx, w, rel, ChangeRow.UPSERT, from, to, tx.joinRow(ns, rel, from, to));
                    }
                }
            }
        }
    }

    private static ObjectNode withDefaults(Resource res, ObjectNode record) {
        ObjectNode row = Json.object();
        for (Field f : res.fields()) {
            if (f.hasDefault() && !record.has(f.name())) {
                row.set(f.name(), f.defaultValue().isNull() ? f.defaultValue()
                        : MutationParser.value(f, f.defaultValue(), "record." + f.name()));
            }
        }
        row.setAll(record);
        return row;
    }

    private void stampCreated(Resource res, ObjectNode row, Writer w) {
        long now = clock.millis();
        if (res.has("timestamps")) {
            row.put("createdAt", now);
            row.put("updatedAt", now);
        }
        if (res.has("audit")) {
            row.put("createdBy", w.actorId());
            row.put("updatedBy", w.actorId());
        }
        if (res.sharing() != null) {
            row.put("visibility", res.sharing().defaultVisibility());
        }
    }

    private void stampUpdated(Resource res, ObjectNode row, Writer w) {
        if (res.has("timestamps")) {
            row.put("updatedAt", clock.millis());
        }
        if (res.has("audit")) {
            row.put("updatedBy", w.actorId());
        }
    }

    private static DatafnException conflict(String field) {
        return field.equals("id")
                ? new DatafnException(ErrorCode.CONFLICT, "Record already exists", "id")
                : new DatafnException(ErrorCode.CONFLICT, "Unique field '" + field + "' already holds this value", "record." + field);
    }
}
