package io.datafn.server;

import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Request targets Jetty refuses while it parses the request line, whatever its URI compliance: {@code %00} and a
 * {@code %} that does not start two hex digits. Under the router's base path such a target is handed to Jetty with
 * those {@code %} written as {@code %25} (so it routes as usual) and the path the client sent is kept in the request
 * attribute {@link #ATTRIBUTE}; the adapter gives that path to the router, which answers it with the protocol's
 * envelope and the path of the offending segment instead of Jetty's bare 400.
 */
final class RawTargets {
    /** The request path exactly as the client sent it, when Jetty was handed a rewritten one. */
    static final String ATTRIBUTE = "io.datafn.rawPath";

    private RawTargets() {
    }

    /** Replaces the HTTP/1.1 connection factory of every connector (call before the connectors start). */
    static void install(Server server, String basePath) {
        for (Connector c : server.getConnectors()) {
            if (c instanceof AbstractConnector connector) {
                HttpConnectionFactory old = connector.getConnectionFactory(HttpConnectionFactory.class);
                if (old != null && !(old instanceof Factory)) {
                    Factory f = new Factory(old.getHttpConfiguration(), basePath + "/");
                    f.setInputBufferSize(old.getInputBufferSize());
                    f.setTransferEncodingChunkMaxLength(old.getTransferEncodingChunkMaxLength());
                    connector.addConnectionFactory(f);
                }
            }
        }
    }

    /**
     * The target with every {@code %} of its path that does not start a valid, non-NUL escape written as {@code %25};
     * null when there is none.
     */
    static String parseable(String target) {
        int end = pathEnd(target);
        StringBuilder out = null;
        for (int i = 0; i < end; i++) {
            char c = target.charAt(i);
            if (c == '%' && !validEscape(target, i, end)) {
                if (out == null) {
                    out = new StringBuilder(target.length() + 8).append(target, 0, i);
                }
                out.append("%25");
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? null : out.append(target, end, target.length()).toString();
    }

    private static int pathEnd(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '?' || c == '#') {
                return i;
            }
        }
        return target.length();
    }

    private static boolean validEscape(String s, int at, int end) {
        return at + 2 < end && Character.digit(s.charAt(at + 1), 16) >= 0 && Character.digit(s.charAt(at + 2), 16) >= 0
                && !(s.charAt(at + 1) == '0' && s.charAt(at + 2) == '0');
    }

    /** Jetty's HTTP/1.1 connections, with the rewrite of refused targets under {@code prefix}. */
    private static final class Factory extends HttpConnectionFactory {
        private final String prefix;

        Factory(HttpConfiguration config, String prefix) {
            super(config);
            this.prefix = prefix;
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            HttpConnection connection = new HttpConnection(getHttpConfiguration(), connector, endPoint) {
                @Override
                protected HttpStreamOverHTTP1 newHttpStream(String method, String uri, HttpVersion version) {
                    String safe = uri != null && uri.startsWith(prefix) ? parseable(uri) : null;
                    if (safe == null) {
                        return super.newHttpStream(method, uri, version);
                    }
                    String rawPath = uri.substring(0, pathEnd(uri));
                    return new HttpStreamOverHTTP1(method, safe, version) {
                        @Override
                        public Runnable headerComplete() {
                            Runnable handle = super.headerComplete();
                            getHttpChannel().getRequest().setAttribute(ATTRIBUTE, rawPath);
                            return handle;
                        }
                    };
                }
            };
            connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
            return configure(connection, connector, endPoint);
        }
    }
}
