package io.datafn.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.auth.NamespaceProvider;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.router.Outcome;
import io.datafn.router.RequestContext;
import io.datafn.router.Route;
import io.datafn.store.NamespaceCounters;
import io.datafn.store.Store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The admin console ({@code GET <base>/admin}, on only when an admin token is configured): its static files, which
 * ship inside the jar, and how the admin token authenticates API calls.
 *
 * <p>The console talks to the ordinary endpoints (status, query, mutation, pull, the WebSocket), so its writes are
 * mutations like any other and land in the change log. A request carrying {@code Authorization: Bearer <admin token>}
 * acts in the namespace named by the {@value #NAMESPACE_HEADER} header ({@code datafn} when absent), as actor
 * {@value #ACTOR}; a WebSocket upgrade, which a browser cannot give headers, carries the token and namespace as the
 * query parameters {@code adminToken} and {@code namespace}. Every other request goes to the normal namespace
 * provider unchanged: without the admin token nothing about authentication changes, and the header is ignored.
 */
public final class AdminConsole {
    public static final String NAMESPACE_HEADER = "X-Datafn-Namespace";
    /** The actor id the {@code audit} capability records for the console's writes. */
    public static final String ACTOR = "admin";
    static final int MIN_TOKEN_LENGTH = 16;
    private static final int MAX_NAMESPACE_LENGTH = 255;
    private static final int MAX_NAMESPACES = 1000;
    /** The files of the console: name → content type. Nothing else is served. */
    private static final Map<String, String> ASSETS = Map.of(
            "app.js", "text/javascript;charset=utf-8",
            "app.css", "text/css;charset=utf-8");

    private final byte[] tokenHash;
    private final Store store;
    private final byte[] index;
    private final Map<String, byte[]> assets;

    /**
     * @param token    the admin token, at least {@value #MIN_TOKEN_LENGTH} characters
     * @param basePath the base path the console's page refers to (links, API calls)
     */
    public AdminConsole(String token, Store store, String basePath) {
        this.tokenHash = sha256(checkToken(token));
        this.store = Objects.requireNonNull(store, "store");
        this.index = resource("index.html").replace("{{BASE}}", escapeHtml(basePath))
                .getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = new java.util.HashMap<>();
        ASSETS.keySet().forEach(name -> files.put(name, resource(name).getBytes(StandardCharsets.UTF_8)));
        this.assets = Map.copyOf(files);
    }

    /** The builder's check of the option, with a message that names it (the token itself is never echoed). */
    public static String checkToken(String token) {
        if (token == null || token.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("admin token must be at least " + MIN_TOKEN_LENGTH + " characters, got "
                    + (token == null ? "none" : token.length()));
        }
        if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("admin token must be printable ASCII without spaces");
        }
        return token;
    }

    /**
     * Whether the request carries the admin token: {@code Authorization: Bearer <token>}, or on a WebSocket upgrade
     * (action {@code ws}) the query parameter {@code adminToken}. Compared in constant time.
     */
    public boolean admits(RequestContext ctx) {
        String auth = ctx.header("Authorization");
        String given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim()
                : ctx.action().equals("ws") ? ctx.request().queryParam("adminToken") : null;
        return given != null && MessageDigest.isEqual(tokenHash, sha256(given));
    }

    /** The namespace provider of a server with the console on: the admin's choice for admin requests, else {@code normal}. */
    public NamespaceProvider guard(NamespaceProvider normal) {
        Objects.requireNonNull(normal, "namespaceProvider");
        return new NamespaceProvider() {
            @Override
            public String namespace(RequestContext ctx) {
                return identify(ctx).namespace();
            }

            @Override
            public String actorId(RequestContext ctx) {
                return identify(ctx).actorId();
            }

            @Override
            public Identity identify(RequestContext ctx) {
                return admits(ctx) ? new Identity(chosenNamespace(ctx), ACTOR) : normal.identify(ctx);
            }
        };
    }

    private static String chosenNamespace(RequestContext ctx) {
        String ns = ctx.action().equals("ws") ? ctx.request().queryParam("namespace") : ctx.header(NAMESPACE_HEADER);
        if (ns == null || ns.isEmpty()) {
            return "datafn";
        }
        if (ns.length() > MAX_NAMESPACE_LENGTH || !ns.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw DatafnException.invalid("Invalid " + NAMESPACE_HEADER + ": 1 to " + MAX_NAMESPACE_LENGTH
                    + " characters without control characters", "$");
        }
        return ns;
    }

    /**
     * The console's routes: {@code GET admin} (the page), {@code GET admin/assets/*} (its script and style) and
     * {@code GET admin/namespaces} (the namespaces with their seq counters; admin token only). The page and its files
     * are not secret; every call that reads or writes data needs the token.
     */
    public List<Route> routes() {
        return List.of(
                new Route("GET", "admin", "admin", Route.Hooks.NONE, false,
                        c -> new Outcome.Content("text/html;charset=utf-8", index)),
                new Route("GET", "admin/assets/*", "admin", Route.Hooks.NONE, false, c -> {
                    String name = c.params().get(0);
                    byte[] body = assets.get(name);
                    if (body == null) {
                        throw new DatafnException(ErrorCode.NOT_FOUND, "Not found: admin/assets/" + name, "$");
                    }
                    return new Outcome.Content(ASSETS.get(name), body);
                }),
                new Route("GET", "admin/namespaces", "admin", Route.Hooks.NONE, false, c -> {
                    if (!admits(c.ctx())) {
                        throw new DatafnException(ErrorCode.UNAUTHORIZED, "Admin token required", "$");
                    }
                    return Outcome.ok(namespaces());
                }));
    }

    /** {@code {namespaces:[{namespace, seq}]}} from the store's counter table. */
    private ObjectNode namespaces() {
        if (!(store instanceof NamespaceCounters counters)) {
            throw DatafnException.unsupported("This store cannot list namespaces", "$");
        }
        ObjectNode out = Json.object();
        ArrayNode list = out.putArray("namespaces");
        for (NamespaceCounters.Counter c : counters.namespaceCounters(MAX_NAMESPACES)) {
            list.addObject().put("namespace", c.namespace()).put("seq", c.seq());
        }
        return out;
    }

    private static String resource(String name) {
        try (InputStream in = AdminConsole.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("admin console file missing from the jar: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escapeHtml(String s) {
        return s.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
