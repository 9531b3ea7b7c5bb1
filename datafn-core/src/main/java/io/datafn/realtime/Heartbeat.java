package io.datafn.realtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The native ping/pong heartbeat of the hub's sockets (PROTOCOL.md "WebSocket"; reference-sync.md §9.4): each socket
 * gets a ping every {@code interval}, and one that has not answered it with a pong within {@code timeout} is closed
 * with 1001 {@code Heartbeat timeout} (a peer that vanished without closing, or a client that stopped reading). A
 * socket whose adapter cannot ping or hear pongs ({@link Socket#ping} false) is never timed out. One daemon thread
 * checks every socket a few times per {@code min(interval, timeout)}.
 */
final class Heartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
    static final String TIMEOUT_REASON = "Heartbeat timeout";

    private final long intervalNanos;
    private final long timeoutNanos;
    private final Map<Socket, Beat> beats = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;

    /** When the socket was last pinged, and whether that ping is still unanswered. */
    private static final class Beat {
        volatile long lastPing = System.nanoTime();
        volatile boolean awaiting;
    }

    Heartbeat(Duration interval, Duration timeout) {
        if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("heartbeat interval and timeout must be positive, got " + interval + " and " + timeout);
        }
        this.intervalNanos = interval.toNanos();
        this.timeoutNanos = timeout.toNanos();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "datafn-ws-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long tick = Math.max(1, Math.min(intervalNanos, timeoutNanos) / 4);
        timer.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
    }

    void add(Socket socket) {
        beats.put(socket, new Beat());
    }

    void remove(Socket socket) {
        beats.remove(socket);
    }

    /** The socket answered a ping (any pong counts: browsers may answer with unsolicited ones). */
    void ponged(Socket socket) {
        Beat b = beats.get(socket);
        if (b != null) {
            b.awaiting = false;
        }
    }

    private void tick() {
        long now = System.nanoTime();
        for (Map.Entry<Socket, Beat> e : beats.entrySet()) {
            Socket s = e.getKey();
            Beat b = e.getValue();
            try {
                if (b.awaiting && now - b.lastPing >= timeoutNanos) {
                    beats.remove(s);
                    s.close(WebSocketHub.CLOSE_GOING_AWAY, TIMEOUT_REASON);
                } else if (!b.awaiting && now - b.lastPing >= intervalNanos) {
                    b.lastPing = now;
                    b.awaiting = true; // before the ping: its pong may come back before ping() returns
                    if (!s.ping()) {
                        b.awaiting = false; // an adapter that cannot ping or hear pongs
                    }
                }
            } catch (RuntimeException ex) {
                // a socket that broke meanwhile: its adapter's close handler removes it from the hub
                log.debug("ws heartbeat: {}", ex.toString());
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
