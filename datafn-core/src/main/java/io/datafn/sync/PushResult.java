package io.datafn.sync;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;
import io.datafn.mutation.MutationResult;

import java.util.List;
import java.util.Objects;

/**
 * The answer to {@code POST push}: {@code {ok, applied, errors[{mutationId, code, message, path, retryable}], cursor,
 * cursorBefore}} (cursors as decimal strings). {@link #ok()} is false when any mutation failed; the router then
 * answers 400 with this result and {@link #firstError()} as the envelope's error (E2).
 *
 * @param applied      the ids of the mutations applied (or found applied), in batch order
 * @param errors       one item per failed mutation, in batch order
 * @param cursor       the highest seq this push assigned, or the namespace's current seq when it assigned none
 * @param cursorBefore the highest seq at or below {@code cursor} that this push did not assign
 */
public record PushResult(List<String> applied, List<Failure> errors, long cursor, long cursorBefore) {
    public PushResult {
        applied = List.copyOf(applied);
        errors = List.copyOf(errors);
        if (cursorBefore < 0 || cursorBefore > cursor) {
            throw new IllegalArgumentException("need 0 <= cursorBefore <= cursor, got " + cursorBefore + " and " + cursor);
        }
    }

    /** A failed mutation of the batch: its id ({@code ""} when it had none) and its error item. */
    public record Failure(String mutationId, MutationResult.Error error) {
        public Failure {
            Objects.requireNonNull(mutationId, "mutationId");
            Objects.requireNonNull(error, "error");
        }

        /** A mutation refused by the batch's own checks (did not parse, no key, key reused): never retryable. */
        public static Failure refused(String mutationId, DatafnException e) {
            return new Failure(mutationId, MutationResult.Error.of(e, false));
        }

        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("mutationId", mutationId);
            n.setAll(error.toJson());
            return n;
        }
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    /** The first failed mutation's error, for clients that only read the envelope; only when not {@link #ok()}. */
    public ErrorItem firstError() {
        if (errors.isEmpty()) {
            throw new IllegalStateException("a push that failed nothing has no first error");
        }
        return errors.get(0).error().item();
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("ok", ok());
        ArrayNode a = n.putArray("applied");
        applied.forEach(a::add);
        ArrayNode e = n.putArray("errors");
        errors.forEach(f -> e.add(f.toJson()));
        n.put("cursor", Long.toString(cursor));
        n.put("cursorBefore", Long.toString(cursorBefore));
        return n;
    }
}
