package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.mutation.Mutation;
import io.datafn.mutation.MutationParser;
import io.datafn.mutation.MutationResult;
import io.datafn.mutation.MutationService;
import io.datafn.store.ChangeRow;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;
import io.datafn.store.Written;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code POST push} (PROTOCOL.md "Sync", reference-sync.md §4, E2): mutations run one after another in one transaction,
 * each as if behind its own savepoint, so a failed one leaves nothing but its idempotency record while the others
 * commit together with their change rows (one commit, one seq allocation); failures do not stop later mutations.
 * A batch runs optimistically first (no savepoints, writes sent together) and again isolated only when one of its
 * mutations fails (see {@link #push}).
 */
public final class PushService {
    private final MutationParser parser;
    private final MutationService mutations;
    private final Store store;
    private final Limits limits;
    private final PushAttempts attempts;

    public PushService(MutationParser parser, MutationService mutations, Store store, Limits limits, java.time.Clock clock) {
        this.parser = parser;
        this.mutations = mutations;
        this.store = store;
        this.limits = limits;
        this.attempts = new PushAttempts(limits.maxPushAttempts(), clock);
    }

    /** The push result; {@code ok()} is false when any mutation failed (the router answers 400 then). */
    public PushResult push(MutationService.Writer writer, JsonNode body) {
        if (!body.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: push body must be object", "$");
        }
        String clientId = SyncRequests.clientId(body);
        JsonNode list = body.get("mutations");
        if (list == null || !list.isArray()) {
            throw DatafnException.invalid("Invalid DFQL: mutations must be array", "mutations");
        }
        if (list.size() > limits.maxBatchSize()) {
            throw DatafnException.invalid("Batch size " + list.size() + " exceeds limit " + limits.maxBatchSize(), "mutations");
        }
        // only a malformed envelope fails the request; everything wrong with one mutation is that mutation's own
        // error (PROTOCOL.md "Sync", push): a request-level 400 would leave the client's whole queue stuck
        for (int i = 0; i < list.size(); i++) {
            JsonNode own = list.get(i).path("clientId");
            if (clientId != null && own.isTextual() && !own.asText().equals(clientId)) {
                throw DatafnException.invalid("Invalid DFQL: push.mutations[" + i + "].clientId must equal request.clientId",
                        "mutations[" + i + "].clientId");
            }
        }
        List<Object> parsed = new ArrayList<>(); // a Mutation, or the Invalid error of one that did not parse
        for (int i = 0; i < list.size(); i++) {
            try {
                parsed.add(parser.parse(list.get(i), "$"));
            } catch (DatafnException e) {
                parsed.add(new Invalid(list.get(i).path("mutationId").asText(""), relative(e)));
            }
        }

        // one transaction for the batch (one commit, one seq allocation under the counter lock); first optimistically,
        // as if no mutation failed: keys claimed in one statement, no savepoints, inserts and key saves sent together.
        // Any failure voids that attempt (it rolls back whole) and the batch runs again with each mutation behind its
        // own savepoint, where a failed mutation leaves no trace but its idempotency record: the same answers and the
        // same committed state either way, and only a batch with a failure pays twice.
        Written<Outcome> batch;
        try {
            batch = store.writeTracked(writer.namespace(), parsed.size(), tx -> run(tx, writer, parsed, true));
        } catch (Pessimism | StoreTx.Refuted e) {
            batch = store.writeTracked(writer.namespace(), parsed.size(), tx -> run(tx, writer, parsed, false));
        }
        TreeSet<Long> assigned = new TreeSet<>();
        for (ChangeRow c : batch.changes()) {
            assigned.add(c.seq());
        }
        long cursor = assigned.isEmpty() ? store.read(writer.namespace(), tx -> tx.changes().currentSeq()) : assigned.last();
        // the highest seq at or below cursor that this push did not assign: a client whose global cursor equals it
        // has seen every foreign change and may jump to cursor (PROTOCOL.md "Push cursor / cursorBefore / cursors")
        long before = cursor;
        while (before > 0 && assigned.contains(before)) {
            before--;
        }
        return new PushResult(batch.value().applied(), batch.value().errors(), cursor, before);
    }

    /**
     * Runs the batch in {@code tx}. {@code optimistic}: the keys are claimed together and writes deferred
     * ({@link StoreTx#deferWrites}), mutations run without savepoints, and the first failing one throws
     * {@link Pessimism}; else each mutation runs isolated ({@link MutationService#executeIsolated}).
     */
    private Outcome run(StoreTx tx, MutationService.Writer writer, List<Object> parsed, boolean optimistic) {
        if (optimistic) {
            List<StoreTx.Key> keys = new ArrayList<>();
            for (Object item : parsed) {
                if (item instanceof Mutation m && m.keyed()) {
                    keys.add(new StoreTx.Key(m.clientId(), m.mutationId()));
                }
            }
            tx.keys().claimAll(keys);
            tx.deferWrites();
        }
        List<String> applied = new ArrayList<>();
        List<PushResult.Failure> errors = new ArrayList<>();
        Map<String, Mutation> seen = new HashMap<>(); // first occurrence of each key in this batch
        Map<String, Boolean> succeeded = new HashMap<>();
        for (Object item : parsed) {
            if (item instanceof Invalid bad) {
                errors.add(PushResult.Failure.refused(bad.mutationId(), bad.error()));
                continue;
            }
            Mutation m = (Mutation) item;
            if (!m.keyed()) {
                errors.add(PushResult.Failure.refused(m.mutationId() == null ? "" : m.mutationId(),
                        DatafnException.invalid("Invalid DFQL: missing clientId or mutationId", "$")));
                continue;
            }
            String key = m.clientId() + "\u0000" + m.mutationId();
            Mutation first = seen.get(key);
            if (first != null) {
                if (!first.payloadHash().equals(m.payloadHash())) {
                    // the key names another mutation: reporting it applied would silently drop this one
                    errors.add(PushResult.Failure.refused(m.mutationId(), MutationService.payloadMismatch(m)));
                } else if (succeeded.get(key)) {
                    applied.add(m.mutationId()); // an intra-batch duplicate of an applied mutation
                }
                continue;
            }
            MutationResult r = optimistic ? executeOrGiveUp(tx, writer, m)
                    : attempts.bound(tx, writer, m, mutations.executeIsolated(tx, writer, m, MutationService.Policy.PUSH));
            seen.put(key, m);
            succeeded.put(key, r.ok());
            if (r.ok()) {
                applied.add(m.mutationId());
            } else {
                errors.add(new PushResult.Failure(m.mutationId(), r.errors().get(0)));
            }
        }
        return new Outcome(applied, errors);
    }

    /** Runs {@code m} unisolated; a failure (a replayed stored one included) ends the optimistic attempt. */
    private MutationResult executeOrGiveUp(StoreTx tx, MutationService.Writer writer, Mutation m) {
        try {
            return mutations.executeIn(tx, writer, m, MutationService.Policy.PUSH);
        } catch (DatafnException e) {
            throw new Pessimism();
        }
    }

    /** A mutation of the optimistic attempt failed: the attempt rolls back and the batch runs isolated. */
    private static final class Pessimism extends RuntimeException {
        Pessimism() {
            super("a mutation of the optimistic push failed", null, false, false);
        }
    }

    /** A mutation of the batch that failed validation; its path is relative to the mutation. */
    private record Invalid(String mutationId, DatafnException error) {
    }

    /** A path of the parser ({@code $.record.label}, {@code $}) relative to the mutation ({@code record.label}). */
    private static DatafnException relative(DatafnException e) {
        String p = e.path();
        String rel = p.equals("$") ? "$" : p.startsWith("$.") ? p.substring(2) : p;
        return new DatafnException(e.code(), e.getMessage(), rel);
    }

    /** What a batch transaction reports: applied mutation ids and error items. */
    private record Outcome(List<String> applied, List<PushResult.Failure> errors) {
    }
}
