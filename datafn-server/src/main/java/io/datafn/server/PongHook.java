package io.datafn.server;

import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.util.MethodHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * Hears the pong frames of a Jetty WebSocket session whose endpoint is Javalin's: Javalin's endpoint
 * ({@code WsConnection}) has no pong handler and offers no hook for one, so Jetty drops every pong, and a heartbeat
 * could never tell a live peer from one that stopped answering (reference-sync.md §9.4: no pong within 10 s closes
 * the socket with 1001). The hook sets the pong handle of the session's Jetty frame handler (the one Jetty calls for
 * every pong) to {@code onPong}. It reaches into two private fields of Jetty 12's {@code jetty-websocket-jetty-common}
 * ({@code WebSocketSession.frameHandler}, {@code JettyWebSocketFrameHandler.pongHandle}); when a Jetty version lacks
 * them it says so once in the log and sockets are then never closed for a missing pong (pings still go out), and
 * {@code WebSocketTest}'s heartbeat test fails, so an upgrade that breaks it is seen.
 */
final class PongHook {
    private static final Logger log = LoggerFactory.getLogger(PongHook.class);
    private static final Field FRAME_HANDLER;
    private static final Field PONG_HANDLE;

    static {
        Field frameHandler = null;
        Field pongHandle = null;
        try {
            frameHandler = WebSocketSession.class.getDeclaredField("frameHandler");
            frameHandler.setAccessible(true);
            pongHandle = frameHandler.getType().getDeclaredField("pongHandle");
            pongHandle.setAccessible(true);
            if (pongHandle.getType() != MethodHolder.class) {
                throw new NoSuchFieldException("pongHandle is a " + pongHandle.getType().getName());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("ws: pongs cannot be heard with this Jetty version ({}); sockets are not closed for a missing pong", e.toString());
            frameHandler = null;
            pongHandle = null;
        }
        FRAME_HANDLER = frameHandler;
        PONG_HANDLE = pongHandle;
    }

    private PongHook() {
    }

    /** Calls {@code onPong} for every pong frame of {@code session} from now on; false when it cannot. */
    static boolean install(WebSocketSession session, Runnable onPong) {
        if (PONG_HANDLE == null) {
            return false;
        }
        try {
            MethodHolder handle = args -> {
                onPong.run();
                return null;
            };
            PONG_HANDLE.set(FRAME_HANDLER.get(session), handle);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("ws: cannot hear the pongs of a session ({})", e.toString());
            return false;
        }
    }
}
