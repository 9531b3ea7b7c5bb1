package io.datafn.router;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;

import java.time.Clock;
import java.util.function.Supplier;

/**
 * Where the rate limiter's Bucket4j token buckets live (the README's {@code dbMapping.ratelimiting}): in this process
 * ({@link #inMemory}, every node counts on its own) or shared by every node ({@code RedisRateLimitBuckets} of
 * {@code datafn-redis}).
 */
public interface RateLimitBuckets extends AutoCloseable {
    /** The bucket of {@code key}, created with {@code config} when it does not exist yet. */
    Bucket bucket(String key, Supplier<BucketConfiguration> config);

    /** Releases what the buckets hold (a Redis connection); idempotent. */
    @Override
    default void close() {
    }

    /** Buckets in a map of this process, timed by {@code clock}. */
    static RateLimitBuckets inMemory(Clock clock) {
        return new MemoryBuckets(clock);
    }
}
