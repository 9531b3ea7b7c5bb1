package io.datafn.servlet;

import io.datafn.DatafnServer;
import io.datafn.realtime.LatestFrameSocket;
import io.datafn.realtime.TextMessage;
import io.datafn.realtime.Socket;
import io.datafn.realtime.WebSocketHub;
import io.datafn.router.Request;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.websocket.CloseReason;
import jakarta.websocket.DeploymentException;
import jakarta.websocket.Endpoint;
import jakarta.websocket.EndpointConfig;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET <base>/ws} on Jakarta WebSocket 2.1 (the container's {@link ServerContainer}), bridged to the core
 * {@link WebSocketHub} as {@code DatafnJavalin} does: the upgrade is authenticated with the same namespace provider as
 * HTTP (headers and cookies); an unauthenticated socket is accepted and closed with 4401; client messages
 * ({@code hello}) are ignored, the namespace never comes from the client; a ping goes to each socket every 30 s and a
 * socket silent for 40 s is closed by the container.
 */
public final class DatafnWebSocket extends Endpoint {
    private static final Logger log = LoggerFactory.getLogger(DatafnWebSocket.class);
    private static final String HEADERS = "io.datafn.ws.headers";
    private static final String QUERY = "io.datafn.ws.query";
    private static final String HANDSHAKE = "io.datafn.ws.handshake";
    private static final String SOCKET = "io.datafn.ws.socket";
    private static final String NAMESPACE = "io.datafn.ws.namespace";

    /** How often a ping goes to each socket; a socket that stays silent (no pong) longer is closed. */
    static final Duration HEARTBEAT = Duration.ofSeconds(30);
    static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(10);

    private final DatafnServer server;
    private final Heartbeat heartbeat = new Heartbeat();

    private DatafnWebSocket(DatafnServer server) {
        this.server = server;
    }

    /** The endpoint's configuration at {@code <base>/ws}, for {@link ServerContainer#addEndpoint(ServerEndpointConfig)}. */
    public static ServerEndpointConfig config(DatafnServer server) {
        DatafnWebSocket endpoint = new DatafnWebSocket(server);
        return ServerEndpointConfig.Builder.create(DatafnWebSocket.class, server.router().basePath() + "/ws")
                .configurator(new ServerEndpointConfig.Configurator() {
                    @Override
                    public void modifyHandshake(ServerEndpointConfig sec, HandshakeRequest request, HandshakeResponse response) {
                        // the containers hand each handshake its own copy of the user properties
                        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                        headers.putAll(request.getHeaders());
                        sec.getUserProperties().put(HEADERS, headers);
                        sec.getUserProperties().put(QUERY, request.getParameterMap());
                        sec.getUserProperties().put(HANDSHAKE, request);
                    }

                    @Override
                    public <T> T getEndpointInstance(Class<T> endpointClass) {
                        return endpointClass.cast(endpoint);
                    }
                })
                .build();
    }

    /**
     * Adds the endpoint to the servlet context's {@link ServerContainer}; when the container sets that up later in
     * its start-up (Tomcat's {@code WsContextListener} under Spring Boot), once the context is initialized.
     *
     * @throws IllegalStateException when the context has no Jakarta WebSocket container (the container's WebSocket
     *                               module is missing or disabled)
     */
    public static void register(ServletContext context, DatafnServer server) {
        if (!addTo(context, server)) {
            context.addListener(new ServletContextListener() {
                @Override
                public void contextInitialized(ServletContextEvent event) {
                    if (!addTo(event.getServletContext(), server)) {
                        throw new IllegalStateException("datafn: no jakarta.websocket ServerContainer in the servlet"
                                + " context; add the container's WebSocket module (e.g. tomcat-embed-websocket)");
                    }
                }
            });
        }
    }

    private static boolean addTo(ServletContext context, DatafnServer server) {
        if (!(context.getAttribute(ServerContainer.class.getName()) instanceof ServerContainer container)) {
            return false;
        }
        try {
            container.addEndpoint(config(server));
        } catch (DeploymentException e) {
            throw new IllegalStateException("datafn: cannot add the WebSocket endpoint "
                    + server.router().basePath() + "/ws: " + e.getMessage(), e);
        }
        return true;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onOpen(Session session, EndpointConfig config) {
        Map<String, Object> props = config.getUserProperties();
        Map<String, List<String>> headers = (Map<String, List<String>>) props.get(HEADERS);
        Request req = new Request("GET", server.router().basePath() + "/ws", (Map<String, List<String>>) props.get(QUERY),
                name -> first(headers, name), 0, null, props.get(HANDSHAKE));
        SessionSocket socket = new SessionSocket(session);
        String ns;
        try {
            ns = server.router().identifyUpgrade(req, session.getId()).namespace();
        } catch (RuntimeException e) {
            socket.close(WebSocketHub.CLOSE_UNAUTHORIZED, "Unauthorized");
            return;
        }
        if (server.websocketHub().add(ns, socket)) {
            session.getUserProperties().put(NAMESPACE, ns);
            session.getUserProperties().put(SOCKET, socket);
            session.setMaxIdleTimeout(HEARTBEAT.plus(HEARTBEAT_TIMEOUT).toMillis());
            heartbeat.add(session);
        }
    }

    @Override
    public void onClose(Session session, CloseReason reason) {
        forget(session);
    }

    @Override
    public void onError(Session session, Throwable error) {
        log.debug("ws {}: {}", session.getId(), error.toString());
        forget(session);
    }

    private void forget(Session session) {
        heartbeat.remove(session);
        Object ns = session.getUserProperties().get(NAMESPACE);
        Object socket = session.getUserProperties().get(SOCKET);
        if (ns instanceof String namespace && socket instanceof Socket s) {
            server.websocketHub().remove(namespace, s);
        }
    }

    private static String first(Map<String, List<String>> headers, String name) {
        List<String> values = headers == null ? null : headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /**
     * A session as the hub's socket: sends are asynchronous and one at a time ({@link LatestFrameSocket}; the
     * containers refuse a send while one is in flight); a cursor message sent while another is in flight replaces any
     * waiting one, because each cursor message says everything the ones before it said.
     */
    private static final class SessionSocket extends LatestFrameSocket {
        private final Session session;

        SessionSocket(Session session) {
            this.session = session;
        }

        @Override
        protected void write(TextMessage message) {
            session.getAsyncRemote().sendText(message.text(), this::sent);
        }

        private void sent(SendResult result) {
            if (!result.isOK()) {
                log.debug("ws {}: send failed, closing: {}", session.getId(), String.valueOf(result.getException()));
            }
            written(result.isOK() ? null : result.getException());
        }

        @Override
        public void close(int code, String reason) {
            try {
                session.close(new CloseReason(CloseReason.CloseCodes.getCloseCode(code), reason));
            } catch (IOException e) {
                log.debug("ws {}: close failed: {}", session.getId(), e.toString());
            }
        }
    }

    /** Pings every open socket; its thread runs only while there are sockets. */
    private static final class Heartbeat {
        private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
        private ScheduledExecutorService timer;

        synchronized void add(Session session) {
            sessions.add(session);
            if (timer == null) {
                timer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "datafn-ws-heartbeat");
                    t.setDaemon(true);
                    return t;
                });
                long every = HEARTBEAT.toMillis();
                timer.scheduleAtFixedRate(this::pingAll, every, every, TimeUnit.MILLISECONDS);
            }
        }

        synchronized void remove(Session session) {
            if (sessions.remove(session) && sessions.isEmpty() && timer != null) {
                timer.shutdownNow();
                timer = null;
            }
        }

        private void pingAll() {
            for (Session s : sessions) {
                try {
                    s.getAsyncRemote().sendPing(ByteBuffer.allocate(0));
                } catch (IOException | RuntimeException e) {
                    log.debug("ws {}: ping failed: {}", s.getId(), e.toString());
                }
            }
        }
    }
}
