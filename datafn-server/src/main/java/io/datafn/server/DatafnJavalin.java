package io.datafn.server;

import io.datafn.DatafnServer;
import io.datafn.Readiness;
import io.datafn.json.Json;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.router.Router;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.datafn.realtime.LatestFrameSocket;
import io.datafn.realtime.Socket;
import io.datafn.realtime.TextMessage;
import io.datafn.realtime.WebSocketHub;
import io.javalin.http.HandlerType;
import io.javalin.router.EndpointNotFound;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsHandlerType;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.handler.EagerContentHandler;
import org.eclipse.jetty.session.DefaultSessionCache;
import org.eclipse.jetty.session.NullSessionDataStore;
import org.eclipse.jetty.session.SessionCache;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

import java.io.IOException;
import java.util.Map;

/**
 * Mounts a {@link DatafnServer} in a Javalin 7 application. The adapter only translates bytes: every decision is the
 * router's.
 *
 * <pre>{@code
 * Javalin.create(config -> DatafnJavalin.mount(config, server)).start(8080);
 * }</pre>
 */
public final class DatafnJavalin {
    private DatafnJavalin() {
    }

    /**
     * Routes every method under the server's base path to its router. Jetty is told to pass unusual URIs (encoded
     * slashes, NUL bytes) through, so that the router answers them with the protocol's envelope instead of Jetty's own
     * error page.
     */
    public static void mount(JavalinConfig config, DatafnServer server) {
        mount(config, server, ClientLimits.defaults());
    }

