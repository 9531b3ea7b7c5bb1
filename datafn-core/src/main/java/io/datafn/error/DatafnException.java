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
    /** Overrides the code's retry rule when not null (see {@link #retryable()}). */
    private Boolean retryable;

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

    /**
     * Whether a client that queued the mutation that failed with this error should send it again (the error items'
     * {@code retryable}). By default: {@code NOT_FOUND}, {@code INTERNAL}, {@code SERVICE_UNAVAILABLE} (the database
     * was down), and {@code CONFLICT} on {@code id}
     * (an insert of an id another device may be deleting), as the original (reference-sync.md §4.3); a few errors
     * decide otherwise ({@link #withRetryable}).
     */
    public boolean retryable() {
        if (retryable != null) {
            return retryable;
        }
        return code == ErrorCode.NOT_FOUND || code == ErrorCode.INTERNAL || code == ErrorCode.SERVICE_UNAVAILABLE
                || (code == ErrorCode.CONFLICT && "id".equals(path));
    }

    /** The same error with its retry decision fixed. */
    public DatafnException withRetryable(boolean value) {
        DatafnException e = new DatafnException(code, getMessage(), path, status, details, getCause());
        e.retryable = value;
        return e;
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
        DatafnException e = new DatafnException(code, getMessage(), path, status, d, getCause());
        e.retryable = retryable;
        return e;
    }
}
