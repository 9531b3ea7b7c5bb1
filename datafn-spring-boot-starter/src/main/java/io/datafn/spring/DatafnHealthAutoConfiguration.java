package io.datafn.spring;

import io.datafn.DatafnServer;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@code datafn} in {@code /actuator/health}: UP while the database answers ({@code Store.healthy()}), DOWN otherwise,
 * with the database's description. Add it to the readiness group
 * ({@code management.endpoint.health.group.readiness.include=readinessState,datafn}) so that a node whose database
 * is unreachable is taken out of the load balancer; off with {@code management.health.datafn.enabled=false}.
 */
@AutoConfiguration(after = DatafnAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(DatafnServer.class)
@ConditionalOnEnabledHealthIndicator("datafn")
public class DatafnHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "datafnHealthIndicator")
    public HealthIndicator datafnHealthIndicator(DatafnServer server) {
        return () -> (server.store().healthy() ? Health.up() : Health.down())
                .withDetail("database", server.store().describe()).build();
    }
}
