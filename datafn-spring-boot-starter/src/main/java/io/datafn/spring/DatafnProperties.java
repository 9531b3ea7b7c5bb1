package io.datafn.spring;

import io.datafn.Limits;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * The {@code datafn.*} properties of a Spring Boot application; the defaults are the standalone server's.
 *
 * @param schema      the schema's resource location ({@code classpath:}, {@code file:}, ...)
 * @param basePath    the path every endpoint is under; the WebSocket is {@code <basePath>/ws}
 * @param poolSize    connections the store borrows from the application's DataSource, per pool (a write and a read
 *                    pool, so up to twice this many: the application's pool needs that room besides its own use);
 *                    SQLite reader connections (1 .. 200); default 4
 * @param dbTimeout   how long a request waits for a database connection before it is answered 503
 * @param rest        the REST wrappers ({@code resources/...})
 * @param rateLimit   requests per action and namespace per {@code rateLimitWindow}; 0 turns rate limiting off
 * @param retention   how long change rows and idempotency records are kept; unset keeps them
 * @param limits      request limits (as the standalone server's {@code --max-*} flags)
 * @param websocket   the WebSocket endpoint and its connection limits
 */
@ConfigurationProperties("datafn")
public record DatafnProperties(@DefaultValue("classpath:datafn.schema.json") String schema,
                               @DefaultValue("/datafn") String basePath,
                               @DefaultValue("4") int poolSize,
                               @DefaultValue("3s") Duration dbTimeout,
                               @DefaultValue("false") boolean rest,
                               @DefaultValue("0") int rateLimit,
                               @DefaultValue("60s") Duration rateLimitWindow,
                               @DefaultValue Retention retention,
                               @DefaultValue LimitValues limits,
                               @DefaultValue WebSocket websocket) {

    /** @param changes change rows older than this are pruned; @param idempotency idempotency records likewise */
    public record Retention(Duration changes, Duration idempotency) {
    }

    /** @param maxTransactSteps unset: 100, not shown by status (as the standalone server) */
    public record LimitValues(@DefaultValue("100") int maxLimit,
                              Integer maxTransactSteps,
                              @DefaultValue("5242880") long maxPayloadBytes,
                              @DefaultValue("1000") int maxPullLimit,
                              @DefaultValue("5") int maxPushAttempts,
                              @DefaultValue("33554432") long maxResultBytes) {
        Limits toLimits() {
            Limits l = Limits.defaults().withMaxLimit(maxLimit).withMaxPayloadBytes(maxPayloadBytes).withMaxPullLimit(maxPullLimit)
                    .withMaxPushAttempts(maxPushAttempts).withMaxResultBytes(maxResultBytes);
            // unset (null) as the standalone server's --max-transact-steps: status shows the value only when it was set
            return maxTransactSteps == null ? l : l.withMaxTransactSteps(maxTransactSteps);
        }
    }

    /** @param enabled {@code <basePath>/ws}; needs the container's Jakarta WebSocket support (tomcat-embed-websocket) */
    public record WebSocket(@DefaultValue("true") boolean enabled,
                            @DefaultValue("10000") int maxSockets,
                            @DefaultValue("1000") int maxPerNamespace) {
    }
}
