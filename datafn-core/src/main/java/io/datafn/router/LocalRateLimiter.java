package io.datafn.router;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process fixed-window limiter: at most {@code maxRequests} per key per window. Each server node counts on its
 * own; use a shared (Redis) limiter for a cluster-wide limit.
 */
public final class LocalRateLimiter implements RateLimiter {
    private final int maxRequests;
    private final long windowMillis;
    private final Clock clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private record Window(long start, AtomicInteger count) {
    }

    public LocalRateLimiter(int maxRequests, long windowSeconds, Clock clock) {
        if (maxRequests < 1) {
            throw new IllegalArgumentException("rateLimit.maxRequests must be at least 1, got " + maxRequests);
        }
        if (windowSeconds < 1) {
            throw new IllegalArgumentException("rateLimit.windowSeconds must be at least 1, got " + windowSeconds);
        }
        this.maxRequests = maxRequests;
        this.windowMillis = windowSeconds * 1000;
        this.clock = clock;
    }

    @Override
    public boolean tryAcquire(String key) {
        long now = clock.millis();
        long start = now - now % windowMillis;
        Window w = windows.compute(key, (k, old) -> old == null || old.start() != start ? new Window(start, new AtomicInteger()) : old);
        if (windows.size() > 100_000) {
            windows.entrySet().removeIf(e -> e.getValue().start() != start); // forget keys of past windows
        }
        return w.count().incrementAndGet() <= maxRequests;
    }

    @Override
    public long retryAfterSeconds() {
        return windowMillis / 1000;
    }
}
