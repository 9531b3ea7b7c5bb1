package io.datafn.router;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
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
        return new InMemory(clock);
    }

    /** Buckets on the heap. A full bucket has been idle a whole window and is forgotten when the map grows large. */
    final class InMemory implements RateLimitBuckets {
        private static final int MAX_KEYS = 100_000;
        private final ConcurrentHashMap<String, LocalBucket> buckets = new ConcurrentHashMap<>();
        private final TimeMeter time;

        private InMemory(Clock clock) {
            this.time = new TimeMeter() {
                @Override
                public long currentTimeNanos() {
                    return clock.millis() * 1_000_000L;
                }

                @Override
                public boolean isWallClockBased() {
                    return true;
                }
            };
        }

        @Override
        public Bucket bucket(String key, Supplier<BucketConfiguration> config) {
            if (buckets.size() > MAX_KEYS) {
                buckets.values().removeIf(b -> b.getAvailableTokens() >= b.getConfiguration().getBandwidths()[0].getCapacity());
            }
            return buckets.computeIfAbsent(key, k -> {
                var builder = Bucket.builder().withCustomTimePrecision(time);
                for (var bandwidth : config.get().getBandwidths()) {
                    builder.addLimit(bandwidth);
                }
                return builder.build();
            });
        }
    }
}
