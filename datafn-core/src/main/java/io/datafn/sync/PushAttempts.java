package io.datafn.sync;

import io.datafn.mutation.Mutation;
import io.datafn.mutation.MutationResult;
import io.datafn.mutation.MutationService;
import io.datafn.store.StoreTx;

import java.time.Clock;
import java.util.List;

/**
 * Bounds the retries of a pushed mutation (issue "a queue stuck for ever on NOT_FOUND"): the client sends a mutation
 * again for as long as its error is retryable, and nothing queued behind it is pushed meanwhile. The first
 * {@code max - 1} failures of one {@code (clientId, mutationId)} with a retryable error (a record not there yet, a
 * grant not given yet, an insert's id taken) are answered retryable; the {@code max}-th is answered
 * {@code retryable:false}, stored for idempotency, and kept in the quarantine table for an operator. Database
 * failures ({@code INTERNAL}, {@code SERVICE_UNAVAILABLE}) are never counted: they say nothing about the mutation.
 */
final class PushAttempts {
    private final int max;
    private final Clock clock;

    PushAttempts(int max, Clock clock) {
        this.max = max;
        this.clock = clock;
    }

    /** The result to answer for {@code result} of {@code m}, counted and quarantined inside {@code tx}. */
    MutationResult bound(StoreTx tx, MutationService.Writer w, Mutation m, MutationResult result) {
        if (result.ok() || !result.retryable() || !m.keyed()) {
            return result;
        }
        MutationResult.Error e = result.errors().get(0);
        if (e.code().equals("INTERNAL") || e.code().equals("SERVICE_UNAVAILABLE")) {
            return result;
        }
        long now = clock.millis();
        int n = tx.keys().countAttempt(m.clientId(), m.mutationId(),
                new StoreTx.Quarantined(w.namespace(), m.clientId(), m.mutationId(), m.payloadHash(), e.code(),
                        e.message(), 0, now, now));
        if (n < max) {
            return result;
        }
        tx.keys().quarantine(m.clientId(), m.mutationId());
        MutationResult given = new MutationResult(false, result.mutationId(), List.of(),
                List.of(new MutationResult.Error(e.code(), e.message() + " (given up after " + n + " attempts)", e.path(),
                        false)), false);
        tx.keys().claim(m.clientId(), m.mutationId()); // claims the key for the record below
        tx.keys().save(m.clientId(), m.mutationId(),
                new StoreTx.StoredMutation(m.payloadHash(), given.toJson()));
        return given;
    }
}
