package io.datafn.redis;

import io.datafn.store.SequenceStore;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * serverSeq from Redis: {@code INCRBY serverSeq:<namespace> n} (PROTOCOL.md "Sequence stores"). Used as the primary of
 * the store's sequence, with the database counter as high-water mark and fallback.
 *
 * <p>A commit asks for its seqs while it holds its namespace's lock, so a Redis that is away must cost it nothing:
 * while the connection is down a command fails at once instead of waiting in Lettuce's queue, and after any failure
 * Redis is reported unhealthy for {@link #RETRY_AFTER} without being asked (a Redis that stops answering costs one
 * command timeout per second, not one per commit). The database counter serves meanwhile.
 */
public final class RedisSequenceStore implements SequenceStore {
    /** Raises the key to ARGV[1] when it is lower; atomic in Redis. */
    private static final String ENSURE = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
            + "if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end return v";

    /** How long Redis is not asked after a failure. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final RedisClients clients;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    /** {@link System#nanoTime()} before which Redis is not asked; 0 when it answered last time. */
    private volatile long downUntil;

    /** Connects to {@code redis://host:port[/db]}; fails at once when Redis cannot be reached. */
    public RedisSequenceStore(String redisUri) {
        this.clients = new RedisClients(redisUri, ClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        this.clients.client.setDefaultTimeout(Duration.ofSeconds(2));
        this.connection = clients.client.connect();
        this.redis = connection.sync();
    }

    private <T> T call(Supplier<T> command) {
        try {
            T v = command.get();
            downUntil = 0;
            return v;
        } catch (RuntimeException e) {
            downUntil = System.nanoTime() + RETRY_AFTER.toNanos();
            throw e;
        }
    }

    static String key(String namespace) {
        return "serverSeq:" + namespace;
    }

    @Override
    public long reserve(String namespace, int count) {
        int n = SequenceStore.checkCount(count);
        return call(() -> redis.incrby(key(namespace), n));
    }

    @Override
    public long current(String namespace) {
        String v = call(() -> redis.get(key(namespace)));
        return v == null ? 0 : Long.parseLong(v);
    }

    @Override
    public void ensureAtLeast(String namespace, long value) {
        call(() -> redis.eval(ENSURE, ScriptOutputType.INTEGER, new String[]{key(namespace)}, Long.toString(value)));
    }

    @Override
    public boolean healthy() {
        long until = downUntil;
        if (until != 0 && System.nanoTime() - until < 0) {
            return false;
        }
        try {
            return "PONG".equals(call(redis::ping));
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
        clients.shutdown();
    }
}
