package io.datafn.router;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A framework-neutral HTTP request, as an adapter hands it to the {@link Router}.
 *
 * @param path          the full request path (the router strips its base path)
 * @param query         query-string parameters
 * @param header        header lookup by name, case-insensitive; null when absent
 * @param contentLength the declared body length, or -1 when unknown
 * @param body          the body stream (read at most {@code maxPayloadBytes + 1} bytes); may be empty
 * @param native_       the framework's own request object, handed to user hooks through {@link RequestContext}
 */
public record Request(String method, String path, Map<String, List<String>> query, Function<String, String> header,
                      long contentLength, InputStream body, Object native_) {
    public Request {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        query = query == null ? Map.of() : query;
        header = header == null ? h -> null : header;
        body = body == null ? InputStream.nullInputStream() : body;
    }

    public String queryParam(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** Opens a request body stream (an adapter's framework call). */
    @FunctionalInterface
    public interface BodySource {
        InputStream open() throws IOException;
    }

    /**
     * A body opened when it is first read: opening it is what sends {@code 100 Continue} to a client that asked for
     * it, and a request refused before its body is needed must not invite the body. Adapters hand this to the router.
     */
    public static InputStream openedOnFirstRead(BodySource source) {
        Objects.requireNonNull(source, "source");
        return new InputStream() {
            private InputStream in;

            private InputStream in() throws IOException {
                if (in == null) {
                    in = source.open();
                }
                return in;
            }

            @Override
            public int read() throws IOException {
                return in().read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return in().read(b, off, len);
            }

            @Override
            public int available() throws IOException {
                return in().available(); // opens the body too (the router asks only once it means to read it)
            }
        };
    }
}
