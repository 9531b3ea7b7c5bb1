package io.datafn.realtime;

/** One WebSocket connection as the hub sees it; the HTTP adapter implements it. */
public interface Socket {
    /** Sends the message as one text frame; throws when the connection is broken. */
    void send(TextMessage message);

    /**
     * Sends a ping frame for the heartbeat; false when this adapter cannot ping or cannot hear the pong (then the
     * socket is never closed for a missing one). Pongs are reported with {@link WebSocketHub#ponged}.
     */
    default boolean ping() {
        return false;
    }

    /** Closes the connection with a WebSocket close code and reason. */
    void close(int code, String reason);
}
