package io.datafn.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.router.RequestContext;

/**
 * The README's {@code authorize(ctx, action, payload)}: called once per request after the body is parsed. Returning
 * false answers 403 FORBIDDEN "Authorization denied"; throwing answers 500.
 */
@FunctionalInterface
public interface Authorizer {
    boolean authorize(RequestContext ctx, String action, JsonNode payload);

    Authorizer ALLOW_ALL = (ctx, action, payload) -> true;
}
