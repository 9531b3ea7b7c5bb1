package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;

import java.util.Map;

/**
 * The protocol's response envelope {@code {ok, result?, error?}}, written here and nowhere else: a success
 * {@code {ok:true, result}}, an error {@code {ok:false, error}} and a failed result {@code {ok:false, result, error}}.
 */
public final class Envelope {
    private Envelope() {
    }

    public static Response ok(JsonNode result) {
        return Response.json(200, body(true, result, null));
    }

    public static Response failed(int status, JsonNode result, ErrorItem error) {
        return Response.json(status, body(false, result, error));
    }

    /**
     * An error with its status: {@code {ok:false, error:{code, message, details:{path, ...}}}}; 503 (shutting down,
     * database unavailable) carries no details, a plain {@code application/json} content type and
     * {@code Retry-After: 1}.
     */
    public static Response error(DatafnException e) {
        if (e.code() == ErrorCode.SERVICE_UNAVAILABLE) {
            byte[] body = Json.bytes(body(false, null, ErrorItem.bare(e.code().name(), e.getMessage())));
            // a restart or a database outage: worth trying again in a moment
            return new Response(e.status(), Map.of("Content-Type", "application/json", "Retry-After", "1"), body);
        }
        return Response.json(e.status(), body(false, null, ErrorItem.of(e)));
    }

    private static ObjectNode body(boolean ok, JsonNode result, ErrorItem error) {
        ObjectNode n = Json.object();
        n.put("ok", ok);
        if (result != null) {
            n.set("result", result);
        }
        if (error != null) {
            n.set("error", error.toJson());
        }
        return n;
    }
}
