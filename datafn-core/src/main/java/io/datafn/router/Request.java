package io.datafn.router;

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
}
