package io.datafn.observe;

import java.util.Objects;

/**
 * One answered request, as the router saw it.
 *
 * @param requestId the request id, also sent as {@code X-Request-Id}
 * @param method    the HTTP method
 * @param route     the matched route's path below the base path ({@code query}, {@code resources/*}), or
 *                  {@link #UNMATCHED} when no route matched (404, 503 while shutting down)
 * @param action    the route's action ({@code query}, {@code mutation}, ...), or {@link #UNMATCHED}
 * @param namespace the caller's namespace, or null when it was not resolved (status, or refused before)
 * @param status    the HTTP status sent
 * @param nanos     from the request reaching the router to its answer being complete (body written when streamed)
 */
public record RequestEvent(String requestId, String method, String route, String action, String namespace, int status,
                           long nanos) {
    /** The route and action of a request no route matched. */
    public static final String UNMATCHED = "unmatched";

    public RequestEvent {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(action, "action");
        if (status < 100 || status > 599 || nanos < 0) {
            throw new IllegalArgumentException("request event needs a status 100..599 and nanos >= 0, got " + status
                    + " and " + nanos);
        }
    }

    /** Whole milliseconds, as the access log prints them. */
    public long millis() {
        return nanos / 1_000_000;
    }
}
