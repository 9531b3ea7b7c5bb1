package io.datafn.server;

/**
 * Request targets Jetty refuses while it parses the request line, whatever its URI compliance: {@code %00} and a
 * {@code %} that does not start two hex digits. Under the router's base path such a target is handed to Jetty with
 * those {@code %} written as {@code %25} (so it routes as usual) and the path the client sent is kept in the request
 * attribute {@link #ATTRIBUTE}; the adapter gives that path to the router, which answers it with the protocol's
 * envelope and the path of the offending segment instead of Jetty's bare 400. The rewrite is done by the adapter's
 * HTTP/1.1 connections ({@link HttpConnections}).
 */
final class RawTargets {
    /** The request path exactly as the client sent it, when Jetty was handed a rewritten one. */
    static final String ATTRIBUTE = "io.datafn.rawPath";

    private RawTargets() {
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

    static int pathEnd(String target) {
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
}
