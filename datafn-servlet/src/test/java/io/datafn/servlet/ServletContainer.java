package io.datafn.servlet;

import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.testing.Database;
import org.eclipse.jetty.ee10.servlet.ServletContainerInitializerHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.util.function.UnaryOperator;

/**
 * A {@link DatafnServer} in a real servlet container: Jetty 12 ee10 (Servlet 6, Jakarta WebSocket 2.1) on a random
 * port, the servlet and the WebSocket endpoint added by {@link DatafnServlet#register} and
 * {@link DatafnWebSocket#register} from a ServletContainerInitializer, as a web application would.
 */
final class ServletContainer implements AutoCloseable {
    static final String SCHEMA = """
            {"resources": [
              {"name": "tag", "version": 1, "idPrefix": "tag:", "fields": [
                {"name": "label", "type": "string", "required": true}
              ]}
            ]}""";

    final DatafnServer datafn;
    final Server jetty;
    final String url;

    private ServletContainer(DatafnServer datafn) throws Exception {
        this.datafn = datafn;
        jetty = new Server();
        // as DatafnJavalin tells its Jetty: unusual URIs (bad UTF-8, encoded slashes) reach the router, which answers
        // them with the envelope; a deployer sets the same on Jetty (Tomcat: its own URI options)
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(UriCompliance.UNSAFE);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.getServletHandler().setDecodeAmbiguousURIs(true);
        JakartaWebSocketServletContainerInitializer.configure(context, null);
        context.addServletContainerInitializer(new ServletContainerInitializerHolder((classes, servletContext) -> {
            DatafnServlet.register(servletContext, datafn);
            DatafnWebSocket.register(servletContext, datafn);
        }));
        jetty.setHandler(context);
        jetty.start();
        url = "http://127.0.0.1:" + connector.getLocalPort();
    }

    static ServletContainer start(Database db, UnaryOperator<DatafnServer.Builder> options) throws Exception {
        DatafnServer datafn = options.apply(DatafnServer.builder()
                .schema(io.datafn.json.Json.parse(SCHEMA))
                .store(JdbcStore.open(db.freshUrl()))).build();
        return new ServletContainer(datafn);
    }

    @Override
    public void close() throws Exception {
        // the server first: it closes the sockets (1001), which Jetty would otherwise wait for while it stops
        try {
            datafn.close();
        } finally {
            jetty.stop();
        }
    }
}
