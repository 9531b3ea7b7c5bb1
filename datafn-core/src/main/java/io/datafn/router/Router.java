package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.auth.Authorizer;
import io.datafn.auth.NamespaceProvider;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.json.Uuids;
import io.datafn.mutation.MutationEndpoint;
import io.datafn.mutation.MutationService;
import io.datafn.plugin.PluginChain;
import io.datafn.query.QueryService;
import io.datafn.rest.RestEndpoint;
import io.datafn.search.SearchService;
import io.datafn.schema.Schema;
import io.datafn.store.Store;
import io.datafn.sync.CloneService;
import io.datafn.sync.PullService;
import io.datafn.sync.PushResult;
import io.datafn.sync.PushService;
import io.datafn.sync.ReconcileService;
import io.datafn.sync.SeedService;
import io.datafn.transact.TransactService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The framework-neutral router and request pipeline (PROTOCOL.md "Request pipeline"): shutdown, payload limit, JSON
 * parse, disallowed keys, text no database can store, namespace, plugin and user authorization, handler. Errors become
 * the protocol's envelope here and only here; an unexpected exception is logged with the request id and answered 500
 * "Internal error".
 */
public final class Router {
    private static final Logger log = LoggerFactory.getLogger(Router.class);
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final List<String> CAPABILITIES = List.of("dfql.query", "dfql.mutation", "dfql.transact",
            "sync.seed", "sync.clone", "sync.pull", "sync.push", "sync.reconcile");
    private static final long DISCARD_AT_LEAST = 16L << 20;
    private static final long DISCARD_NANOS = 10_000_000_000L;
    private static final Set<String> POST_ROUTES = Set.of("query", "search", "mutation", "transact", "clone", "pull", "push",
            "reconcile", "seed");

    private final String basePath;
    private final Schema schema;
    private final Store store;
    private final Limits limits;
    private final Clock clock;
    private final Authorizer authorizer;
    private final NamespaceProvider namespaces;
    private final PluginChain plugins;
    private final QueryService queries;
    private final MutationEndpoint mutations;
    private final TransactService transact;
    private final SyncServices sync;
    private final RestEndpoint restEndpoint;
    private final RateLimiter rateLimiter;
    private final SearchService search;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean shuttingDown;

    /** Wiring of the router's collaborators; built by {@code DatafnServer.Builder}. */
    public record Wiring(String basePath, Schema schema, Store store, Limits limits, Clock clock, Authorizer authorizer,
                         NamespaceProvider namespaces, PluginChain plugins, QueryService queries,
                         MutationEndpoint mutations, TransactService transact, SyncServices sync,
                         RestEndpoint rest, RateLimiter rateLimiter, SearchService search) {
    }

    /** The sync endpoints' services. */
    public record SyncServices(CloneService cloneService, PullService pullService, PushService pushService,
                               ReconcileService reconcileService, SeedService seedService) {
    }

    public Router(Wiring w) {
        this.basePath = w.basePath();
        this.schema = w.schema();
        this.store = w.store();
        this.limits = w.limits();
        this.clock = w.clock();
        this.authorizer = w.authorizer();
        this.namespaces = w.namespaces();
        this.plugins = w.plugins();
        this.queries = w.queries();
        this.mutations = w.mutations();
        this.transact = w.transact();
        this.sync = w.sync();
        this.restEndpoint = w.rest();
        this.rateLimiter = w.rateLimiter();
        this.search = w.search();
    }

    public String basePath() {
        return basePath;
    }

    /** New requests are answered 503 from now on; requests already inside finish. */
    public void beginShutdown() {
        shuttingDown = true;
    }

    /** Waits until no request is in flight, at most {@code timeoutMs}; true when idle. */
    public boolean awaitIdle(long timeoutMs) {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (inFlight.get() > 0 && System.nanoTime() < end) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return inFlight.get() == 0;
    }

    public Response handle(Request req) {
        String incoming = req.header().apply("X-Request-Id");
        String requestId = incoming != null && REQUEST_ID.matcher(incoming).matches() ? incoming : Uuids.random();
        MDC.put("requestId", requestId);
        inFlight.incrementAndGet();
        Body body = new Body(req.body());
        Response resp;
        try {
            resp = dispatch(new Request(req.method(), req.path(), req.query(), req.header(), req.contentLength(), body,
                    req.native_()), requestId);
        } catch (DatafnException e) {
            resp = error(e);
        } catch (RuntimeException | Error e) {
            log.error("[{}] {} {} failed", requestId, req.method(), req.path(), e);
            resp = error(new DatafnException(ErrorCode.INTERNAL, "Internal error", "$"));
        } finally {
            inFlight.decrementAndGet();
            MDC.remove("requestId");
        }
        return discardRest(req, body, resp).withHeader("X-Request-Id", requestId);
    }

    /** The error envelope of {@code e} ({@link Envelope#error}). */
    public static Response error(DatafnException e) {
        return Envelope.error(e);
    }