    /**
     * As {@link #mount(JavalinConfig, DatafnServer)}, with what one client may hold: request deadlines and connections
     * and WebSockets per remote address.
     */
    public static void mount(JavalinConfig config, DatafnServer server, ClientLimits clients) {
        Router router = server.router();
        SourceLimits sources = new SourceLimits(java.util.Objects.requireNonNull(clients, "clients"));
        config.jetty.modifyHttpConfiguration(http -> {
            http.setUriCompliance(UriCompliance.UNSAFE);
            // room for large tokens (a JWT with many claims): up to 64 KiB of headers reach the router, which answers
            // a bad token 401; beyond that Jetty answers 431 in the envelope (JsonErrorHandler)
            http.setRequestHeaderSize(MAX_HEADER_BYTES);
        });
        config.jetty.modifyServletContextHandler(handler -> {
            handler.getServletHandler().setDecodeAmbiguousURIs(true);
            // Javalin asks for the HTTP session of every WebSocket upgrade (for WsContext's session attributes), and
            // Jetty's default cache keeps each such session with no idle expiry: memory that grows with every
            // reconnect. Nothing here uses sessions, so none is kept past its request.
            DefaultSessionCache sessions = new DefaultSessionCache(handler.getSessionHandler());
            sessions.setEvictionPolicy(SessionCache.EVICT_ON_SESSION_EXIT);
            sessions.setSessionDataStore(new NullSessionDataStore());
            handler.getSessionHandler().setSessionCache(sessions);
        });
        // no permessage-deflate (browsers offer it): a cursor message is ~100 bytes, and compressing it would cost a
        // deflater per socket (its window and memory) and a compression per socket per commit
        config.jetty.modifyWebSocketServletFactory(factory -> factory.getAvailableExtensionNames().remove("permessage-deflate"));
        config.jetty.modifyServer(jetty -> {
            jetty.setErrorHandler(new JsonErrorHandler());
            // the connectors exist once the server starts (Javalin adds its default one just before)
            jetty.addEventListener(new LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(LifeCycle event) {
                    HttpConnections.install(jetty, router.basePath(), clients);
                    for (org.eclipse.jetty.server.Connector c : jetty.getConnectors()) {
                        if (c instanceof org.eclipse.jetty.server.AbstractConnector connector) {
                            connector.addBean(sources); // a Connection.Listener of every connection it opens
                        }
                    }
                    // a request body is read without a thread before the request is handled: a slow upload holds a
                    // connection, not one of the request threads (300 uploads at 1 byte/s no longer starve the server)
                    // (not for a body the router refuses at once: a declared length over the limit, or a client
                    // that waits for 100-continue, is answered without waiting for its body)
                    long max = router.limits().maxPayloadBytes();
                    EagerContentHandler eager = new EagerContentHandler(jetty.getHandler(),
                            new EagerContentHandler.RetainedContentLoaderFactory(max + 1, -1, false));
                    // nor for a request without a body (a GET): there is nothing to wait for, and going through
                    // the loader costs a dispatch per request
                    eager.exclude(req -> req.getLength() > max
                            || req.getHeaders().contains(org.eclipse.jetty.http.HttpHeader.EXPECT)
                            || !hasBody(req.getLength(), req.getHeaders().get(org.eclipse.jetty.http.HttpHeader.TRANSFER_ENCODING)));
                    jetty.setHandler(eager);
                }
            });
        });
        String pattern = router.basePath() + "/*";
        config.routes.addWsHandler(WsHandlerType.WEBSOCKET, router.basePath() + "/ws", ws -> websocket(server, sources, ws));
        for (HandlerType method : new HandlerType[]{HandlerType.GET, HandlerType.POST, HandlerType.PUT,
                HandlerType.PATCH, HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS, HandlerType.TRACE}) {
            config.routes.addHttpHandler(method, pattern, ctx -> handle(router, ctx));
        }
        // any other method (FOO, CONNECT, ...) under the base path: the router answers it with the envelope too,
        // instead of Javalin's plain-text "Endpoint ... not found"
        config.routes.exception(EndpointNotFound.class, (e, ctx) -> {
            if (ctx.path().startsWith(router.basePath() + "/") || ctx.path().equals(router.basePath())) {
                try {
                    handle(router, ctx);
                } catch (IOException io) {
                    throw new java.io.UncheckedIOException(io);
                }
            } else {
                ctx.status(404).result("Not found");
            }
        });
    }

    /** Whether an HTTP/1.1 request has a body: a declared length above 0, or a transfer coding (chunked). */
    static boolean hasBody(long contentLength, String transferEncoding) {
        return contentLength > 0 || (contentLength < 0 && transferEncoding != null);
    }

    /** The Prometheus text format {@code GET /metrics} answers in. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    /**
     * The operations endpoints, at the root (outside the base path; mount them before {@link #mount}, so that they win
     * over a base path of {@code ""}): {@code GET /healthz} (liveness: 200 {@code {"ok":true}} while the process
     * serves), {@code GET /readyz} (readiness: 200, or 503 with the reason, see {@link DatafnServer#readiness()}) and,
     * when {@code prometheus} is given, {@code GET /metrics} in the Prometheus text format. They do not go through the
     * router: no access-log line, no request metrics, no rate limit, no authentication (keep them off the public
     * internet with the reverse proxy when that matters).
     */
    public static void mountOperations(JavalinConfig config, DatafnServer server, PrometheusMeterRegistry prometheus) {
        config.routes.get("/healthz", ctx -> ctx.status(200).contentType(Response.JSON).result("{\"ok\":true}"));
        config.routes.get("/readyz", ctx -> {
            Readiness.Report r = server.readiness();
            ctx.status(r.status()).contentType(Response.JSON).result(Json.text(r.toJson()));
            if (!r.ready()) {
                ctx.header("Retry-After", "1");
            }
        });
        if (prometheus != null) {
            config.routes.get("/metrics", ctx -> ctx.status(200).contentType(PROMETHEUS_TEXT).result(prometheus.scrape()));
        }
    }

    /** The largest request head (request line and headers) the server reads. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    /**
     * {@code GET <base>/ws}: the upgrade is authenticated with the same namespace provider as HTTP (headers and
     * cookies); an unauthenticated socket is accepted and closed with 4401 (browsers only see close codes). Client
     * messages ({@code hello}) are ignored: the namespace never comes from the client.
     */
    private static void websocket(DatafnServer server, SourceLimits sources, WsConfig ws) {
        WebSocketHub hub = server.websocketHub();
        ws.onConnect(ctx -> {
            Request req = new Request("GET", server.router().basePath() + "/ws", ctx.queryParamMap(), ctx::header, 0, null, ctx);
            String ns;
            try {
                ns = server.router().identifyUpgrade(req, ctx.sessionId()).namespace();
            } catch (RuntimeException e) {
                ctx.closeSession(WebSocketHub.CLOSE_UNAUTHORIZED, "Unauthorized");
                return;
            }
            java.net.SocketAddress remote = ctx.session.getRemoteSocketAddress();
            if (!sources.acquireSocket(remote)) {
                ctx.closeSession(WebSocketHub.CLOSE_LIMIT, "Connection limit of this address reached");
                return;
            }
            Socket socket = new JettySocket(ctx, hub);
            if (hub.add(ns, socket)) {
                ctx.attribute("datafn.ns", ns);
                ctx.attribute("datafn.socket", socket);
                ctx.session.setIdleTimeout(hub.idleTimeout()); // the hub's heartbeat pings and times out sockets
                ctx.attribute("datafn.source", remote); // the slot is given back on close
            } else {
                sources.releaseSocket(remote);
            }
        });
        ws.onMessage(ctx -> {
            // the client's hello carries cursors and maybe a namespace; neither is trusted or needed
        });
        ws.onClose(ctx -> forget(hub, sources, ctx));
        ws.onError(ctx -> forget(hub, sources, ctx));
    }

    /**
     * A Jetty session as the hub's socket. The frame goes straight to Jetty's core session with the message's shared
     * UTF-8 bytes, and the socket itself is the write's callback (one frame in flight, {@link LatestFrameSocket}):
     * {@code Session.sendText(String, Callback)} would encode the text again and allocate a frame adapter, two
     * callbacks and their lambdas per socket per commit (issue 8: 10 000 sockets per namespace). The frame on the
     * wire is the same, one unfragmented text frame. Pings for the hub's heartbeat go the same way; its pongs are
     * heard through {@link PongHook}.
     */
    static final class JettySocket extends LatestFrameSocket implements org.eclipse.jetty.util.Callback {
        private final WsContext ctx;
        private final CoreSession core;
        private final boolean hearsPongs;

        JettySocket(WsContext ctx, WebSocketHub hub) {
            this.ctx = ctx;
            this.core = ((WebSocketSession) ctx.session).getCoreSession();
            this.hearsPongs = PongHook.install((WebSocketSession) ctx.session, () -> hub.ponged(this));
        }

        @Override
        public boolean ping() {
            if (hearsPongs) {
                core.sendFrame(new Frame(OpCode.PING), org.eclipse.jetty.util.Callback.NOOP, false);
            }
            return hearsPongs;
        }

        @Override
        protected void write(TextMessage message) {
            core.sendFrame(new Frame(OpCode.TEXT, message.utf8()), this, false);
        }

        @Override
        public void succeeded() {
            written(null);
        }

        @Override
        public void failed(Throwable x) {
            written(x);
        }

        @Override
        public void close(int code, String reason) {
            ctx.closeSession(code, reason);
        }
    }

    private static void forget(WebSocketHub hub, SourceLimits sources, WsContext ctx) {
        java.net.SocketAddress remote = ctx.attribute("datafn.source");
        if (remote != null) {
            ctx.attribute("datafn.source", null);
            sources.releaseSocket(remote);
        }
        String ns = ctx.attribute("datafn.ns");
        Socket socket = ctx.attribute("datafn.socket");
        if (ns != null && socket != null) {
            hub.remove(ns, socket);
        }
    }

    static void handle(Router router, Context ctx) throws IOException {
        String rawPath = (String) ctx.req().getAttribute(RawTargets.ATTRIBUTE);
        Request req = new Request(ctx.method().name(), rawPath != null ? rawPath : ctx.path(), ctx.queryParamMap(),
                ctx::header, ctx.req().getContentLengthLong(), Request.openedOnFirstRead(() -> ctx.req().getInputStream()), ctx);
        Response resp = router.handle(req);
        ctx.status(resp.status());
        for (Map.Entry<String, String> h : resp.headers().entrySet()) {
            ctx.header(h.getKey(), h.getValue());
        }
        if (!req.method().equals("HEAD")) {
            resp.writeBody(ctx.res().getOutputStream());
        }
    }
}
