package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A framework-neutral response: status, headers and a JSON body, either in memory ({@code body}) or written while it
 * is sent ({@code stream}, then {@code body} is empty).
 */
public record Response(int status, Map<String, String> headers, byte[] body, BodyWriter stream) {
    public static final String JSON = "application/json; charset=utf-8";

    public Response {
        headers = new LinkedHashMap<>(headers);
    }

    public Response(int status, Map<String, String> headers, byte[] body) {
        this(status, headers, body, null);
    }

    public static Response streaming(BodyWriter writer) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", JSON);
        return new Response(200, h, new byte[0], writer);
    }

    /** Writes the body, in memory or streamed, to {@code out}. */
    public void writeBody(java.io.OutputStream out) throws java.io.IOException {
        if (stream != null) {
            stream.writeTo(out);
        } else {
            out.write(body);
        }
    }

    public static Response json(int status, JsonNode body) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", JSON);
        return new Response(status, h, Json.bytes(body));
    }

    public Response withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, h, body, stream);
    }
}
