package io.datafn.realtime;

import java.util.function.BiConsumer;

/**
 * Fans a commit's highest seq out to every server node (PROTOCOL.md "WebSocket": a commit on one node reaches the
 * sockets of every node). Implementations: {@link LocalBus} (one node), PostgreSQL LISTEN/NOTIFY
 * ({@code io.datafn.jdbc.PostgresBus}).
 */
public interface ClusterBus extends AutoCloseable {
    /** Announces that {@code namespace} committed changes up to {@code seq}. */
    void publish(String namespace, long seq);

    /** Registers the receiver of every announcement, this node's own included. */
    void subscribe(BiConsumer<String, Long> listener);

    @Override
    void close();
}
