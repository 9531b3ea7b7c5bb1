package io.datafn.mutation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The MutationResult of the wire: {@code {ok, mutationId, affectedIds, errors[{code,message,path,retryable}], deduped}}. */
public record MutationResult(boolean ok, String mutationId, List<String> affectedIds, List<Error> errors,
                             boolean deduped) {
    public MutationResult {
        affectedIds = List.copyOf(affectedIds);
        errors = List.copyOf(errors);
    }

    /**
     * One error item {@code {code, message, path, retryable}}: of a MutationResult, and (with its {@code mutationId})
     * of a push result.
     */
    public record Error(String code, String message, String path, boolean retryable) {
        public Error {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(path, "path");
        }

        public static Error of(DatafnException e, boolean retryable) {
            return new Error(e.code().name(), e.getMessage(), e.path(), retryable);
        }

        /** The error without its retry decision, as transact's step {@code error} and push's envelope carry it. */
        public ErrorItem item() {
            return ErrorItem.at(code, message, path);
        }

        public ObjectNode toJson() {
            return item().toFlatJson().put("retryable", retryable);
        }
    }

    public static MutationResult success(String mutationId, String id) {
        return new MutationResult(true, mutationId, List.of(id), List.of(), false);
    }

    /** The result of a failure; for a {@link Replayed} stored failure, the stored result with {@code deduped:true}. */
    public static MutationResult failure(String mutationId, DatafnException e) {
        if (e instanceof Replayed replayed) {
            return replayed.stored;
        }
        return new MutationResult(false, mutationId, List.of(), List.of(Error.of(e, e.retryable())), false);
    }

    /** A stored failure that a replay executes again instead of returning. */
    public boolean retryable() {
        return errors.stream().anyMatch(Error::retryable);
    }

    public MutationResult asDeduped() {
        return new MutationResult(ok, mutationId, affectedIds, errors, true);
    }

    /** The first error as an exception, for the single-mutation route (top-level envelope). */
    public DatafnException firstError() {
        Error e = errors.get(0);
        return new DatafnException(ErrorCode.valueOf(e.code()), e.message(), e.path()).withRetryable(e.retryable());
    }

    /**
     * A stored failure returned on replay (PROTOCOL.md "Idempotency"): thrown like the original failure, so that the
     * caller's transaction or transact step fails as it did, and carrying the stored result ({@code deduped:true}) for
     * the answer ({@link #failure}).
     */
    public static final class Replayed extends DatafnException {
        private final transient MutationResult stored;

        public Replayed(MutationResult stored) {
            this(stored.asDeduped(), stored.firstError());
        }

        private Replayed(MutationResult stored, DatafnException e) {
            super(e.code(), e.getMessage(), e.path(), e.status(), e.details(), null);
            this.stored = stored;
        }

        @Override
        public boolean retryable() {
            return stored.retryable(); // only failures stored as not retryable are replayed
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("ok", ok);
        n.put("mutationId", mutationId);
        ArrayNode ids = n.putArray("affectedIds");
        affectedIds.forEach(ids::add);
        ArrayNode errs = n.putArray("errors");
        errors.forEach(e -> errs.add(e.toJson()));
        n.put("deduped", deduped);
        return n;
    }

    public static MutationResult fromJson(JsonNode n) {
        List<String> ids = new ArrayList<>();
        n.path("affectedIds").forEach(i -> ids.add(i.asText()));
        List<Error> errs = new ArrayList<>();
        n.path("errors").forEach(e -> errs.add(new Error(e.path("code").asText(), e.path("message").asText(),
                e.path("path").asText(), e.path("retryable").asBoolean())));
        return new MutationResult(n.path("ok").asBoolean(), n.path("mutationId").asText(), ids, errs, n.path("deduped").asBoolean());
    }
}
