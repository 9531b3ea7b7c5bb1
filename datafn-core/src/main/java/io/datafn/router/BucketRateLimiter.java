package io.datafn.router;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rate limiter on Bucket4j: one token bucket per action and key, holding {@code maxRequests} tokens and refilled
 * to full once per window (the original's fixed window, started by the bucket's first request). Where the buckets live
 * is {@link RateLimitBuckets}'s choice. When the bucket store fails (Redis down), requests pass and a WARN says so at
 * most once a minute: a limiter outage must not become a service outage.
 */
public final class BucketRateLimiter implements RateLimiter {
    private static final Logger log = LoggerFactory.getLogger(BucketRateLimiter.class);
    private final RateLimits limits;
    private final RateLimitBuckets buckets;
    private final ConcurrentHashMap<String, BucketConfiguration> configs = new ConcurrentHashMap<>();
    private final AtomicLong lastWarning = new AtomicLong();

    public BucketRateLimiter(RateLimits limits, RateLimitBuckets buckets) {
        this.limits = java.util.Objects.requireNonNull(limits, "rateLimit");
        this.buckets = java.util.Objects.requireNonNull(buckets, "rateLimit buckets");
    }

    @Override
    public long acquire(String action, String key) {
        ConsumptionProbe probe;
        try {
            probe = buckets.bucket("ratelimit:" + action + ":" + key, () -> configs.computeIfAbsent(action, this::config))
                    .tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            long now = System.currentTimeMillis();
            long last = lastWarning.get();
            if (now - last > 60_000 && lastWarning.compareAndSet(last, now)) {
                log.warn("rate limit: bucket store failed, letting requests pass: {}", e.toString());
            }
            return 0;
        }
        if (probe.isConsumed()) {
            return 0;
        }
        return Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
    }

    private BucketConfiguration config(String action) {
        RateLimits.Limit l = limits.limit(action);
        return BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(l.maxRequests()).refillIntervally(l.maxRequests(), l.window()).build())
                .build();
    }

    @Override
    public void close() {
        buckets.close();
    }
}
