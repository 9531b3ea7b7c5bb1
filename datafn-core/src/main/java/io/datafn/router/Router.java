package io.datafn.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.auth.Authorizer;
import io.datafn.auth.NamespaceProvider;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.json.Uuids;
import io.datafn.mutation.MutationService;
import io.datafn.observe.RequestEvent;
import io.datafn.observe.ServerObserver;
import io.datafn.plugin.PluginChain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * The framework-neutral router and request pipeline (PROTOCOL.md "Request pipeline"): shutdown, rate limit, payload
 * limit, JSON parse, disallowed keys, text no database can store, namespace, plugin and user authorization, handler.
 * Every endpoint is one {@link Route} of the table {@code DatafnServer.Builder} builds, and every route runs through
 * this one pipeline. Errors become the protocol's envelope here ({@link Envelope}) and only here; an unexpected
 * exception is logged with the request id and answered 500 "Internal error".
 */
public final class Router {
    private static final Logger log = LoggerFactory.getLogger(Router.class);
    /** The logger of the access log: one INFO line per answered request (turn it off with this logger's level). */
    public static final String ACCESS_LOGGER = "io.datafn.access";
    private static final Logger access = LoggerFactory.getLogger(ACCESS_LOGGER);
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final long DISCARD_AT_LEAST = 16L << 20;
    private static final long DISCARD_NANOS = 10_000_000_000L;
    private static final long DISCARD_IDLE_MILLIS = 1000;

    private final String basePath;
    private final Limits limits;
    private final Authorizer authorizer;
    private final NamespaceProvider namespaces;
    private final PluginChain plugins;
    private final RateLimiter rateLimiter;
    private final ServerObserver observer;
    private final List<Entry> routes;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean shuttingDown;

    /**
     * Wiring of the router; built by {@code DatafnServer.Builder}.
     *
     * @param rateLimiter null when rate limiting is off
     * @param observer    told about every answered request ({@link ServerObserver#NONE} for none)
     * @param routes      the route table: at most one route per method and path
     */
    public record Wiring(String basePath, Limits limits, Authorizer authorizer, NamespaceProvider namespaces,
                         PluginChain plugins, RateLimiter rateLimiter, ServerObserver observer, List<Route> routes) {
        public Wiring {
            java.util.Objects.requireNonNull(observer, "observer");
            routes = List.copyOf(routes);
        }
    }

    /** A route with its path split into segments once. */
    private record Entry(Route route, String[] pattern) {
        /** The segments the route's {@code *} matched, or null when the route does not match. */
        List<String> match(String method, String[] segments) {
            // HEAD is GET without the body (RFC 9110 §9.3.2); the adapter sends no body for it
            boolean sameMethod = route.method().equals(method) || method.equals("HEAD") && route.method().equals("GET");
            if (!sameMethod || segments.length != pattern.length) {
                return null;
            }
            List<String> params = new ArrayList<>();
            for (int i = 0; i < pattern.length; i++) {
                if (pattern[i].equals("*")) {
                    params.add(segments[i]);
                } else if (!pattern[i].equals(segments[i])) {
                    return null;
                }
            }
            return params;
        }
    }

    public Router(Wiring w) {
        this.basePath = w.basePath();
        this.limits = w.limits();
        this.authorizer = w.authorizer();
        this.namespaces = w.namespaces();
        this.plugins = w.plugins();
        this.rateLimiter = w.rateLimiter();
        this.observer = w.observer();
        Set<String> seen = new HashSet<>();
        List<Entry> entries = new ArrayList<>();
        for (Route r : w.routes()) {
            if (!seen.add(r.method() + " " + r.path())) {
                throw new IllegalArgumentException("two routes for " + r.method() + " " + r.path());
            }
            entries.add(new Entry(r, r.path().split("/", -1)));
        }
        this.routes = List.copyOf(entries);
    }

    /** The route table, in the order routes are matched (the OpenAPI document describes each). */
    public List<Route> routes() {
        return routes.stream().map(Entry::route).toList();
    }

    /** The request limits this router enforces (the adapter sizes its buffers by them). */
    public Limits limits() {
        return limits;
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
        Exchange ex = new Exchange(requestId, req.method(), System.nanoTime());
        MDC.put("requestId", requestId);
        inFlight.incrementAndGet();
        Body body = new Body(req.body());
        Response resp;
        try {
            resp = dispatch(new Request(req.method(), req.path(), req.query(), req.header(), req.contentLength(), body,
                    req.native_()), ex);
        } catch (DatafnException e) {
            resp = Envelope.error(e);
        } catch (RuntimeException | Error e) {
            log.error("[{}] {} {} failed", requestId, req.method(), req.path(), e);
            resp = Envelope.error(new DatafnException(ErrorCode.INTERNAL, "Internal error", "$"));
        } finally {
            inFlight.decrementAndGet();
        }
        try {
            resp = discardRest(req, body, resp).withHeader("X-Request-Id", requestId);
            if (resp.stream() == null) { // a streamed answer is finished once its body is written (streamed())
                finished(ex, resp.status());
            }
        } finally {
            MDC.remove("requestId");
        }
        return resp;
    }

