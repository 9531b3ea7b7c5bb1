package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;

import java.util.LinkedHashMap;
import java.util.Map;

/** A framework-neutral response: status, headers and a JSON body. */
public record Response(int status, Map<String, String> headers, byte[] body) {
    public static final String JSON = "application/json; charset=utf-8";

    public Response {
        headers = new LinkedHashMap<>(headers);
    }

    public static Response json(int status, JsonNode body) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Content-Type", JSON);
        return new Response(status, h, Json.bytes(body));
    }

    public Response withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, h, body);
    }
}
