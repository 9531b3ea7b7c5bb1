package io.datafn.realtime;

import java.util.function.BiConsumer;

/**
 * Fans a commit's highest seq out to every server node (PROTOCOL.md "WebSocket": a commit on one node reaches the
 * sockets of every node). Implementations: {@link LocalBus} (one node), PostgreSQL LISTEN/NOTIFY
 * ({@code io.datafn.jdbc.PostgresBus}), Redis pub/sub ({@code io.datafn.redis.RedisBus}) and {@link PollingBus} (reads
 * the database's committed seq counters: MariaDB, SQLite).
 */
public interface ClusterBus extends AutoCloseable {
    /** Announces that {@code namespace} committed changes up to {@code seq}. */
    void publish(String namespace, long seq);

    /** Registers the receiver of every announcement, this node's own included. */
    void subscribe(BiConsumer<String, Long> listener);

    /**
     * True when the bus's backend answers now ({@code GET /readyz}); a bus that lives in this process or in the store's
     * own database (checked on its own) answers true.
     */
    default boolean healthy() {
        return true;
    }

    @Override
    void close();
}
