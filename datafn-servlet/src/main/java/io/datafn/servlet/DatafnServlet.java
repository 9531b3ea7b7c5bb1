package io.datafn.servlet;

import io.datafn.DatafnServer;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.router.Router;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Serves a {@link DatafnServer} from any Jakarta Servlet 6 container (Tomcat 10.1+, Jetty 12 ee10, Undertow 2.3+,
 * next to Spring MVC's {@code DispatcherServlet}). Like {@code DatafnJavalin}, the servlet only translates bytes: every
 * method under the base path goes to the router, which answers with status, headers and body (streamed for clone).
 *
 * <pre>{@code
 * // in a ServletContainerInitializer, or Spring Boot's ServletContextInitializer
 * DatafnServlet.register(servletContext, server);
 * DatafnWebSocket.register(servletContext, server);
 * }</pre>
 *
 * <p>What the container refuses before any servlet runs (a request line or URI it cannot parse, headers over its
 * size limit) is answered by the container's own error page, not the protocol's envelope.
 */
public final class DatafnServlet extends HttpServlet {
    private final transient Router router;

    public DatafnServlet(DatafnServer server) {
        this.router = Objects.requireNonNull(server, "server").router();
    }

    /**
     * Adds this servlet under {@code <base>/*} to a servlet context that is starting: call it from a
     * {@code ServletContainerInitializer} (Spring Boot: a {@code ServletContextInitializer}), where the Servlet API
     * allows adding servlets and listeners; {@link DatafnWebSocket#register} adds {@code <base>/ws} the same way.
     * The server stays the caller's to close (e.g. in a {@code ServletContextListener}'s {@code contextDestroyed}).
     */
    public static void register(ServletContext context, DatafnServer server) {
        ServletRegistration.Dynamic servlet = context.addServlet("datafn", new DatafnServlet(server));
        if (servlet == null) {
            throw new IllegalStateException("servlet context already has a servlet named datafn");
        }
        servlet.addMapping(server.router().basePath() + "/*");
    }

    /** Every method, including ones HttpServlet does not know (the router answers them 404 in the envelope). */
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        // the path as the client sent it (not decoded), as Javalin's ctx.path(): the router decodes segments itself
        String path = req.getRequestURI().substring(req.getContextPath().length());
        Request request = new Request(req.getMethod(), path, query(req.getQueryString()), req::getHeader,
                req.getContentLengthLong(), Request.openedOnFirstRead(req::getInputStream), req);
        Response answer = router.handle(request);
        resp.setStatus(answer.status());
        answer.headers().forEach(resp::setHeader);
        if (!request.method().equals("HEAD")) {
            answer.writeBody(resp.getOutputStream());
        }
    }

    /**
     * The query string's parameters. Not {@code getParameterMap()}: for a form-encoded POST that would read the body,
     * which is the router's to read.
     */
    static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    /** A query component decoded; one with a malformed escape is kept as sent. */
    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
