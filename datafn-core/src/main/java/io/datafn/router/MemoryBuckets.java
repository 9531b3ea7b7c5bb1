package io.datafn.router;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;

import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@link RateLimitBuckets#inMemory}: Bucket4j local buckets in a map, timed by the server's clock. A full bucket has
 * been idle a whole window; when the map holds more than {@value #MAX_KEYS} keys such buckets are forgotten, at most
 * once a second so that a map of busy keys is not scanned on every request.
 */
final class MemoryBuckets implements RateLimitBuckets {
    private static final int MAX_KEYS = 100_000;
    private final ConcurrentHashMap<String, LocalBucket> buckets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final TimeMeter time;
    private final AtomicLong lastSweep = new AtomicLong();

    MemoryBuckets(Clock clock) {
        this.clock = clock;
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
        long now = clock.millis();
        long last = lastSweep.get();
        if (buckets.size() > MAX_KEYS && now - last >= 1000 && lastSweep.compareAndSet(last, now)) {
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
