package io.datafn.server;

import io.datafn.redis.RedisBus;
import io.datafn.redis.RedisSequenceStore;
import io.datafn.store.KvSequenceStore;
import io.datafn.store.SequenceStore;
import io.datafn.testing.TestServices;
import io.datafn.testing.WsClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sequence stores (PROTOCOL.md "Sequence stores"): Redis and a KV adapter as primaries; the database counter keeps the
 * high-water mark, serves while the primary fails, and a fail-back never repeats a seq.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class SequenceStoreTest {
    static final String REDIS = TestServices.REDIS_URI;

    @Parameter
    TestDb db;

    TestServer s;
    TestServer other;
    String ns;

    @BeforeEach
    void namespace() {
        ns = "seqtest-" + UUID.randomUUID();
    }

    @AfterEach
    void stop() {
        if (other != null) {
            other.close();
        }
        if (s != null) {
            s.close();
        }
    }

    static void assumeRedis() {
        TestServices.assumeRedis();
    }

    /** A primary that can be made to fail, to exercise fail-over and fail-back. */
    static final class Switchable implements SequenceStore {
        final SequenceStore inner;
        final AtomicBoolean down = new AtomicBoolean();

        Switchable(SequenceStore inner) {
            this.inner = inner;
        }

        private void check() {
            if (down.get()) {
                throw new IllegalStateException("primary is down");
            }
        }

        @Override
        public long reserve(String namespace, int count) {
            check();
            return inner.reserve(namespace, count);
        }

        @Override
        public long current(String namespace) {
            check();
            return inner.current(namespace);
        }

        @Override
        public void ensureAtLeast(String namespace, long value) {
            check();
            inner.ensureAtLeast(namespace, value);
        }

        @Override
        public boolean healthy() {
            return !down.get() && inner.healthy();
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    long push(TestServer node, String id) {
        TestServer.Reply r = node.send(HttpRequest.newBuilder(URI.create(node.url + "/datafn/push")).header("X-Ns", ns)
                .POST(HttpRequest.BodyPublishers.ofString("{\"mutations\":[{\"resource\":\"tag\",\"operation\":\"insert\",\"id\":\""
                        + id + "\",\"record\":{\"label\":\"x\"},\"clientId\":\"c\",\"mutationId\":\"" + id + "\"}]}")).build());
        assertThat(r.status()).as("push %s: %s", id, r.body()).isEqualTo(200);
        return r.result().get("cursor").asLong();
    }

    @Test
    void redisPrimary_failsOverToTheDatabaseAndFailsBackWithoutRepeatingASeq() {
        assumeRedis();
        RedisSequenceStore redis = new RedisSequenceStore(REDIS);
        Switchable primary = new Switchable(redis);
        s = TestServer.startOn(db.freshUrl(), Fixtures.F1_SCHEMA, o -> o.sequences(primary), b -> b.namespaceProvider(ctx -> ctx.header("X-Ns")));
        assertThat(push(s, "tag:1")).isEqualTo(1);
        assertThat(push(s, "tag:2")).isEqualTo(2);
        assertThat(redis.current(ns)).isEqualTo(2);
        primary.down.set(true);
        assertThat(push(s, "tag:3")).isEqualTo(3); // the database counter serves
        assertThat(redis.current(ns)).isEqualTo(2);
        primary.down.set(false);
        assertThat(push(s, "tag:4")).isEqualTo(4); // Redis is raised to the high-water mark before it is used again
        assertThat(redis.current(ns)).isEqualTo(4);
        RedisClient client = RedisClient.create(REDIS);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().del("serverSeq:" + ns); // Redis lost its data
        } finally {
            client.shutdown();
        }
        assertThat(push(s, "tag:5")).isEqualTo(5);
        JsonAssert.assertJson(s.send(HttpRequest.newBuilder(URI.create(s.url + "/datafn/pull")).header("X-Ns", ns)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"cursor\":\"0\"}")).build()).result().get("nextCursor"),
                "\"5\"");
    }

    @Test
    void kvAdapterPrimary_allocatesThroughIncrement() {
        ConcurrentHashMap<String, AtomicLong> kv = new ConcurrentHashMap<>();
        KvSequenceStore store = new KvSequenceStore(new KvSequenceStore.AtomicKv() {
            @Override
            public long incrementBy(String key, long by) {
                return kv.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(by);
            }

            @Override
            public long get(String key) {
                AtomicLong v = kv.get(key);
                return v == null ? 0 : v.get();
            }
        });
        s = TestServer.startOn(db.freshUrl(), Fixtures.F1_SCHEMA, o -> o.sequences(store), b -> b.namespaceProvider(ctx -> ctx.header("X-Ns")));
        assertThat(push(s, "tag:1")).isEqualTo(1);
        assertThat(push(s, "tag:2")).isEqualTo(2);
        assertThat(kv.get("serverSeq:" + ns).get()).isEqualTo(2);
    }

    @Test
    void redisBus_carriesCommitsToTheOtherNodesSockets() throws Exception {
        assumeRedis();
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns")).clusterBus(new RedisBus(REDIS)));
        if (db == TestDb.SQLITE) {
            return; // two nodes on one SQLite file are covered by SeqVisibilityTest; the bus is the same code
        }
        other = TestServer.startOn(s.jdbcUrl, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-Ns"))
                .clusterBus(new RedisBus(REDIS)));
        WsClient c = WebSocketTest.connect(other, ns);
        push(s, "tag:1");
        assertThat(c.next()).isEqualTo(WebSocketTest.cursor(1));
    }
}
