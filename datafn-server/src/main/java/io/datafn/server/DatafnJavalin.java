package io.datafn.server;

import io.datafn.DatafnServer;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.router.Router;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import org.eclipse.jetty.http.UriCompliance;

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
        Router router = server.router();
        config.jetty.modifyHttpConfiguration(http -> http.setUriCompliance(UriCompliance.UNSAFE));
        config.jetty.modifyServletContextHandler(handler -> handler.getServletHandler().setDecodeAmbiguousURIs(true));
        config.jetty.modifyServer(jetty -> jetty.setErrorHandler(new JsonErrorHandler()));
        String pattern = router.basePath() + "/*";
        for (HandlerType method : new HandlerType[]{HandlerType.GET, HandlerType.POST, HandlerType.PUT,
                HandlerType.PATCH, HandlerType.DELETE}) {
            config.routes.addHttpHandler(method, pattern, ctx -> handle(router, ctx));
        }
    }

    static void handle(Router router, Context ctx) throws IOException {
        Request req = new Request(ctx.method().name(), ctx.path(), ctx.queryParamMap(), ctx::header,
                ctx.req().getContentLengthLong(), ctx.req().getInputStream(), ctx);
        Response resp = router.handle(req);
        ctx.status(resp.status());
        for (Map.Entry<String, String> h : resp.headers().entrySet()) {
            ctx.header(h.getKey(), h.getValue());
        }
        resp.writeBody(ctx.res().getOutputStream());
    }
}
