package io.datafn.redis;

import io.datafn.store.SequenceStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;

/**
 * serverSeq from Redis: {@code INCRBY serverSeq:<namespace> n} (PROTOCOL.md "Sequence stores"). Used as the primary of
 * the store's sequence, with the database counter as high-water mark and fallback.
 */
public final class RedisSequenceStore implements SequenceStore {
    /** Raises the key to ARGV[1] when it is lower; atomic in Redis. */
    private static final String ENSURE = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
            + "if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end return v";

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;

    /** Connects to {@code redis://host:port[/db]}; fails at once when Redis cannot be reached. */
    public RedisSequenceStore(String redisUri) {
        this.client = RedisClient.create(redisUri);
        this.client.setDefaultTimeout(Duration.ofSeconds(2));
        this.connection = client.connect();
        this.redis = connection.sync();
    }

    static String key(String namespace) {
        return "serverSeq:" + namespace;
    }

    @Override
    public long reserve(String namespace, int count) {
        return redis.incrby(key(namespace), SequenceStore.checkCount(count));
    }

    @Override
    public long current(String namespace) {
        String v = redis.get(key(namespace));
        return v == null ? 0 : Long.parseLong(v);
    }

    @Override
    public void ensureAtLeast(String namespace, long value) {
        redis.eval(ENSURE, ScriptOutputType.INTEGER, new String[]{key(namespace)}, Long.toString(value));
    }

    @Override
    public boolean healthy() {
        try {
            return "PONG".equals(redis.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
