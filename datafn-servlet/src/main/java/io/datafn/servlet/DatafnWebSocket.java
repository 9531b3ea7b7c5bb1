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
import jakarta.websocket.MessageHandler;
import jakarta.websocket.PongMessage;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerContainer;
import jakarta.websocket.server.ServerEndpointConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET <base>/ws} on Jakarta WebSocket 2.1 (the container's {@link ServerContainer}), bridged to the core
 * {@link WebSocketHub} as {@code DatafnJavalin} does: the upgrade is authenticated with the same namespace provider as
 * HTTP (headers and cookies); an unauthenticated socket is accepted and closed with 4401; client messages
 * ({@code hello}) are ignored, the namespace never comes from the client; the hub's heartbeat pings each socket
 * (every 30 s by default) and closes one that leaves a ping unanswered (10 s) with 1001.
 */
public final class DatafnWebSocket extends Endpoint {
    private static final Logger log = LoggerFactory.getLogger(DatafnWebSocket.class);
    private static final String HEADERS = "io.datafn.ws.headers";
    private static final String QUERY = "io.datafn.ws.query";
    private static final String HANDSHAKE = "io.datafn.ws.handshake";
    private static final String SOCKET = "io.datafn.ws.socket";
    private static final String NAMESPACE = "io.datafn.ws.namespace";

    private final DatafnServer server;

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
        WebSocketHub hub = server.websocketHub();
        session.addMessageHandler(PongMessage.class, (MessageHandler.Whole<PongMessage>) pong -> hub.ponged(socket));
        String ns;
        try {
            ns = server.router().identifyUpgrade(req, session.getId()).namespace();
        } catch (RuntimeException e) {
            socket.close(WebSocketHub.CLOSE_UNAUTHORIZED, "Unauthorized");
            return;
        }
        if (hub.add(ns, socket)) {
            session.getUserProperties().put(NAMESPACE, ns);
            session.getUserProperties().put(SOCKET, socket);
            session.setMaxIdleTimeout(hub.idleTimeout().toMillis()); // the hub's heartbeat pings and times out sockets
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
        public boolean ping() {
            try {
                session.getAsyncRemote().sendPing(ByteBuffer.allocate(0));
            } catch (IOException e) {
                log.debug("ws {}: ping failed: {}", session.getId(), e.toString());
            }
            return true;
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
}