    /** What one request turned out to be, filled in by {@link #dispatch} as it learns it, for the access log. */
    private static final class Exchange {
        final String requestId;
        final String method;
        final long startNanos;
        Route route;
        String namespace;

        Exchange(String requestId, String method, long startNanos) {
            this.requestId = requestId;
            this.method = method;
            this.startNanos = startNanos;
        }
    }

    /**
     * The end of a request: one access-log line (request id in the MDC; namespace, route, status and ms as key-value
     * pairs, which the JSON log format writes as fields) and the observer's event.
     */
    private void finished(Exchange ex, int status) {
        String route = ex.route == null ? RequestEvent.UNMATCHED : ex.route.path();
        String action = ex.route == null ? RequestEvent.UNMATCHED : ex.route.action();
        RequestEvent e = new RequestEvent(ex.requestId, ex.method, route, action, ex.namespace, status,
                System.nanoTime() - ex.startNanos);
        if (access.isInfoEnabled()) {
            org.slf4j.spi.LoggingEventBuilder line = access.atInfo().setMessage("{} {} {} {} ms ns={}")
                    .addArgument(e.method()).addArgument(route).addArgument(status).addArgument(e.millis())
                    .addArgument(e.namespace() == null ? "-" : e.namespace());
            if (e.namespace() != null) {
                line = line.addKeyValue("namespace", e.namespace());
            }
            line.addKeyValue("method", e.method()).addKeyValue("route", route).addKeyValue("status", status)
                    .addKeyValue("ms", e.millis()).log();
        }
        try {
            observer.requestFinished(e);
        } catch (RuntimeException failure) {
            log.warn("[{}] observer failed on the request event (ignored)", ex.requestId, failure);
        }
    }

