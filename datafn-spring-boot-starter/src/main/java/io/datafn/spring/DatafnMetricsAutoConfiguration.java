package io.datafn.spring;

import io.datafn.DatafnServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * Gauges of the server in the application's {@link MeterRegistry}: {@code datafn.websocket.connections} (open
 * sockets of this node) and {@code datafn.store.healthy} (1 while the database answers). Requests to the servlet are
 * already timed by Spring's {@code http.server.requests}; the pools of the store are not bound here.
 */
@AutoConfiguration(after = DatafnAutoConfiguration.class)
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(DatafnServer.class)
public class DatafnMetricsAutoConfiguration {

    @Bean
    public MeterBinder datafnMeters(DatafnServer server) {
        return registry -> {
            Gauge.builder("datafn.websocket.connections", server.websocketHub(), h -> h.size())
                    .description("Open DataFn WebSockets on this node").register(registry);
            Gauge.builder("datafn.store.healthy", server.store(), s -> s.healthy() ? 1 : 0)
                    .description("1 while the DataFn database answers").register(registry);
        };
    }
}
