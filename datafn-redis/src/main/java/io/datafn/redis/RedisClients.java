package io.datafn.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The Lettuce client of each Redis part, with its own resources so that {@link #shutdown()} releases everything.
 * Reconnect attempts back off to at most one second (Lettuce's default backs off to 30 s, so that live updates and
 * Redis seqs would stay away up to half a minute after Redis is back).
 */
final class RedisClients {
    static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);

    final ClientResources resources;
    final RedisClient client;

    RedisClients(String redisUri, ClientOptions options) {
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, redisUri);
        this.client.setOptions(options);
    }

    void shutdown() {
        client.shutdown();
        resources.shutdown();
    }
}
