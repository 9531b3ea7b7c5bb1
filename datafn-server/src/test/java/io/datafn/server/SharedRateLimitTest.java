package io.datafn.server;

import io.datafn.redis.RedisRateLimitBuckets;
import io.datafn.router.RateLimits;
import io.datafn.testing.TestServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ratelimiting: redis}: two nodes on one database share each namespace's budget through Bucket4j buckets in
 * Redis, per action, with per-action overrides; the in-memory default counts per node.
 */
class SharedRateLimitTest {
    TestServer a;
    TestServer b;

    @AfterEach
    void stop() {
        for (TestServer s : new TestServer[]{a, b}) {
            if (s != null) {
                s.close();
            }
        }
    }

    /** Two nodes on one SQLite database; a namespace of its own per run, so buckets of earlier runs never count. */
    private void start(boolean redis, RateLimits limits) {
        String ns = "rl-" + UUID.randomUUID();
        a = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, x -> node(x.namespaceProvider(ctx -> ns), redis, limits));
        b = TestServer.startOn(a.jdbcUrl, Fixtures.F1_SCHEMA, x -> node(x.namespaceProvider(ctx -> ns), redis, limits));
    }

    private static io.datafn.DatafnServer.Builder node(io.datafn.DatafnServer.Builder x, boolean redis, RateLimits limits) {
        x.rateLimit(limits);
        return redis ? x.rateLimitBuckets(new RedisRateLimitBuckets(TestServices.REDIS_URI)) : x;
    }

    private static int query(TestServer s) {
        return s.post("query", "{\"resource\":\"task\"}").status();
    }

    @Test
    void redisBuckets_twoNodesShareOneBudgetPerActionAndNamespace() {
        TestServices.assumeRedis();
        start(true, RateLimits.of(3, Duration.ofSeconds(60)).withAction("mutation", new RateLimits.Limit(1, Duration.ofSeconds(30))));
        assertThat(query(a)).isEqualTo(200);
        assertThat(query(b)).isEqualTo(200);
        assertThat(query(a)).isEqualTo(200);
        TestServer.Reply r = b.post("query", "{\"resource\":\"task\"}");
        assertThat(r.status()).as("the fourth query of the namespace, on either node").isEqualTo(429);
        assertThat(r.code()).isEqualTo("RATE_LIMITED");
        assertThat(r.path()).isEqualTo("$");
        assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(59L, 60L);
        assertThat(query(a)).isEqualTo(429);

        String insert = "{\"resource\":\"tag\",\"operation\":\"insert\",\"record\":{\"label\":\"x\"}}";
        assertThat(a.post("mutation", insert).status()).as("another action has its own budget").isEqualTo(200);
        TestServer.Reply m = b.post("mutation", insert);
        assertThat(m.status()).as("the override: one mutation per 30 s").isEqualTo(429);
        assertThat(Long.parseLong(m.header("Retry-After"))).isBetween(29L, 30L);
    }

    @Test
    void redisDown_requestsPass_andTheLimitHoldsAgainOnceItIsBack() throws Exception {
        TestServices.assumeRedis();
        int redisPort = java.net.URI.create(TestServices.REDIS_URI).getPort();
        try (TcpProxy proxy = new TcpProxy(redisPort == -1 ? 6379 : redisPort)) {
            proxy.up();
            String ns = "rl-" + UUID.randomUUID();
            a = TestServer.start(TestDb.SQLITE, Fixtures.F1_SCHEMA, x -> x.namespaceProvider(ctx -> ns)
                    .rateLimit(1, Duration.ofSeconds(60)).rateLimitBuckets(new RedisRateLimitBuckets("redis://127.0.0.1:" + proxy.port())));
            assertThat(query(a)).isEqualTo(200);
            assertThat(query(a)).isEqualTo(429);
            proxy.down();
            long start = System.nanoTime();
            assertThat(query(a)).as("the limiter's outage is not the service's").isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            proxy.up();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status;
            do { // Lettuce reconnects by itself
                status = query(a);
            } while (status == 200 && System.nanoTime() < deadline && sleep());
            assertThat(status).as("the bucket in Redis still holds its spent token").isEqualTo(429);
        }
    }

    private static boolean sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    @Test
    void memoryBuckets_eachNodeCountsOnItsOwn() {
        start(false, RateLimits.of(2, Duration.ofSeconds(60)));
        assertThat(query(a)).isEqualTo(200);
        assertThat(query(a)).isEqualTo(200);
        assertThat(query(a)).isEqualTo(429);
        assertThat(query(b)).as("node b has its own buckets").isEqualTo(200);
    }
}
