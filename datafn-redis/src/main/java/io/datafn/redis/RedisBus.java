package io.datafn.redis;

import io.datafn.realtime.BusPayload;
import io.datafn.realtime.ClusterBus;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * A {@link ClusterBus} over Redis pub/sub (channel {@code datafn:commits}); Lettuce reconnects by itself and
 * subscribes again. While Redis is away, up to {@link #QUEUED_WHILE_AWAY} publications wait and go out when it is back
 * (so that sockets hear of the commits made meanwhile); beyond that they are dropped, not kept without bound. Commits
 * themselves never wait for the bus.
 */
public final class RedisBus implements ClusterBus {
    private static final Logger log = LoggerFactory.getLogger(RedisBus.class);
    static final String CHANNEL = "datafn:commits";

    static final int QUEUED_WHILE_AWAY = 10_000;

    private final RedisClients clients;
    private final StatefulRedisConnection<String, String> publisher;
    private final StatefulRedisPubSubConnection<String, String> subscriber;
    private final List<BiConsumer<String, Long>> listeners = new CopyOnWriteArrayList<>();

    public RedisBus(String redisUri) {
        this.clients = new RedisClients(redisUri, ClientOptions.builder().requestQueueSize(QUEUED_WHILE_AWAY).build());
        this.publisher = clients.client.connect();
        this.subscriber = clients.client.connectPubSub();
        this.subscriber.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
                deliver(message);
            }
        });
        this.subscriber.sync().subscribe(CHANNEL);
    }

    @Override
    public void publish(String namespace, long seq) {
        try {
            publisher.async().publish(CHANNEL, BusPayload.encode(namespace, seq));
        } catch (RuntimeException e) {
            log.warn("bus: publishing seq {} of {} to Redis failed: {}", seq, namespace, e.getMessage());
        }
    }

    @Override
    public void subscribe(BiConsumer<String, Long> listener) {
        listeners.add(listener);
    }

    /** PING on the publishing connection, answered within a second. */
    @Override
    public boolean healthy() {
        try {
            return "PONG".equals(publisher.async().ping().get(1, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            return false;
        }
    }

    private void deliver(String payload) {
        BusPayload.dispatch(payload, listeners, log);
    }

    @Override
    public void close() {
        subscriber.close();
        publisher.close();
        clients.shutdown();
    }
}