    private Response dispatch(Request req, Exchange ex) {
        String requestId = ex.requestId;
        if (shuttingDown) {
            return Envelope.error(new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Server is shutting down", "$"));
        }
        Match match = match(req.method(), req.path());
        if (match == null) {
            return Envelope.error(new DatafnException(ErrorCode.NOT_FOUND, "Not found: " + req.method() + " " + req.path(), "$"));
        }
        Route route = match.route();
        ex.route = route;
        Caller caller = null;
        if (rateLimiter != null) {
            // the namespace is resolved once, before the body is read; a caller it refuses is limited as
            // "anonymous" and gets its error at the namespace step, after the body checks
            caller = caller(new RequestContext(req, requestId, route.action(), null));
            ex.namespace = caller.id() == null ? null : caller.id().namespace();
            long wait = rateLimiter.acquire(route.action(), caller.rateKey());
            if (wait > 0) {
                return Envelope.error(new DatafnException(ErrorCode.RATE_LIMITED, "Too many requests", "$"))
                        .withHeader("Retry-After", Long.toString(wait));
            }
        }
        if (req.contentLength() > limits.maxPayloadBytes()) {
            throw tooLarge();
        }
        JsonNode payload = route.readsBody() ? payload(req) : null;
        RequestContext ctx = new RequestContext(req, requestId, route.action(), payload);
        NamespaceProvider.Identity id = !route.identified() ? null : caller != null ? caller.identity() : identify(ctx);
        ex.namespace = id == null ? null : id.namespace();
        plugins.authorize(ctx, route.action(), payload);
        if (!authorizer.authorize(ctx, route.action(), payload)) {
            throw new DatafnException(ErrorCode.FORBIDDEN, "Authorization denied", "$");
        }
        boolean sync = route.hooks() == Route.Hooks.SYNC;
        JsonNode input = sync ? plugins.beforeSync(ctx, route.action(), payload) : payload;
        MutationService.Writer writer = id == null ? null : new MutationService.Writer(id.namespace(), id.actorId());
        Outcome out = route.handler().handle(new Route.Call(ctx, writer, input, match.params()));
        if (out instanceof Outcome.Ok ok) {
            if (sync) {
                plugins.afterSync(ctx, route.action(), input, ok.result()); // observes; the response stays as it is
            }
            return Envelope.ok(ok.result());
        }
        if (out instanceof Outcome.Failed f) {
            return Envelope.failed(f.status(), f.result(), f.error());
        }
        if (out instanceof Outcome.Content c) {
            return new Response(200, Map.of("Content-Type", c.contentType(), "X-Content-Type-Options", "nosniff",
                    "Cache-Control", "no-cache"), c.body());
        }
        return streamed(ex, ((Outcome.Streamed) out).body());
    }

    /** The body parsed as JSON and checked for disallowed keys and text no database can store. */
    private JsonNode payload(Request req) {
        JsonNode payload = Json.parseBody(readBody(req.body()));
        String bad = Json.findDisallowedKey(payload);
        if (bad != null) {
            throw DatafnException.invalid("Disallowed key: " + bad, "$");
        }
        String unstorable = Json.findUnstorableText(payload);
        if (unstorable != null) {
            throw DatafnException.invalid("Invalid DFQL: strings may not contain NUL characters or unpaired surrogates",
                    unstorable);
        }
        return payload;
    }

    /**
     * A streamed body, counted as in flight and logged under its request id while it is written; the request is
     * finished (access log, observer) when the body is.
     */
    private Response streamed(Exchange ex, BodyWriter writer) {
        String requestId = ex.requestId;
        return Response.streaming(out -> {
            inFlight.incrementAndGet();
            MDC.put("requestId", requestId);
            try {
                writer.writeTo(out);
            } catch (IOException | RuntimeException e) {
                log.error("[{}] streaming the response failed; the connection is aborted", requestId, e);
                throw e instanceof IOException io ? io : new IOException(e);
            } finally {
                finished(ex, 200);
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

    /** The caller as resolved for the rate limiter: its identity, or the failure to answer at the namespace step. */
    private Caller caller(RequestContext ctx) {
        try {
            return new Caller(identify(ctx), null);
        } catch (RuntimeException e) {
            return new Caller(null, e);
        }
    }

    private record Caller(NamespaceProvider.Identity id, RuntimeException failure) {
        /** The caller's namespace, or {@code anonymous} when it cannot be told (no token yet). */
        String rateKey() {
            return id == null ? "anonymous" : id.namespace();
        }

        NamespaceProvider.Identity identity() {
            if (failure != null) {
                throw failure;
            }
            return id;
        }
    }

    private record Match(Route route, List<String> params) {
    }

    /** The route a method and path select, with what its {@code *} segments matched; null (404) when none. */
    private Match match(String method, String path) {
        if (!path.startsWith(basePath + "/")) {
            return null;
        }
        String[] segments = path.substring(basePath.length() + 1).split("/", -1);
        for (Entry e : routes) {
            List<String> params = e.match(method, segments);
            if (params != null) {
                return new Match(e.route(), params);
            }
        }
        return null;
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

    /** The request body as the router reads it: whether it was read at all, how much of it, and whether its end was seen. */
    private static final class Body extends FilterInputStream {
        boolean touched;
        boolean ended;
        long count;

        Body(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            touched = true;
            int b = super.read();
            ended |= b < 0;
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            touched = true;
            int n = super.read(b, off, len);
            ended |= n < 0;
            count += Math.max(n, 0);
            return n;
        }
    }

    /**
     * Reads away what is left of the request body after an answer that did not need all of it (an early error such as
     * 413), so that a client still sending can finish and then read the answer instead of having its connection reset:
     * at most 4 x {@code maxPayloadBytes} (at least 16 MiB) and 10 seconds, and only while the client keeps sending:
     * reads never block, and a client that has sent nothing for {@value #DISCARD_IDLE_MILLIS} ms is waiting for the
     * answer (a declared length it will not send before it reads one), so it gets it at once. When the rest stays
     * unread (a longer body, a stalled client, or one that awaits {@code 100-continue} and has not sent it) the answer
     * closes the connection.
     */
    private Response discardRest(Request req, Body body, Response resp) {
        if (req.contentLength() == 0 || (req.contentLength() < 0 && req.header().apply("Transfer-Encoding") == null)) {
            return resp; // no body (a GET): nothing to read away, and the stream is never opened
        }
        long budget = Math.max(Math.min(limits.maxPayloadBytes(), Long.MAX_VALUE / 4) * 4, DISCARD_AT_LEAST);
        boolean awaitsContinue = !body.touched && "100-continue".equalsIgnoreCase(req.header().apply("Expect"));
        if (!body.ended && !awaitsContinue && req.contentLength() <= budget) {
            long deadline = System.nanoTime() + DISCARD_NANOS;
            long idleSince = System.nanoTime();
            byte[] buf = new byte[8192];
            try {
                while (!body.ended && !(req.contentLength() > 0 && body.count >= req.contentLength()) && budget > 0
                        && System.nanoTime() - deadline < 0) {
                    int available = body.available();
                    if (available > 0) {
                        budget -= Math.max(body.read(buf, 0, Math.min(available, buf.length)), 0);
                        idleSince = System.nanoTime();
                    } else if (System.nanoTime() - idleSince > DISCARD_IDLE_MILLIS * 1_000_000L) {
                        break;
                    } else {
                        Thread.sleep(2);
                    }
                }
            } catch (IOException e) {
                // the client stopped sending or went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        boolean all = body.ended || (req.contentLength() > 0 && body.count >= req.contentLength());
        return all ? resp : resp.withHeader("Connection", "close");
    }
}
