package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What user hooks (authorize, plugins, namespace providers) see of a request.
 *
 * @param request    the request (headers, query, the framework's own object)
 * @param requestId  the id sent back in {@code X-Request-Id} and written in the request's log lines
 * @param action     {@code status|query|mutation|transact|clone|pull|push|reconcile|seed|search|openapi|admin}
 *                   ({@code ws} for a WebSocket upgrade)
 * @param parsedBody the parsed JSON body, or null for GET/DELETE; also null for the namespace provider when rate
 *                   limiting is on (the namespace is resolved once, before the body is read, for the rate-limit key)
 */
public record RequestContext(Request request, String requestId, String action, JsonNode parsedBody) {

    public String header(String name) {
        return request.header().apply(name);
    }
}
