package io.datafn.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.router.RequestContext;

/**
 * A server plugin (original §10). Hooks run in registration order. {@code before*} hooks are fail-closed (a
 * {@link io.datafn.error.DatafnException} they throw is the response; any other exception is a 500), {@code after*}
 * hooks are fail-open (errors are logged, the response stands). Returning null from a hook means "unchanged".
 */
public interface DatafnPlugin {
    /** A name for logs and for {@code details.plugin} of a denial. */
    String name();

    /** False denies the request with 403 {@code details.plugin = name()}. */
    default boolean authorize(RequestContext ctx, String action, JsonNode payload) {
        return true;
    }

    /** May rewrite the query body (object or batch array) before validation. */
    default JsonNode beforeQuery(RequestContext ctx, JsonNode query) {
        return query;
    }

    /** May replace the query result. */
    default JsonNode afterQuery(RequestContext ctx, JsonNode query, JsonNode result) {
        return result;
    }

    /** May rewrite the mutation body (object or batch array) before validation. */
    default JsonNode beforeMutation(RequestContext ctx, JsonNode mutation) {
        return mutation;
    }

    /** Observes executed mutations; the return value is ignored. */
    default void afterMutation(RequestContext ctx, JsonNode mutation, JsonNode result) {
    }

    /** May rewrite a sync payload; {@code phase} is clone, pull, push, reconcile or seed. */
    default JsonNode beforeSync(RequestContext ctx, String phase, JsonNode payload) {
        return payload;
    }

    /**
     * Observes a sync result (pull, reconcile, seed, and a push without failed mutations; a clone is streamed and has
     * none). As in the original, the response is not changed: a non-null return value is only what the next plugin's
     * {@code afterSync} receives.
     */
    default JsonNode afterSync(RequestContext ctx, String phase, JsonNode payload, JsonNode result) {
        return result;
    }
}
