package io.datafn.error;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one unchecked error root. Everything a client may see travels as a {@code DatafnException}; the router turns it
 * into the error envelope {@code {ok:false,error:{code,message,details:{path,...}}}} in exactly one place.
 */
public class DatafnException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final String path;
    private final int status;
    private final Map<String, Object> details;

    public DatafnException(ErrorCode code, String message, String path) {
        this(code, message, path, code.status(), Map.of(), null);
    }

    public DatafnException(ErrorCode code, String message, String path, int status, Map<String, Object> details,
                           Throwable cause) {
        super(message, cause);
        this.code = code;
        this.path = path == null ? "$" : path;
        this.status = status;
        this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    public static DatafnException invalid(String message, String path) {
        return new DatafnException(ErrorCode.DFQL_INVALID, message, path);
    }

    public static DatafnException unknownField(String message, String path) {
        return new DatafnException(ErrorCode.DFQL_UNKNOWN_FIELD, message, path);
    }

    public static DatafnException unsupported(String message, String path) {
        return new DatafnException(ErrorCode.DFQL_UNSUPPORTED, message, path);
    }

    public static DatafnException limit(String message, String path) {
        return new DatafnException(ErrorCode.LIMIT_EXCEEDED, message, path);
    }

    public ErrorCode code() {
        return code;
    }

    public String path() {
        return path;
    }

    public int status() {
        return status;
    }

    /** Extra {@code details} keys beside {@code path} (e.g. {@code max}, {@code index}). */
    public Map<String, Object> details() {
        return details;
    }

    /** The same error with one more details entry (e.g. {@code index} of a batch item). */
    public DatafnException withDetail(String key, Object value) {
        Map<String, Object> d = new LinkedHashMap<>(details);
        d.put(key, value);
        return new DatafnException(code, getMessage(), path, status, d, getCause());
    }

    /** The same error with its path prefixed, e.g. {@code steps[2].} for a transact step. */
    public DatafnException withPathPrefix(String prefix) {
        return new DatafnException(code, getMessage(), prefix + path, status, details, getCause());
    }
}
