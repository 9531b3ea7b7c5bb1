package io.datafn.spring;

import io.datafn.DatafnServer;
import io.datafn.auth.AuthContextProvider;
import io.datafn.auth.Authorizer;
import io.datafn.auth.NamespaceProvider;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.datafn.plugin.DatafnPlugin;
import io.datafn.realtime.ClusterBus;
import io.datafn.search.SearchProvider;
import io.datafn.servlet.DatafnServlet;
import io.datafn.servlet.DatafnWebSocket;
import io.datafn.store.Store;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * DataFn in a Spring Boot application: a {@link DatafnServer} wired from the {@code datafn.*} properties
 * ({@link DatafnProperties}) over the application's {@link DataSource}, served by {@link DatafnServlet} under the base
 * path and {@link DatafnWebSocket} at {@code <base>/ws}; {@link DatafnHealthAutoConfiguration} adds its store's
 * health to Actuator's, {@link DatafnMetricsAutoConfiguration} its gauges to the application's meter registry.
 *
 * <p>The application customises it with beans, each optional: {@link NamespaceProvider} or
 * {@link AuthContextProvider} (who the caller is: the namespace), {@link Authorizer}, {@link DatafnPlugin}s (in
 * {@code @Order}), {@link ClusterBus} (several nodes: {@code PostgresBus}, {@code RedisBus}; default the local bus),
 * {@link SearchProvider}, or a {@link Store} or {@link DatafnServer} of its own.
 */
@AutoConfiguration(after = DataSourceAutoConfiguration.class)
@ConditionalOnClass({DatafnServer.class, JdbcStore.class})
@EnableConfigurationProperties(DatafnProperties.class)
public class DatafnAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DataSource.class)
    public Store datafnStore(DataSource dataSource, DatafnProperties props) {
        return JdbcStore.open(dataSource, props.poolSize(), props.dbTimeout());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(Store.class)
    public DatafnServer datafnServer(DatafnProperties props, Store store, ResourceLoader resources,
                                     ObjectProvider<NamespaceProvider> namespaces,
                                     ObjectProvider<AuthContextProvider> authContexts,
                                     ObjectProvider<Authorizer> authorizer,
                                     ObjectProvider<DatafnPlugin> plugins,
                                     ObjectProvider<ClusterBus> bus,
                                     ObjectProvider<SearchProvider> search) {
        DatafnServer.Builder b = DatafnServer.builder()
                .schema(Json.parse(read(resources.getResource(props.schema()), props.schema())))
                .store(store)
                .basePath(props.basePath())
                .limits(props.limits().toLimits())
                .rest(props.rest())
                .websocketLimits(props.websocket().maxSockets(), props.websocket().maxPerNamespace())
                .retention(props.retention().changes(), props.retention().idempotency());
        if (props.rateLimit() > 0) {
            b.rateLimit(props.rateLimit(), props.rateLimitWindow());
        }
        namespaces.ifAvailable(b::namespaceProvider);
        authContexts.ifAvailable(b::authContextProvider);
        authorizer.ifAvailable(b::authorize);
        plugins.orderedStream().forEach(b::plugin);
        bus.ifAvailable(b::clusterBus);
        search.ifAvailable(b::searchProvider);
        return b.build();
    }

    private static String read(Resource schema, String location) {
        try (InputStream in = schema.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("datafn.schema: cannot read " + location + ": " + e.getMessage(), e);
        }
    }

    /** The servlet under {@code <base>/*} and, unless {@code datafn.websocket.enabled=false}, the WebSocket endpoint. */
    @Bean
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnBean(DatafnServer.class)
    public ServletContextInitializer datafnServletInitializer(DatafnServer server, DatafnProperties props) {
        return context -> {
            DatafnServlet.register(context, server);
            if (props.websocket().enabled()) {
                DatafnWebSocket.register(context, server);
            }
        };
    }
}
