package io.datafn.realtime;

/**
 * A {@link Socket} whose sends never pile up: one frame is being written at a time, and the texts sent meanwhile
 * replace one another; the latest goes out when the frame being written is done. A client that reads slowly (or not
 * at all) therefore costs one waiting message, never a growing queue, and still hears the newest cursor. A write that
 * fails closes the socket with 1001. Adapters implement {@link #write} with their server's asynchronous send.
 */
public abstract class LatestFrameSocket implements Socket {
    private TextMessage waiting;
    private boolean writing;

    @Override
    public final void send(TextMessage message) {
        synchronized (this) {
            if (writing) {
                waiting = message;
                return;
            }
            writing = true;
        }
        write(message);
    }

    /** Starts writing {@code message} as one text frame; calls {@link #written} when it is written or has failed. */
    protected abstract void write(TextMessage message);

    /** Called by the adapter when the frame from {@link #write} is written ({@code failure} null) or failed. */
    protected final void written(Throwable failure) {
        if (failure != null) {
            synchronized (this) {
                waiting = null; // writing stays true: nothing more is sent on a broken socket
            }
            try {
                close(WebSocketHub.CLOSE_GOING_AWAY, "Send failed");
            } catch (RuntimeException ignored) {
                // already gone
            }
            return;
        }
        TextMessage next;
        synchronized (this) {
            next = waiting;
            waiting = null;
            writing = next != null;
        }
        if (next != null) {
            write(next);
        }
    }
}
