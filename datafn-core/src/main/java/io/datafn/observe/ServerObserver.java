package io.datafn.observe;

import io.datafn.DatafnServer;

/**
 * What the server tells an observer (metrics): the SPI that keeps {@code datafn-core} free of any metrics library.
 * {@code datafn-server}'s {@code DatafnMetrics} implements it with Micrometer; {@link #NONE} (the default) ignores
 * everything. Set it with {@code DatafnServer.Builder.observer}.
 *
 * <p>{@link #requestFinished} and {@link #busDelivered} are called on request and bus threads and must return quickly;
 * what they throw is logged and ignored. What {@link #started} throws fails {@code build()} (the server is shut down). Commits and open WebSockets need no event of their own: {@link #started} gets the server, whose
 * {@code store().onCommit} and {@code websocketHub().size()} tell them.
 */
public interface ServerObserver {
    /** Observes nothing; costs nothing (the router does not even time the bus). */
    ServerObserver NONE = new ServerObserver() {
    };

    /** Called once, at the end of {@code build()}, with the wired server: register gauges and listeners here. */
    default void started(DatafnServer server) {
    }

    /** A request the router answered; for a streamed answer (clone) after its body was written. */
    default void requestFinished(RequestEvent event) {
    }

    /**
     * A commit this node announced on the cluster bus came back to this node's WebSocket hub after {@code lagNanos}
     * (publish to delivery: a NOTIFY or Redis round trip; about 0 on the local bus).
     */
    default void busDelivered(long lagNanos) {
    }
}
