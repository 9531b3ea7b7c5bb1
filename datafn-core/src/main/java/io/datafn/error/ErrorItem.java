package io.datafn.error;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One error as the wire carries it. Every error object of a response is written from one of these, in one of the two
 * forms the protocol has:
 * <ul>
 * <li>{@link #toJson()}, the envelope form {@code {code, message, details:{path, ...details}}}: the top-level
 * {@code error} of every failed response, push's 400 form, pull's in-result error; without {@code details} when the
 * error has no path (503 while shutting down, transact's {@code TRANSACTION_ROLLED_BACK});</li>
 * <li>{@link #toFlatJson()}, the in-result form {@code {code, message, path}}: transact's failed steps and, with
 * {@code retryable}, the error items of a MutationResult ({@link io.datafn.mutation.MutationResult.Error}).</li>
 * </ul>
 *
 * @param message what went wrong (null only when a hook threw a {@link DatafnException} without a message)
 * @param path    where the error is, or null when it has none (then {@code details} is empty)
 * @param details further {@code details} keys beside {@code path} (e.g. {@code max}), in order; a {@code path} key
 *                among them is written over the path, as a {@link DatafnException}'s details always were
 */
public record ErrorItem(String code, String message, String path, Map<String, Object> details) {
    public ErrorItem {
        Objects.requireNonNull(code, "code");
        details = details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
        if (path == null && !details.isEmpty()) {
            throw new IllegalArgumentException("an error without a path has no details, got " + details.keySet());
        }
    }

    /** An error at {@code path} with no further details. */
    public static ErrorItem at(String code, String message, String path) {
        return new ErrorItem(code, message, Objects.requireNonNull(path, "path"), Map.of());
    }

    /** An error that names no place: {@code {code, message}}. */
    public static ErrorItem bare(String code, String message) {
        return new ErrorItem(code, message, null, Map.of());
    }

    /** The error of an exception, with its path and details. */
    public static ErrorItem of(DatafnException e) {
        return new ErrorItem(e.code().name(), e.getMessage(), e.path(), e.details());
    }

    /** The same error with its path only (pull's in-result error carries no further details). */
    public ErrorItem withoutDetails() {
        return new ErrorItem(code, message, path, Map.of());
    }

    /** The envelope form {@code {code, message, details:{path, ...}}}, or {@code {code, message}} without a path. */
    public ObjectNode toJson() {
        ObjectNode err = Json.object();
        err.put("code", code);
        err.put("message", message);
        if (path != null) {
            ObjectNode d = err.putObject("details");
            d.put("path", path);
            details.forEach((k, v) -> d.set(k, Json.MAPPER.valueToTree(v)));
        }
        return err;
    }

    /** The in-result form {@code {code, message, path}} (details are not part of it). */
    public ObjectNode toFlatJson() {
        if (path == null) {
            throw new IllegalStateException("the in-result form needs a path: " + code);
        }
        ObjectNode err = Json.object();
        err.put("code", code);
        err.put("message", message);
        err.put("path", path);
        return err;
    }
}
