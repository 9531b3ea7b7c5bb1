package io.datafn.server;

import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.observe.RequestEvent;
import io.datafn.observe.ServerObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server's meters in a Micrometer registry: the one implementation of core's {@link ServerObserver}, and the one
 * place Micrometer enters the project. Give it to the builder; it binds itself when the server is built:
 *
 * <pre>{@code
 * DatafnServer server = DatafnServer.builder()...observer(new DatafnMetrics(meterRegistry)).build();
 * }</pre>
 *
 * <table>
 *   <caption>Meters (Prometheus names in docs/OPERATIONS.md)</caption>
 *   <tr><td>{@code datafn.http.requests}</td><td>timer with a percentile histogram; tags {@code method}, {@code route}
 *       (the route's path below the base path, {@code unmatched} for none) and {@code status}</td></tr>
 *   <tr><td>{@code datafn.ratelimit.rejections}</td><td>counter of 429 answers; tag {@code action}</td></tr>
 *   <tr><td>{@code datafn.commits}, {@code datafn.changes}</td><td>counters: committed writes that recorded changes,
 *       and their change rows</td></tr>
 *   <tr><td>{@code datafn.websocket.open}</td><td>gauge: WebSockets open on this node</td></tr>
 *   <tr><td>{@code datafn.bus.lag}</td><td>timer with a histogram: this node's commit announcement to its delivery
 *       back from the cluster bus</td></tr>
 *   <tr><td>{@code hikaricp.*}</td><td>HikariCP's own meters of each pool of a {@link JdbcStore} (tag {@code pool})</td></tr>
 * </table>
 */
public final class DatafnMetrics implements ServerObserver {
    private static final Duration MIN_EXPECTED = Duration.ofMillis(1);
    private static final Duration MAX_EXPECTED = Duration.ofSeconds(30);
    /** The methods a tag may name; any other (a client may send {@code FOO}) is tagged {@code OTHER}, bounding the series. */
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS", "TRACE", "CONNECT");

    private final MeterRegistry registry;
    private final Map<Key, Timer> requests = new ConcurrentHashMap<>();
    private final Map<String, Counter> rejections = new ConcurrentHashMap<>();
    private final Timer busLag;

    private record Key(String method, String route, int status) {
    }

    /** Meters go to {@code registry} (the application's own, or the standalone server's Prometheus registry). */
    public DatafnMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "meterRegistry");
        this.busLag = Timer.builder("datafn.bus.lag")
                .description("This node's commit announcement until the cluster bus delivered it back to this node")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(MAX_EXPECTED).register(registry);
    }

    /**
     * Binds the JVM's meters (memory, GC, threads, class loading, processor, uptime) to {@code registry}; for a
     * registry the application has not bound them to already. Close the result to stop listening to GC events.
     */
    public static AutoCloseable bindJvm(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return gc;
    }

    @Override
    public void started(DatafnServer server) {
        Gauge.builder("datafn.websocket.open", server.websocketHub(), hub -> hub.size())
                .description("WebSockets open on this node").register(registry);
        Counter commits = Counter.builder("datafn.commits").description("Committed writes that recorded changes")
                .register(registry);
        Counter changes = Counter.builder("datafn.changes").description("Change rows committed").register(registry);
        server.store().onCommit(w -> {
            commits.increment();
            changes.increment(w.changes().size());
        });
        if (server.store() instanceof JdbcStore jdbc) {
            jdbc.metricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
        }
    }

    @Override
    public void requestFinished(RequestEvent e) {
        String method = METHODS.contains(e.method()) ? e.method() : "OTHER";
        requests.computeIfAbsent(new Key(method, e.route(), e.status()), k -> Timer.builder("datafn.http.requests")
                .description("Requests the router answered, by route and status")
                .tag("method", k.method()).tag("route", k.route()).tag("status", Integer.toString(k.status()))
                .publishPercentileHistogram().minimumExpectedValue(MIN_EXPECTED).maximumExpectedValue(MAX_EXPECTED)
                .register(registry)).record(e.nanos(), TimeUnit.NANOSECONDS);
        if (e.status() == 429) { // the router answers 429 only for RATE_LIMITED
            rejections.computeIfAbsent(e.action(), a -> Counter.builder("datafn.ratelimit.rejections")
                    .description("Requests refused by the rate limiter").tag("action", a).register(registry)).increment();
        }
    }

    @Override
    public void busDelivered(long lagNanos) {
        busLag.record(lagNanos, TimeUnit.NANOSECONDS);
    }
}
