package io.datafn.servlet;

import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.testing.Database;
import io.undertow.Undertow;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.api.ServletContainerInitializerInfo;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import io.undertow.websockets.jsr.WebSocketDeploymentInfo;
import jakarta.servlet.ServletContainerInitializer;
import org.eclipse.jetty.ee10.servlet.ServletContainerInitializerHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.websocket.jakarta.server.config.JakartaWebSocketServletContainerInitializer;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A {@link DatafnServer} in a real servlet container on a random port: Jetty 12 ee10 or Undertow 2.3 (Servlet 6,
 * Jakarta WebSocket 2.1), the servlet and the WebSocket endpoint added by {@link DatafnServlet#register} and
 * {@link DatafnWebSocket#register} from a ServletContainerInitializer, as a web application would.
 */
final class ServletContainer implements AutoCloseable {
    enum Kind { JETTY, UNDERTOW }

    static final String SCHEMA = """
            {"resources": [
              {"name": "tag", "version": 1, "idPrefix": "tag", "fields": [
                {"name": "label", "type": "string", "required": true}
              ]}
            ]}""";

    final DatafnServer datafn;
    final String url;
    private final AutoCloseable container;

    private ServletContainer(Kind kind, DatafnServer datafn) throws Exception {
        this.datafn = datafn;
        ServletContainerInitializer setup = (classes, servletContext) -> {
            DatafnServlet.register(servletContext, datafn);
            DatafnWebSocket.register(servletContext, datafn);
        };
        int port;
        if (kind == Kind.JETTY) {
            Server jetty = new Server();
            // as DatafnJavalin tells its Jetty: unusual URIs (bad UTF-8, encoded slashes) reach the router, which
            // answers them with the envelope; a deployer sets the same on Jetty
            HttpConfiguration http = new HttpConfiguration();
            http.setUriCompliance(UriCompliance.UNSAFE);
            ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            jetty.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            context.getServletHandler().setDecodeAmbiguousURIs(true);
            JakartaWebSocketServletContainerInitializer.configure(context, null);
            context.addServletContainerInitializer(new ServletContainerInitializerHolder(setup));
            jetty.setHandler(context);
            jetty.start();
            port = connector.getLocalPort();
            container = jetty::stop;
        } else {
            DeploymentInfo info = Servlets.deployment().setClassLoader(ServletContainer.class.getClassLoader())
                    .setContextPath("/").setDeploymentName("datafn")
                    .addServletContainerInitializer(new ServletContainerInitializerInfo(setup.getClass(),
                            new ImmediateInstanceFactory<>(setup), Set.of()))
                    .addServletContextAttribute(WebSocketDeploymentInfo.ATTRIBUTE_NAME,
                            new WebSocketDeploymentInfo().setBuffers(new DefaultByteBufferPool(true, 8192)));
            DeploymentManager manager = Servlets.newContainer().addDeployment(info);
            manager.deploy();
            Undertow undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(manager.start()).build();
            undertow.start();
            port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
            container = () -> {
                manager.stop();
                manager.undeploy();
                undertow.stop();
            };
        }
        url = "http://127.0.0.1:" + port;
    }

    static ServletContainer start(Kind kind, Database db, UnaryOperator<DatafnServer.Builder> options) throws Exception {
        DatafnServer datafn = options.apply(DatafnServer.builder()
                .schema(io.datafn.json.Json.parse(SCHEMA))
                .store(JdbcStore.open(db.freshUrl()))).build();
        return new ServletContainer(kind, datafn);
    }

    @Override
    public void close() throws Exception {
        // the server first: it closes the sockets (1001), which the container would otherwise wait for while it stops
        try {
            datafn.close();
        } finally {
            container.close();
        }
    }
}
