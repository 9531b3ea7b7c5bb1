package io.datafn.redis;

import io.datafn.testing.TestServices;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** serverSeq from the real Redis ({@code INCRBY serverSeq:<ns>}); mandatory when {@code CI=true}. */
class RedisSequenceStoreTest {
    RedisSequenceStore seqs;
    String ns;

    @BeforeEach
    void connect() {
        TestServices.assumeRedis();
        seqs = new RedisSequenceStore(TestServices.REDIS_URI);
        ns = "seqtest-" + UUID.randomUUID();
    }

    @AfterEach
    void cleanUp() {
        if (seqs == null) {
            return;
        }
        seqs.close();
        RedisClient client = RedisClient.create(TestServices.REDIS_URI);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().del(RedisSequenceStore.key(ns), RedisSequenceStore.key(ns + "-other"));
        } finally {
            client.shutdown();
        }
    }

    @Test
    void reserve_returnsTheHighestOfConsecutiveValues_perNamespace() {
        assertThat(seqs.current(ns)).isZero();
        assertThat(seqs.reserve(ns, 3)).isEqualTo(3);
        assertThat(seqs.reserve(ns, 1)).isEqualTo(4);
        assertThat(seqs.current(ns)).isEqualTo(4);
        assertThat(seqs.reserve(ns + "-other", 2)).isEqualTo(2);
        assertThat(RedisSequenceStore.key(ns)).isEqualTo("serverSeq:" + ns);
    }

    @Test
    void ensureAtLeast_raisesButNeverLowers() {
        seqs.ensureAtLeast(ns, 10);
        assertThat(seqs.current(ns)).isEqualTo(10);
        seqs.ensureAtLeast(ns, 5);
        assertThat(seqs.current(ns)).isEqualTo(10);
        assertThat(seqs.reserve(ns, 1)).isEqualTo(11);
    }

    @Test
    void counts_areOneTo1000() {
        assertThatThrownBy(() -> seqs.reserve(ns, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> seqs.reserve(ns, 1001)).isInstanceOf(IllegalArgumentException.class);
        assertThat(seqs.reserve(ns, 1000)).isEqualTo(1000);
    }

    @Test
    void healthy_whileConnected() {
        assertThat(seqs.healthy()).isTrue();
        assertThat(seqs.name()).isEqualTo("redis");
    }
}
