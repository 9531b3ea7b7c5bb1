package io.datafn.redis;

import io.datafn.testing.TestServices;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster bus over the real Redis pub/sub: every node hears every node's commits, its own included. */
class RedisBusTest {
    RedisBus nodeA;
    RedisBus nodeB;
    String ns;
    final BlockingQueue<String> heardByA = new LinkedBlockingQueue<>();
    final BlockingQueue<String> heardByB = new LinkedBlockingQueue<>();

    @BeforeEach
    void connect() {
        TestServices.assumeRedis();
        ns = "bustest-" + UUID.randomUUID();
        nodeA = new RedisBus(TestServices.REDIS_URI);
        nodeB = new RedisBus(TestServices.REDIS_URI);
        // other tests may publish on the same channel at the same time: keep only this test's namespace
        nodeA.subscribe((n, seq) -> {
            if (n.startsWith(ns)) {
                heardByA.add(n + "@" + seq);
            }
        });
        nodeB.subscribe((n, seq) -> {
            if (n.startsWith(ns)) {
                heardByB.add(n + "@" + seq);
            }
        });
    }

    @AfterEach
    void close() {
        if (nodeA != null) {
            nodeA.close();
            nodeB.close();
        }
    }

    private static String next(BlockingQueue<String> q) throws InterruptedException {
        String v = q.poll(5, TimeUnit.SECONDS);
        assertThat(v).as("a message within 5 s").isNotNull();
        return v;
    }

    @Test
    void healthy_whileRedisAnswersPing_notOnceClosed() {
        assertThat(nodeA.healthy()).isTrue();
        RedisBus closed = new RedisBus(TestServices.REDIS_URI);
        closed.close();
        assertThat(closed.healthy()).isFalse();
    }

    @Test
    void aCommitOnOneNode_reachesEveryNode() throws Exception {
        nodeA.publish(ns, 7);
        assertThat(next(heardByA)).isEqualTo(ns + "@7");
        assertThat(next(heardByB)).isEqualTo(ns + "@7");
        nodeB.publish(ns + " with spaces", 8);
        assertThat(next(heardByA)).isEqualTo(ns + " with spaces@8");
    }

    @Test
    void malformedMessages_areDropped_andAFailingListenerDoesNotStopTheOthers() throws Exception {
        nodeA.subscribe((n, seq) -> {
            throw new IllegalStateException("a broken listener");
        });
        RedisClient client = RedisClient.create(TestServices.REDIS_URI);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            for (String bad : List.of("no-space", "x " + ns)) {
                c.sync().publish(RedisBus.CHANNEL, bad);
            }
        } finally {
            client.shutdown();
        }
        nodeB.publish(ns, 9);
        assertThat(next(heardByA)).isEqualTo(ns + "@9");
        assertThat(next(heardByB)).isEqualTo(ns + "@9");
        assertThat(heardByA).isEmpty();
    }
}
