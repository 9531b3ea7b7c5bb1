package io.datafn.realtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sockets of this node by namespace (PROTOCOL.md "WebSocket"; reference-sync.md §9). After each commit a
 * {@code {"type":"cursor","cursor":"<seq>","targeting":{"mode":"namespace-broadcast","degraded":false}}} message
 * goes to every socket of the namespace; the client then pulls. A socket whose send fails is closed with 1001.
 */
public final class WebSocketHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    public static final int CLOSE_UNAUTHORIZED = 4401;
    public static final int CLOSE_LIMIT = 4503;
    public static final int CLOSE_GOING_AWAY = 1001;

    private final int maxConnections;
    private final int maxPerNamespace;
    private final Map<String, Set<Socket>> byNamespace = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param maxConnections  sockets on this node (default 10 000)
     * @param maxPerNamespace sockets per namespace on this node (default 100)
     */
    public WebSocketHub(int maxConnections, int maxPerNamespace) {
        if (maxConnections < 1 || maxPerNamespace < 1) {
            throw new IllegalArgumentException("websocket connection limits must be positive, got "
                    + maxConnections + " and " + maxPerNamespace);
        }
        this.maxConnections = maxConnections;
        this.maxPerNamespace = maxPerNamespace;
    }

    /** Registers a socket, or closes it (4503 over a limit, 1001 after shutdown); true when registered. */
    public boolean add(String namespace, Socket socket) {
        if (closed) {
            socket.close(CLOSE_GOING_AWAY, "Going Away");
            return false;
        }
        if (total.incrementAndGet() > maxConnections) {
            total.decrementAndGet();
            socket.close(CLOSE_LIMIT, "Connection limit reached");
            return false;
        }
        Set<Socket> set = byNamespace.computeIfAbsent(namespace, k -> ConcurrentHashMap.newKeySet());
        synchronized (set) {
            if (set.size() >= maxPerNamespace) {
                total.decrementAndGet();
                socket.close(CLOSE_LIMIT, "Namespace connection limit reached");
                return false;
            }
            set.add(socket);
        }
        return true;
    }

    public void remove(String namespace, Socket socket) {
        Set<Socket> set = byNamespace.get(namespace);
        if (set != null && set.remove(socket)) {
            total.decrementAndGet();
        }
    }

    /** Sockets currently registered on this node. */
    public int size() {
        return total.get();
    }

    /** Tells every socket of the namespace that changes up to {@code seq} are committed. */
    public void broadcast(String namespace, long seq) {
        Set<Socket> set = byNamespace.get(namespace);
        if (set == null || set.isEmpty()) {
            return;
        }
        String msg = "{\"type\":\"cursor\",\"cursor\":\"" + seq + "\",\"targeting\":{\"mode\":\"namespace-broadcast\",\"degraded\":false}}";
        for (Socket s : set) {
            try {
                s.send(msg);
            } catch (RuntimeException e) {
                log.debug("ws {}: send failed, closing the socket: {}", namespace, e.toString());
                remove(namespace, s);
                try {
                    s.close(CLOSE_GOING_AWAY, "Broadcast send failed");
                } catch (RuntimeException ignored) {
                    // the connection is already gone
                }
            }
        }
    }

    /** Closes every socket with 1001 "Going Away"; later admissions are refused the same way. Idempotent. */
    @Override
    public void close() {
        closed = true;
        byNamespace.forEach((ns, set) -> {
            for (Socket s : set) {
                try {
                    s.close(CLOSE_GOING_AWAY, "Going Away");
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
            }
            set.clear();
        });
        total.set(0);
    }
}
