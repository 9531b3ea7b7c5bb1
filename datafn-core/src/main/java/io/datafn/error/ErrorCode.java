package io.datafn.error;

/**
 * The protocol's error codes with the HTTP status each one carries when it is the top-level error of a response
 * (PROTOCOL.md, "HTTP statuses"). Pull keeps its own quirk (HTTP 200) and does not use {@link #status()}.
 */
public enum ErrorCode {
    DFQL_INVALID(400),
    DFQL_UNKNOWN_RESOURCE(400),
    DFQL_UNKNOWN_FIELD(400),
    DFQL_UNKNOWN_RELATION(400),
    DFQL_UNSUPPORTED(400),
    DFQL_SHARE_SCOPE_INVALID(400),
    DFQL_PRINCIPAL_INVALID(400),
    LIMIT_EXCEEDED(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    NOT_FOUND(404),
    CONFLICT(409),
    RELATION_RESTRICTED(409),
    RATE_LIMITED(429),
    INTERNAL(500),
    SERVICE_UNAVAILABLE(503);

    private final int status;

    ErrorCode(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }
}
