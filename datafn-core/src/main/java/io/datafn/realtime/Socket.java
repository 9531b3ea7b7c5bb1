package io.datafn.realtime;

/** One WebSocket connection as the hub sees it; the HTTP adapter implements it. */
public interface Socket {
    /** Sends the message as one text frame; throws when the connection is broken. */
    void send(TextMessage message);

    /** Closes the connection with a WebSocket close code and reason. */
    void close(int code, String reason);
}
