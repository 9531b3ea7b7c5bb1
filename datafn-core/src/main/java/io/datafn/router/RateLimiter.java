package io.datafn.router;

/**
 * Decides whether a request may proceed (PROTOCOL.md pipeline: 429 {@code RATE_LIMITED} with {@code Retry-After}).
 * The router asks once per request, before the body is read, with the route's action and the caller's key (the
 * namespace, {@code anonymous} when the namespace provider refuses the caller).
 */
public interface RateLimiter extends AutoCloseable {
    /**
     * Counts one request of {@code action} by {@code key}.
     *
     * @return 0 when the request is within the limit, else the whole seconds (at least 1) until it would be, sent as
     *         {@code Retry-After}
     */
    long acquire(String action, String key);

    /** Releases what the limiter holds (a Redis connection); idempotent. */
    @Override
    default void close() {
    }
}
