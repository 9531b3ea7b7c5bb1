package io.datafn.server;

import java.time.Duration;

/**
 * What one client may hold of the HTTP adapter (slow clients, issue "slow uploads stop the server"). A slow request
 * holds a connection, never a request thread (the body is read before the request is handled); these bound how long
 * and how many.
 *
 * @param headerTimeout           a request head (request line and headers) must be complete this long after its first
 *                                byte, else the client is answered 408 {@code LIMIT_EXCEEDED} and the connection is
 *                                closed: a slowloris client is dropped (default 10 s)
 * @param requestTimeout          a whole request (head and body) must be complete this long after its first byte, else
 *                                408 and the connection is closed; handling time does not count (default 60 s: a 5 MiB
 *                                body at 1 Mbit/s takes 42 s)
 * @param maxConnectionsPerSource open connections from one remote address; one more is answered 503
 *                                {@code SERVICE_UNAVAILABLE} and closed; 0 means no limit (default 256; behind a
 *                                reverse proxy every connection has the proxy's address: raise it or set 0 and limit
 *                                in the proxy)
 * @param wsMaxPerSource          open WebSockets from one remote address; one more is closed with 4503, so that no
 *                                client without a token holds every slot of the shared namespace; 0 means no limit
 *                                (default 100)
 */
public record ClientLimits(Duration headerTimeout, Duration requestTimeout, int maxConnectionsPerSource,
                           int wsMaxPerSource) {
    public ClientLimits {
        positive("headerTimeout", headerTimeout);
        positive("requestTimeout", requestTimeout);
        if (maxConnectionsPerSource < 0) {
            throw new IllegalArgumentException("maxConnectionsPerSource must be >= 0 (0 = no limit), got " + maxConnectionsPerSource);
        }
        if (wsMaxPerSource < 0) {
            throw new IllegalArgumentException("wsMaxPerSource must be >= 0 (0 = no limit), got " + wsMaxPerSource);
        }
    }

    public static ClientLimits defaults() {
        return new ClientLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 256, 100);
    }

    public ClientLimits withHeaderTimeout(Duration v) {
        return new ClientLimits(v, requestTimeout, maxConnectionsPerSource, wsMaxPerSource);
    }

    public ClientLimits withRequestTimeout(Duration v) {
        return new ClientLimits(headerTimeout, v, maxConnectionsPerSource, wsMaxPerSource);
    }

    public ClientLimits withMaxConnectionsPerSource(int v) {
        return new ClientLimits(headerTimeout, requestTimeout, v, wsMaxPerSource);
    }

    public ClientLimits withWsMaxPerSource(int v) {
        return new ClientLimits(headerTimeout, requestTimeout, maxConnectionsPerSource, v);
    }

    private static void positive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }
}
