package io.datafn.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.MutationEndpoint;
import io.datafn.mutation.MutationService;
import io.datafn.query.QueryService;
import io.datafn.router.RequestContext;
import io.datafn.router.Route;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * REST wrappers over DFQL (enabled with {@code rest}): {@code GET|POST resources/:resource},
 * {@code PATCH|DELETE resources/:resource/:id} (original §7). Inner errors keep their own status (the original
 * flattened them to 400).
 */
public final class RestEndpoint {
    private final Schema schema;
    private final QueryService queries;
    private final MutationEndpoint mutations;

    public RestEndpoint(Schema schema, QueryService queries, MutationEndpoint mutations) {
        this.schema = schema;
        this.queries = queries;
        this.mutations = mutations;
    }

    /**
     * Handles one REST request of the routes {@code GET|POST resources/*} (action {@code query} for GET,
     * {@code mutation} otherwise) and {@code PATCH|DELETE resources/*}{@code /*}.
     *
     * @param call its params are the path after {@code resources/}, still URL-encoded: {@code [resource]} or
     *             {@code [resource, id]}
     */
    public JsonNode handle(Route.Call call) {
        RequestContext ctx = call.ctx();
        MutationService.Writer writer = call.writer();
        String method = ctx.request().method();
        JsonNode body = call.payload();
        String resourceName = segment(call.params().get(0), "resource");
        String id = call.params().size() > 1 ? segment(call.params().get(1), "id") : null;
        Resource res = schema.resource(resourceName);
        if (res == null) {
            throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + resourceName, "resource", 400,
                    Map.of("resource", resourceName), null);
        }
        if (method.equals("GET")) {
            ObjectNode q = Json.object();
            String param = ctx.request().queryParam("q");
            if (param != null && !param.isEmpty()) {
                JsonNode parsed;
                try {
                    parsed = Json.parse(param);
                } catch (RuntimeException e) {
                    throw DatafnException.invalid("Invalid JSON", "q");
                }
                if (!parsed.isObject()) {
                    throw DatafnException.invalid("Invalid DFQL: q must be a JSON object", "q");
                }
                if (Json.findDisallowedKey(parsed) != null) {
                    throw DatafnException.invalid("Disallowed key: " + Json.findDisallowedKey(parsed), "q");
                }
                q.setAll((ObjectNode) parsed);
            }
            q.put("resource", res.name()); // the URL wins over q
            q.put("version", res.version());
            return queries.handle(ctx, writer.namespace(), writer.actorId(), q);
        }
        ObjectNode m = Json.object();
        m.put("resource", res.name());
        m.put("version", res.version());
        JsonNode b = body == null || !body.isObject() ? Json.object() : body;
        switch (method) {
            case "POST" -> {
                m.put("operation", b.path("operation").isTextual() ? b.get("operation").asText() : "merge");
                if (b.has("id")) {
                    m.set("id", b.get("id"));
                }
                if (b.has("record")) {
                    m.set("record", b.get("record"));
                }
            }
            case "PATCH" -> {
                m.put("operation", "merge");
                m.put("id", id);
                if (b.has("record")) {
                    m.set("record", b.get("record"));
                }
            }
            default -> {
                m.put("operation", "delete");
                m.put("id", id);
            }
        }
        for (String key : new String[]{"clientId", "mutationId"}) {
            String v = ctx.request().queryParam(key);
            if (v == null && !method.equals("DELETE") && b.path(key).isTextual()) {
                v = b.get(key).asText();
            }
            if (v == null || v.isEmpty()) {
                throw DatafnException.invalid("Invalid DFQL: " + key + " is required", key);
            }
            m.put(key, v);
        }
        return mutations.handle(ctx, writer, m);
    }

    /**
     * A percent-decoded path segment ({@code +} stays a plus), refused at {@code path} when an escape is malformed, the
     * bytes are not UTF-8 (a lone surrogate included), or it is empty or holds NUL, a slash, a backslash or {@code ..}.
     */
    private static String segment(String raw, String path) {
        byte[] in = raw.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            if (in[i] != '%') {
                bytes.write(in[i]);
                continue;
            }
            int hi = i + 2 < in.length ? Character.digit(in[i + 1], 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(in[i + 2], 16);
            if (lo < 0) {
                throw invalidSegment(path);
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw invalidSegment(path);
        }
        if (s.isEmpty() || s.contains("\u0000") || s.contains("/") || s.contains("\\") || s.contains("..")) {
            throw invalidSegment(path);
        }
        return s;
    }

    private static DatafnException invalidSegment(String path) {
        return DatafnException.invalid("Invalid path segment", path);
    }
}
