package io.datafn.server;

import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import org.eclipse.jetty.io.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many connections and WebSockets one remote address holds ({@link ClientLimits#maxConnectionsPerSource()},
 * {@link ClientLimits#wsMaxPerSource()}): one client cannot take every connection, or every WebSocket slot of the shared
 * namespace. A connection over the limit is answered 503 {@code SERVICE_UNAVAILABLE} and closed as it opens; a
 * WebSocket over the limit is closed with 4503. Jetty's own {@code ConnectionLimit} counts all clients together.
 */
final class SourceLimits implements Connection.Listener {
    private static final Logger log = LoggerFactory.getLogger(SourceLimits.class);

    private final int maxConnections;
    private final int maxSockets;
    private final Map<InetAddress, Integer> connections = new ConcurrentHashMap<>();
    private final Map<InetAddress, Integer> sockets = new ConcurrentHashMap<>();
    /** The connections counted, so that each is uncounted once and only if it was counted. */
    private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();

    SourceLimits(ClientLimits limits) {
        this.maxConnections = limits.maxConnectionsPerSource();
        this.maxSockets = limits.wsMaxPerSource();
    }

    @Override
    public void onOpened(Connection connection) {
        InetAddress source = address(connection.getEndPoint().getRemoteSocketAddress());
        if (maxConnections == 0 || source == null) {
            return;
        }
        if (acquire(connections, source, maxConnections)) {
            counted.put(connection, source);
        } else {
            log.debug("connection from {} refused: {} connections from it are open", source, maxConnections);
            HttpConnections.answerAndClose(connection.getEndPoint(), HttpConnections.closingResponse(503,
                    "Service Unavailable", new DatafnException(ErrorCode.SERVICE_UNAVAILABLE,
                            "Too many connections from this address", "$")));
        }
    }

    @Override
    public void onClosed(Connection connection) {
        InetAddress source = counted.remove(connection);
        if (source != null) {
            release(connections, source);
        }
    }

    /** Takes a WebSocket slot of {@code remote}; false when it holds {@code wsMaxPerSource} already. */
    boolean acquireSocket(SocketAddress remote) {
        InetAddress source = address(remote);
        return maxSockets == 0 || source == null || acquire(sockets, source, maxSockets);
    }

    /** Gives back a slot taken by {@link #acquireSocket}. */
    void releaseSocket(SocketAddress remote) {
        InetAddress source = address(remote);
        if (maxSockets != 0 && source != null) {
            release(sockets, source);
        }
    }

    private static boolean acquire(Map<InetAddress, Integer> counts, InetAddress source, int max) {
        boolean[] taken = new boolean[1];
        counts.compute(source, (k, n) -> {
            int now = n == null ? 0 : n;
            taken[0] = now < max;
            return taken[0] ? now + 1 : (n == null ? null : now);
        });
        return taken[0];
    }

    private static void release(Map<InetAddress, Integer> counts, InetAddress source) {
        counts.computeIfPresent(source, (k, n) -> n <= 1 ? null : n - 1);
    }

    private static InetAddress address(SocketAddress remote) {
        return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
