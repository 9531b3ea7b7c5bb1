package io.datafn.router;

/**
 * Decides whether a request may proceed (PROTOCOL.md pipeline: 429 {@code RATE_LIMITED} with {@code Retry-After}).
 * Keys are {@code <action>:<namespace>} ({@code anonymous} when the namespace is unknown).
 */
public interface RateLimiter {
    /** True when the request identified by {@code key} is within the limit; counts it. */
    boolean tryAcquire(String key);

    /** Seconds a refused client should wait, sent as {@code Retry-After}. */
    long retryAfterSeconds();
}
