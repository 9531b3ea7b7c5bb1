package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.mutation.MutationService;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One endpoint of the route table ({@code DatafnServer.Builder} builds it; the {@link Router} runs every entry through
 * the same pipeline).
 *
 * @param method     the HTTP method; POST and PATCH requests have their JSON body read and checked ({@link #readsBody()})
 * @param path       below the base path, segments (names, dots allowed after the first character) separated by
 *                   {@code /}; a {@code *} segment matches any one segment
 *                   (still URL-encoded, possibly empty) and is handed to the handler as a parameter
 * @param action     the name {@code authorize}, plugins and the rate limiter see ({@link RequestContext#action()})
 * @param hooks      {@link Hooks#SYNC}: the payload goes through {@code beforeSync} and an {@link Outcome.Ok} result
 *                   through {@code afterSync}, with {@code action} as the phase
 * @param identified whether the caller's namespace and actor are resolved (every route but {@code status})
 */
public record Route(String method, String path, String action, Hooks hooks, boolean identified, Handler handler) {
    private static final Set<String> METHODS = Set.of("GET", "POST", "PATCH", "DELETE");
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*|\\*");

    /** Which plugin hooks the router runs around the handler (query and mutation hooks run inside their services). */
    public enum Hooks { NONE, SYNC }

    public Route {
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("route method must be one of " + METHODS + ", got " + method);
        }
        for (String segment : Objects.requireNonNull(path, "path").split("/", -1)) {
            if (!PATH.matcher(segment).matches()) {
                throw new IllegalArgumentException("route path segments are names or '*', got '" + path + "'");
            }
        }
        if (action == null || action.isBlank()) {
            throw new IllegalArgumentException("route action must be non-empty: " + path);
        }
        Objects.requireNonNull(hooks, "hooks");
        Objects.requireNonNull(handler, "handler");
    }

    /** {@code POST name}, action {@code name}, no router hooks. */
    public static Route post(String name, Handler handler) {
        return new Route("POST", name, name, Hooks.NONE, true, handler);
    }

    /** {@code POST name}, action and sync phase {@code name}. */
    public static Route sync(String name, Handler handler) {
        return new Route("POST", name, name, Hooks.SYNC, true, handler);
    }

    /** Whether the request's body is read, size-checked and parsed as JSON before the namespace and authorize. */
    public boolean readsBody() {
        return method.equals("POST") || method.equals("PATCH");
    }

    /** Answers one request that passed the pipeline. */
    @FunctionalInterface
    public interface Handler {
        Outcome handle(Call call);
    }

    /**
     * What a handler gets.
     *
     * @param ctx     the request as hooks see it (its {@code parsedBody} is the payload before {@code beforeSync})
     * @param writer  the caller's namespace and actor; null on a route that is not {@code identified}
     * @param payload the parsed body (after {@code beforeSync} on a sync route), or null when the body is not read
     * @param params  the path segments the route's {@code *} matched, in order
     */
    public record Call(RequestContext ctx, MutationService.Writer writer, JsonNode payload, List<String> params) {
        public Call {
            params = List.copyOf(params);
        }

        public String namespace() {
            return writer.namespace();
        }

        public String actorId() {
            return writer.actorId();
        }
    }
}
