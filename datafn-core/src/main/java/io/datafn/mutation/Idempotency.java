package io.datafn.mutation;

import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.mutation.MutationService.Writer;
import io.datafn.store.StoreTx;
import io.datafn.store.StoreTx.StoredMutation;

/**
 * Idempotency of keyed mutations (PROTOCOL.md "Decisions on details → Idempotency"): the key
 * {@code (namespace, clientId, mutationId)} is claimed in the transaction that applies the mutation; a stored success
 * or non-retryable failure is answered again ({@code deduped:true}) when the payload is the same, a {@code CONFLICT} at
 * {@code mutationId} when it is not; a stored retryable failure is executed again and replaced.
 */
final class Idempotency {
    private Idempotency() {
    }

    /**
     * The stored answer for {@code m} (deduped), or null when it must run. A stored failure is thrown as
     * {@link MutationResult.Replayed}, so that a caller's transaction or transact step fails as it did.
     */
    static MutationResult replay(StoreTx tx, Writer w, Mutation m) {
        if (!m.keyed()) {
            return null;
        }
        StoredMutation stored = tx.keys().claim(m.clientId(), m.mutationId());
        if (stored == null) {
            return null;
        }
        MutationResult prev = MutationResult.fromJson(stored.result());
        if (prev.retryable()) {
            return null;
        }
        if (!stored.payload().equals(m.payloadHash())) {
            throw payloadMismatch(m);
        }
        if (!prev.ok()) {
            throw new MutationResult.Replayed(prev);
        }
        return prev.asDeduped();
    }

    /** A replay of an idempotency key with another payload: not retryable. */
    static DatafnException payloadMismatch(Mutation m) {
        return new DatafnException(ErrorCode.CONFLICT, "mutationId " + m.mutationId()
                + " was already used by client " + m.clientId() + " with a different payload", "mutationId");
    }

    static void save(StoreTx tx, Writer w, Mutation m, MutationResult result) {
        tx.keys().save(m.clientId(), m.mutationId(), new StoredMutation(m.payloadHash(), result.toJson()));
    }

    /** Whether a failure is kept for replays: keyed, not retryable, and not itself a replay. */
    static boolean keepsFailure(Mutation m, MutationResult failed) {
        return m.keyed() && !failed.retryable() && !failed.deduped();
    }

    /**
     * Stores a failure (after its own work was rolled back) unless the key already holds a result that is not
     * retryable: a stored success is never overwritten by a later failure.
     */
    static void saveFailure(StoreTx tx, Writer w, Mutation m, MutationResult failed) {
        StoredMutation prev = tx.keys().claim(m.clientId(), m.mutationId());
        if (prev == null || MutationResult.fromJson(prev.result()).retryable()) {
            save(tx, w, m, failed);
        }
    }
}
