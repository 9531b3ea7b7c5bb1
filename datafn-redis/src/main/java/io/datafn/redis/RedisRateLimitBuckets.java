package io.datafn.redis;

import io.datafn.router.RateLimitBuckets;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Rate-limit buckets in Redis (the README's {@code dbMapping.ratelimiting: "redis"}), through Bucket4j's Lettuce
 * backend: one key per action and namespace ({@code ratelimit:<action>:<namespace>}), updated by compare-and-swap, so
 * that every node shares one budget. A key expires once its bucket would be full again, leaving nothing behind for
 * idle namespaces.
 */
public final class RedisRateLimitBuckets implements RateLimitBuckets {
    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final ProxyManager<String> proxies;
    private volatile boolean closed;

    /** Connects to {@code redis://host:port[/db]}; fails at once when Redis cannot be reached. */
    public RedisRateLimitBuckets(String redisUri) {
        this.client = RedisClient.create(redisUri);
        this.client.setDefaultTimeout(Duration.ofSeconds(2));
        // while disconnected, fail at once (the limiter then lets the request pass) instead of queueing for 2 s
        this.client.setOptions(ClientOptions.builder().disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        this.connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        this.proxies = Bucket4jLettuce.casBasedBuilder(connection)
                .requestTimeout(Duration.ofSeconds(2))
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(1)))
                .build();
    }

    @Override
    public Bucket bucket(String key, Supplier<BucketConfiguration> config) {
        return proxies.getProxy(key, config);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        connection.close();
        client.shutdown();
    }

}