    private Response dispatch(Request req, String requestId) {
        if (shuttingDown) {
            return error(new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Server is shutting down", "$"));
        }
        String rest = relative(req.path());
        String route = routeOf(rest, req.method());
        if (route == null) {
            return error(new DatafnException(ErrorCode.NOT_FOUND, "Not found: " + req.method() + " " + req.path(), "$"));
        }
        boolean isRest = route.equals("resources");
        String action = isRest ? RestEndpoint.action(req.method()) : route;
        if (rateLimiter != null && !rateLimiter.tryAcquire(action + ":" + rateKey(req, requestId, action))) {
            return error(new DatafnException(ErrorCode.RATE_LIMITED, "Too many requests", "$"))
                    .withHeader("Retry-After", Long.toString(rateLimiter.retryAfterSeconds()));
        }
        if (req.contentLength() > limits.maxPayloadBytes()) {
            throw tooLarge();
        }
        JsonNode payload = null;
        if (req.method().equals("POST") || req.method().equals("PATCH") || req.method().equals("PUT")) {
            payload = Json.parseBody(readBody(req.body()));
            String bad = Json.findDisallowedKey(payload);
            if (bad != null) {
                throw DatafnException.invalid("Disallowed key: " + bad, "$");
            }
            String unstorable = Json.findUnstorableText(payload);
            if (unstorable != null) {
                throw DatafnException.invalid("Invalid DFQL: strings may not contain NUL characters or unpaired surrogates",
                        unstorable);
            }
        }
        RequestContext ctx = new RequestContext(req, requestId, action, payload);
        NamespaceProvider.Identity id = route.equals("status") ? null : identify(ctx);
        String ns = id == null ? null : id.namespace();
        plugins.authorize(ctx, action, payload);
        if (!authorizer.authorize(ctx, action, payload)) {
            throw new DatafnException(ErrorCode.FORBIDDEN, "Authorization denied", "$");
        }
        MutationService.Writer writer = id == null ? null : new MutationService.Writer(ns, id.actorId());
        if (route.equals("clone")) {
            JsonNode body = plugins.beforeSync(ctx, route, payload);
            CloneService.Plan plan = sync.cloneService().plan(body);
            return streamed(requestId, sync.cloneService().stream(ns, id.actorId(), plan));
        }
        if (route.equals("push")) {
            JsonNode body = plugins.beforeSync(ctx, route, payload);
            PushResult r = sync.pushService().push(writer, body);
            if (!r.ok()) {
                // E2: any failed mutation answers 400 with the full result (and the first error, for clients that
                // only read the envelope)
                return Envelope.failed(400, r.toJson(), r.firstError());
            }
            return Envelope.ok(afterSync(ctx, route, body, r.toJson()));
        }
        JsonNode result = switch (route) {
            case "status" -> status();
            case "resources" -> restEndpoint.handle(ctx, ns, writer, req.method(),
                    rest.substring("resources/".length()).split("/", -1), payload);
            case "query" -> queries.handle(ctx, ns, id.actorId(), payload);
            case "search" -> search.handle(ns, payload);
            case "mutation" -> mutations.handle(ctx, writer, payload);
            case "transact" -> transact.handle(writer, payload).toJson();
            case "pull" -> {
                JsonNode body = plugins.beforeSync(ctx, route, payload);
                yield afterSync(ctx, route, body, sync.pullService().pull(ns, id.actorId(), body).toJson());
            }
            case "reconcile" -> {
                JsonNode body = plugins.beforeSync(ctx, route, payload);
                yield afterSync(ctx, route, body, sync.reconcileService().reconcile(ns, id.actorId(), body));
            }
            case "seed" -> {
                JsonNode body = plugins.beforeSync(ctx, route, payload);
                yield afterSync(ctx, route, body, sync.seedService().seed(writer, body));
            }
            default -> throw new IllegalStateException("unrouted " + route);
        };
        return Envelope.ok(result);
    }

    private JsonNode afterSync(RequestContext ctx, String phase, JsonNode payload, JsonNode result) {
        plugins.afterSync(ctx, phase, payload, result);
        return result; // as the original, afterSync observes; it does not change the response
    }

    /** A streamed body, counted as in flight and logged under its request id while it is written. */
    private Response streamed(String requestId, BodyWriter writer) {
        return Response.streaming(out -> {
            inFlight.incrementAndGet();
            MDC.put("requestId", requestId);
            try {
                writer.writeTo(out);
            } catch (IOException | RuntimeException e) {
                log.error("[{}] streaming the response failed; the connection is aborted", requestId, e);
                throw e instanceof IOException io ? io : new IOException(e);
            } finally {
                MDC.remove("requestId");
                inFlight.decrementAndGet();
            }
        });
    }

    /**
     * The namespace of a WebSocket upgrade request (headers and cookies only); throws when the caller is not
     * authenticated, which the adapter answers by closing the socket with 4401.
     */
    public NamespaceProvider.Identity identifyUpgrade(Request req, String requestId) {
        return identify(new RequestContext(req, requestId, "ws", null));
    }

    /** A provider that fails is a 500 (or its own DatafnException, e.g. 401); never a fall back to a shared namespace. */
    private NamespaceProvider.Identity identify(RequestContext ctx) {
        NamespaceProvider.Identity id = namespaces.identify(ctx);
        if (id == null || id.namespace() == null || id.namespace().isEmpty()) {
            throw new IllegalStateException("namespace provider returned no namespace");
        }
        return id;
    }

    /** The path below the base path, or null when the request is not under it. */
    private String relative(String path) {
        return path.startsWith(basePath + "/") ? path.substring(basePath.length() + 1) : null;
    }

    /** The route a method and relative path select, or null (404). */
    private String routeOf(String rest, String method) {
        if (rest == null || rest.isEmpty()) {
            return null;
        }
        if (restEndpoint != null && rest.startsWith("resources/")) {
            int segments = rest.substring("resources/".length()).split("/", -1).length;
            boolean ok = switch (method) {
                case "GET", "POST" -> segments == 1;
                case "PATCH", "DELETE" -> segments == 2;
                default -> false;
            };
            return ok ? "resources" : null;
        }
        if (rest.contains("/")) {
            return null;
        }
        if (rest.equals("status")) {
            return method.equals("GET") ? rest : null;
        }
        return POST_ROUTES.contains(rest) && method.equals("POST") ? rest : null;
    }

    /** The rate-limit key: the caller's namespace, or {@code anonymous} when it cannot be told (no token yet). */
    private String rateKey(Request req, String requestId, String action) {
        try {
            return namespaces.identify(new RequestContext(req, requestId, action, null)).namespace();
        } catch (RuntimeException e) {
            return "anonymous";
        }
    }

    private DatafnException tooLarge() {
        return new DatafnException(ErrorCode.LIMIT_EXCEEDED, "Request payload exceeds maximum size", "$", 413,
                Map.of("max", limits.maxPayloadBytes()), null);
    }

    private byte[] readBody(InputStream in) {
        long max = limits.maxPayloadBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (out.size() > max) {
                    throw tooLarge();
                }
            }
        } catch (IOException e) {
            throw DatafnException.invalid("Failed to read request body", "$");
        }
        return out.toByteArray();
    }

    /** The request body as the router reads it: whether it was read at all, and whether its end was seen. */
    private static final class Body extends FilterInputStream {
        boolean touched;
        boolean ended;

        Body(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            touched = true;
            int b = super.read();
            ended |= b < 0;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            touched = true;
            int n = super.read(b, off, len);
            ended |= n < 0;
            return n;
        }
    }

    /**
     * Reads away what is left of the request body after an answer that did not need all of it (an early error such as
     * 413), so that a client still sending can finish and then read the answer instead of having its connection reset:
     * at most 4 x {@code maxPayloadBytes} (at least 16 MiB) and 10 seconds. When the rest stays unread (a longer body,
     * or a client that awaits {@code 100-continue} and has not sent it) the answer closes the connection.
     */
    private Response discardRest(Request req, Body body, Response resp) {
        long budget = Math.max(Math.min(limits.maxPayloadBytes(), Long.MAX_VALUE / 4) * 4, DISCARD_AT_LEAST);
        boolean awaitsContinue = !body.touched && "100-continue".equalsIgnoreCase(req.header().apply("Expect"));
        if (!body.ended && !awaitsContinue && req.contentLength() <= budget) {
            long deadline = System.nanoTime() + DISCARD_NANOS;
            byte[] buf = new byte[8192];
            try {
                while (!body.ended && budget > 0 && System.nanoTime() - deadline < 0) {
                    budget -= Math.max(body.read(buf), 0);
                }
            } catch (IOException e) {
                // the client stopped sending or went away
            }
        }
        return body.ended ? resp : resp.withHeader("Connection", "close");
    }

    private JsonNode status() {
        if (!store.healthy()) {
            throw new DatafnException(ErrorCode.INTERNAL, "Internal error", "$");
        }
        ObjectNode r = Json.object();
        r.put("schemaHash", schema.hash());
        ArrayNode caps = r.putArray("capabilities");
        CAPABILITIES.forEach(caps::add);
        if (search.enabled()) {
            caps.add("dfql.search");
        }
        ObjectNode l = r.putObject("limits");
        l.put("maxLimit", limits.maxLimit());
        if (limits.transactStepsConfigured()) {
            l.put("maxTransactSteps", limits.maxTransactSteps());
        }
        l.put("maxPayloadBytes", limits.maxPayloadBytes());
        l.put("maxPullLimit", limits.maxPullLimit());
        r.put("serverTimeMs", Math.round(clock.millis() / 60000.0) * 60000L);
        return r;
    }
}
