package io.datafn.router;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Bucket4j limiter with in-memory buckets on a clock the test moves: fixed windows per action and key. */
class BucketRateLimiterTest {
    /** A clock the test sets. */
    static final class TestClock extends Clock {
        long millis = 1_000_000;

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    final TestClock clock = new TestClock();

    @Test
    void fullWindow_refusesWithTheSecondsUntilItRefills_thenRefillsWhole() {
        BucketRateLimiter l = new BucketRateLimiter(RateLimits.of(2, Duration.ofSeconds(10)), RateLimitBuckets.inMemory(clock));
        assertThat(l.acquire("query", "ns")).isZero();
        clock.millis += 2_500;
        assertThat(l.acquire("query", "ns")).isZero();
        assertThat(l.acquire("query", "ns")).as("10 s window started 2.5 s ago: 7.5 s rounded up").isEqualTo(8);
        assertThat(l.acquire("query", "other")).as("per key").isZero();
        assertThat(l.acquire("mutation", "ns")).as("per action").isZero();
        clock.millis += 7_499;
        assertThat(l.acquire("query", "ns")).as("at least one second").isEqualTo(1);
        clock.millis += 1;
        assertThat(l.acquire("query", "ns")).isZero();
        assertThat(l.acquire("query", "ns")).isZero();
        assertThat(l.acquire("query", "ns")).isEqualTo(10);
    }

    @Test
    void actionOverride_hasItsOwnLimitAndWindow() {
        RateLimits limits = RateLimits.of(100, Duration.ofSeconds(60)).withAction("push", new RateLimits.Limit(1, Duration.ofSeconds(5)));
        BucketRateLimiter l = new BucketRateLimiter(limits, RateLimitBuckets.inMemory(clock));
        assertThat(l.acquire("push", "ns")).isZero();
        assertThat(l.acquire("push", "ns")).isEqualTo(5);
        assertThat(l.acquire("pull", "ns")).isZero();
        assertThat(limits.limit("pull")).isEqualTo(new RateLimits.Limit(100, Duration.ofSeconds(60)));
    }

    @Test
    void aFailingBucketStore_letsRequestsPass() {
        RateLimitBuckets broken = (key, config) -> {
            throw new IllegalStateException("redis down");
        };
        assertThat(new BucketRateLimiter(RateLimits.of(1, Duration.ofSeconds(1)), broken).acquire("query", "ns")).isZero();
    }

    @Test
    void limits_checkTheirRanges() {
        assertThatThrownBy(() -> new RateLimits.Limit(0, Duration.ofSeconds(1))).hasMessageContaining("maxRequests must be 1 .. 1000000000, got 0");
        assertThatThrownBy(() -> new RateLimits.Limit(1, Duration.ofMillis(500))).hasMessageContaining("window must be 1 second .. 1 day");
        assertThat(RateLimits.Limit.parse(" 7 / 30 ", Duration.ofSeconds(60))).isEqualTo(new RateLimits.Limit(7, Duration.ofSeconds(30)));
        assertThatThrownBy(() -> RateLimits.Limit.parse("7/30/1", Duration.ofSeconds(60))).hasMessageContaining("got '7/30/1'");
    }
}
