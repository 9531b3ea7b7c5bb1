package io.datafn;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.admin.AdminConsole;
import io.datafn.auth.AuthContextProvider;
import io.datafn.auth.Authorizer;
import io.datafn.auth.NamespaceProvider;
import io.datafn.mutation.MutationEndpoint;
import io.datafn.mutation.MutationParser;
import io.datafn.mutation.MutationService;
import io.datafn.observe.ServerObserver;
import io.datafn.openapi.OpenApi;
import io.datafn.plugin.DatafnPlugin;
import io.datafn.plugin.PluginChain;
import io.datafn.query.QueryParser;
import io.datafn.query.QueryService;
import io.datafn.realtime.BusLag;
import io.datafn.realtime.ClusterBus;
import io.datafn.realtime.CommitPublisher;
import io.datafn.realtime.LocalBus;
import io.datafn.realtime.WebSocketHub;
import io.datafn.rest.RestEndpoint;
import io.datafn.router.BucketRateLimiter;
import io.datafn.router.RateLimitBuckets;
import io.datafn.router.RateLimiter;
import io.datafn.router.RateLimits;
import io.datafn.router.Outcome;
import io.datafn.router.Route;
import io.datafn.router.Router;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaParser;
import io.datafn.search.SearchProvider;
import io.datafn.search.SearchService;
import io.datafn.store.Store;
import io.datafn.sync.CloneService;
import io.datafn.sync.PullService;
import io.datafn.sync.PushResult;
import io.datafn.sync.PushService;
import io.datafn.sync.ReconcileService;
import io.datafn.sync.SeedService;
import io.datafn.transact.TransactService;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A DataFn server: the schema, the store and the router that serves the protocol. Build one with {@link #builder()};
 * mount {@link #router()} in any HTTP framework (or use the Javalin adapter of {@code datafn-server}).
 *
 * <pre>{@code
 * DatafnServer server = DatafnServer.builder()
 *     .schema(Path.of("schema.json"))
 *     .store(JdbcStore.open("jdbc:sqlite:data/app.db"))
 *     .authorize((ctx, action, payload) -> true)
 *     .build();
 * }</pre>
 */
public final class DatafnServer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DatafnServer.class);
    private final Schema schema;
    private final Store store;
    private final Router router;
    private final java.util.concurrent.ScheduledExecutorService pruner;
    private final WebSocketHub hub;
    private final ClusterBus bus;
    private volatile boolean closed;

    private final SearchProvider searchProvider;
    private final CommitPublisher publisher;
    private final Readiness readiness;
    private final RateLimiter rateLimiter;

    private DatafnServer(Schema schema, Store store, Router router, java.util.concurrent.ScheduledExecutorService pruner,
                         WebSocketHub hub, ClusterBus bus, CommitPublisher publisher, SearchProvider searchProvider,
                         List<Readiness.Check> extraChecks, RateLimiter rateLimiter) {
        List<Readiness.Check> checks = new ArrayList<>();
        checks.add(new Readiness.Check("database", store::healthy));
        checks.addAll(extraChecks);
        if (!(bus instanceof LocalBus)) {
            checks.add(new Readiness.Check("bus", bus::healthy));
        }
        this.readiness = new Readiness(checks, () -> closed);
        this.publisher = publisher;
        this.rateLimiter = rateLimiter;
        this.searchProvider = searchProvider;
        this.schema = schema;
        this.store = store;
        this.router = router;
        this.pruner = pruner;
        this.hub = hub;
        this.bus = bus;
    }

    /** This node's WebSocket sockets by namespace; the HTTP adapter registers upgraded connections here. */
    public WebSocketHub websocketHub() {
        return hub;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Router router() {
        return router;
    }

    public Schema schema() {
        return schema;
    }

    public Store store() {
        return store;
    }

    /**
     * Whether the server can serve now (the adapter's {@code GET /readyz}): the database, the primary sequence store
     * and the cluster bus reachable, and not shutting down. Answers within about a second.
     */
    public Readiness.Report readiness() {
        return readiness.check();
    }

    /**
     * Graceful stop: new requests get 503, requests in flight get up to {@code graceMs} to finish, then the store
     * closes. Idempotent.
     */
    public void shutdown(long graceMs) {
        if (closed) {
            return;
        }
        closed = true;
        if (pruner != null) {
            pruner.shutdownNow();
        }
        router.beginShutdown();
        hub.close();
        router.awaitIdle(graceMs);
        publisher.close();
        bus.close();
        store.close();
        if (searchProvider != null) {
            searchProvider.close();
        }
        readiness.close();
        if (rateLimiter != null) {
            rateLimiter.close();
        }
    }

    @Override
    public void close() {
        shutdown(10_000);
    }

    /** Wires a server. Every setter checks its value at once and names the option in its message. */
    public static final class Builder {
        private Schema schema;
        private Store store;
        private final List<DatafnPlugin> plugins = new ArrayList<>();
        private Authorizer authorizer = Authorizer.ALLOW_ALL;
        private NamespaceProvider namespaces = NamespaceProvider.SINGLE;
        private Limits limits = Limits.defaults();
        private Clock clock = Clock.systemUTC();
        private String basePath = "/datafn";
        private boolean rest;
        private ClusterBus bus;
        private SearchProvider searchProvider;
        private int maxSockets = 10_000;
        private int maxSocketsPerNamespace = 1_000;
        private java.time.Duration heartbeatInterval = io.datafn.realtime.WebSocketHub.HEARTBEAT_INTERVAL;
        private java.time.Duration heartbeatTimeout = io.datafn.realtime.WebSocketHub.HEARTBEAT_TIMEOUT;
        private RateLimits rateLimits;
        private RateLimitBuckets rateLimitBuckets;
        private Duration changeRetention;
        private Duration idempotencyRetention;
        private ServerObserver observer = ServerObserver.NONE;
        private final List<Readiness.Check> readinessChecks = new ArrayList<>();
        private String adminToken;

        private Builder() {
        }

        /** The schema, already parsed. */
        public Builder schema(Schema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /** The schema JSON document; invalid → {@link io.datafn.schema.SchemaException} naming each problem. */
        public Builder schema(JsonNode schemaJson) {
            return schema(SchemaParser.parse(Objects.requireNonNull(schemaJson, "schema")));
        }

        /** A schema JSON file. */
        public Builder schema(Path file) {
            return schema(SchemaParser.parse(Objects.requireNonNull(file, "schema file")));
        }

        /** The database (e.g. {@code JdbcStore.open(url)}); the server closes it on shutdown. */
        public Builder store(Store store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /** Adds a plugin; hooks run in the order plugins were added. */
        public Builder plugin(DatafnPlugin plugin) {
            Objects.requireNonNull(plugin, "plugin");
            if (plugin.name() == null || plugin.name().isBlank()) {
                throw new IllegalArgumentException("plugin: name() must be a non-empty string");
            }
            plugins.add(plugin);
            return this;
        }

        /** The {@code authorize(ctx, action, payload)} hook, called once per request (default: allow all). */
        public Builder authorize(Authorizer authorizer) {
            this.authorizer = Objects.requireNonNull(authorizer, "authorize");
            return this;
        }

        /** Per-request namespace and actor (default: everything in {@code datafn}). */
        public Builder namespaceProvider(NamespaceProvider provider) {
            this.namespaces = Objects.requireNonNull(provider, "namespaceProvider");
            return this;
        }

        /** The README's {@code authContextProvider}: namespaces {@code user:<u>} / {@code tenant:<t>:user:<u>}. */
        public Builder authContextProvider(AuthContextProvider provider) {
            return namespaceProvider(NamespaceProvider.fromAuthContext(Objects.requireNonNull(provider, "authContextProvider")));
        }

        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /** The clock behind {@code serverTimeMs} and the {@code timestamps} capability (the original's getServerTime). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Where the endpoints live (default {@code /datafn}); {@code ""} serves them at the root. */
        public Builder basePath(String basePath) {
            Objects.requireNonNull(basePath, "basePath");
            String p = basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath;
            if (!p.isEmpty() && (!p.startsWith("/") || p.contains("//") || p.contains(" "))) {
                throw new IllegalArgumentException("basePath must be empty or start with '/', got '" + basePath + "'");
            }
            this.basePath = p;
            return this;
        }

        /**
         * Enables {@code POST search} and the {@code search} clause of queries with this provider (e.g.
         * {@code new LuceneSearchProvider()}); {@code status} then advertises {@code dfql.search}.
         */
        public Builder searchProvider(SearchProvider provider) {
            this.searchProvider = provider;
            return this;
        }

        /**
         * How commits reach the WebSocket clients of every node: {@link LocalBus} (the default, one node) or a shared
         * bus such as {@code PostgresBus}. The server closes it on shutdown.
         */
        public Builder clusterBus(ClusterBus bus) {
            this.bus = Objects.requireNonNull(bus, "clusterBus");
            return this;
        }

        /** WebSocket limits per node: all sockets (default 10 000) and sockets per namespace (default 100). */
        public Builder websocketLimits(int maxConnections, int maxConnectionsPerNamespace) {
            if (maxConnections < 1 || maxConnectionsPerNamespace < 1) {
                throw new IllegalArgumentException("websocketLimits must be positive, got " + maxConnections + " and "
                        + maxConnectionsPerNamespace);
            }
            this.maxSockets = maxConnections;
            this.maxSocketsPerNamespace = maxConnectionsPerNamespace;
            return this;
        }

        /**
         * The WebSocket heartbeat (reference-sync.md §9.4): a ping to each socket every {@code interval} (default
         * 30 s); a socket that leaves one unanswered for {@code timeout} (default 10 s) is closed with 1001
         * {@code Heartbeat timeout}.
         */
        public Builder websocketHeartbeat(java.time.Duration interval, java.time.Duration timeout) {
            if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("websocketHeartbeat must be positive, got " + interval + " and " + timeout);
            }
            this.heartbeatInterval = interval;
            this.heartbeatTimeout = timeout;
            return this;
        }

        /** Enables the REST wrappers {@code GET|POST resources/:resource}, {@code PATCH|DELETE resources/:resource/:id}. */
        public Builder rest(boolean enabled) {
            this.rest = enabled;
            return this;
        }

        /**
         * Rate limiting: at most {@code maxRequests} per action and namespace per window (429 {@code RATE_LIMITED}
         * with {@code Retry-After} beyond). Off by default. Same as {@code rateLimit(RateLimits.of(max, window))}.
         */
        public Builder rateLimit(int maxRequests, Duration window) {
            return rateLimit(RateLimits.of(maxRequests, window));
        }

        /** Rate limiting with a default limit and overrides per action (see {@link RateLimits}); null turns it off. */
        public Builder rateLimit(RateLimits limits) {
            this.rateLimits = limits;
            return this;
        }

        /**
         * Where the rate limiter's buckets live (the README's {@code dbMapping.ratelimiting}): in memory (the default,
         * each node counts on its own) or shared, e.g. {@code new RedisRateLimitBuckets(uri)} for a cluster-wide
         * limit. The server closes them on shutdown.
         */
        public Builder rateLimitBuckets(RateLimitBuckets buckets) {
            this.rateLimitBuckets = Objects.requireNonNull(buckets, "rateLimitBuckets");
            return this;
        }

        /**
         * Retention: change rows older than {@code changes} and idempotency records older than {@code idempotency} are
         * deleted (at start and then hourly); null keeps them forever (the default). A client whose cursor is older
         * than {@code changes} misses pruned changes and must re-clone; keep it longer than any client stays offline.
         */
        public Builder retention(Duration changes, Duration idempotency) {
            for (Duration d : new Duration[]{changes, idempotency}) {
                if (d != null && (d.isNegative() || d.isZero())) {
                    throw new IllegalArgumentException("retention must be positive, got " + d);
                }
            }
            this.changeRetention = changes;
            this.idempotencyRetention = idempotency;
            return this;
        }

        /**
         * Who hears about every answered request, the bus lag and, through {@link ServerObserver#started}, the wired
         * server (e.g. {@code new DatafnMetrics(meterRegistry)} of {@code datafn-server}); default
         * {@link ServerObserver#NONE}.
         */
        public Builder observer(ServerObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer");
            return this;
        }

        /**
         * A dependency {@code GET /readyz} reports besides the database and a shared bus, e.g. the store's Redis
         * sequence store ({@code "serverseq"}): not ready while {@code reachable} answers false.
         */
        public Builder readinessCheck(String name, java.util.function.BooleanSupplier reachable) {
            readinessChecks.add(new Readiness.Check(Objects.requireNonNull(name, "name"), Objects.requireNonNull(reachable, "reachable")));
            return this;
        }

        /**
         * Turns the admin console on at {@code <base>/admin} (off, 404, by default): requests with
         * {@code Authorization: Bearer <token>} act in the namespace of the {@code X-Datafn-Namespace} header (see
         * {@link AdminConsole}); every other request is identified as before. At least 16 printable characters.
         */
        public Builder admin(String token) {
            this.adminToken = AdminConsole.checkToken(token);
            return this;
        }

        /** Validates the wiring, creates or migrates the tables, and returns the server. */
        public DatafnServer build() {
            if (schema == null) {
                throw new IllegalStateException("schema: required");
            }
            if (store == null) {
                throw new IllegalStateException("store: required (e.g. JdbcStore.open(\"jdbc:sqlite:data/datafn.db\"))");
            }
            // what the DataFn client would refuse: the server serves it, the operator should hear about it
            schema.warnings().forEach(w -> LOG.warn("schema: {}", w));
            store.migrate(schema);
            PluginChain chain = new PluginChain(plugins);
            if (searchProvider != null) {
                searchProvider.open(schema, store);
            }
            SearchService search = new SearchService(schema, store, searchProvider, limits);
            QueryParser queryParser = new QueryParser(schema, limits, search);
            MutationParser mutationParser = new MutationParser(schema, limits);
            MutationService mutationService = new MutationService(schema, store, clock);
            AdminConsole admin = adminToken == null ? null : new AdminConsole(adminToken, store, basePath);
            RateLimiter rateLimiter = rateLimiter();
            Router router = new Router(new Router.Wiring(basePath, limits, authorizer,
                    admin == null ? namespaces : admin.guard(namespaces), chain, rateLimiter, observer,
                    routes(chain, search, queryParser, mutationParser, mutationService, admin)));
            WebSocketHub hub = new WebSocketHub(maxSockets, maxSocketsPerNamespace, heartbeatInterval, heartbeatTimeout);
            ClusterBus clusterBus = bus != null ? bus : new LocalBus();
            // every write path commits through the store: one message per commit, carrying its highest seq, published
            // off the committing thread and coalesced per namespace while the bus is busy
            CommitPublisher publisher;
            if (observer == ServerObserver.NONE) {
                clusterBus.subscribe(hub::broadcast);
                publisher = new CommitPublisher(clusterBus::publish);
            } else {
                BusLag lag = new BusLag(observer);
                clusterBus.subscribe((ns, seq) -> {
                    lag.delivered(ns, seq);
                    hub.broadcast(ns, seq);
                });
                publisher = new CommitPublisher((ns, seq) -> {
                    lag.published(ns, seq);
                    clusterBus.publish(ns, seq);
                });
            }
            store.onCommit(w -> publisher.offer(w.namespace(), w.maxSeq()));
            if (searchProvider != null) {
                clusterBus.subscribe(searchProvider::committed); // the commits of the other nodes
            }
            DatafnServer server = new DatafnServer(schema, store, router, pruner(store, clock), hub, clusterBus,
                    publisher, searchProvider, readinessChecks, rateLimiter);
            try {
                observer.started(server);
            } catch (RuntimeException e) {
                server.shutdown(0);
                throw e;
            }
            return server;
        }

        /** Null when rate limiting is off; then buckets given are closed at once, nothing else would close them. */
        private RateLimiter rateLimiter() {
            if (rateLimits == null) {
                if (rateLimitBuckets != null) {
                    rateLimitBuckets.close();
                }
                return null;
            }
            return new BucketRateLimiter(rateLimits, rateLimitBuckets != null ? rateLimitBuckets : RateLimitBuckets.inMemory(clock));
        }

        /**
         * The route table (PROTOCOL.md "Endpoints"): each endpoint once, with its service; the router runs every entry
         * through the same pipeline. Takes what several endpoints share.
         */
        private List<Route> routes(PluginChain chain, SearchService search, QueryParser queryParser,
                                   MutationParser mutationParser, MutationService mutationService,
                                   AdminConsole admin) {
            StatusService status = new StatusService(schema, store, limits, clock, search);
            QueryService queries = new QueryService(queryParser, store, chain, search, limits);
            MutationEndpoint mutations = new MutationEndpoint(mutationParser, mutationService, chain, limits);
            TransactService transact = new TransactService(queryParser, mutationParser, mutationService, store, limits, search);
            CloneService clone = new CloneService(schema, store);
            PullService pull = new PullService(schema, store, limits);
            PushService push = new PushService(mutationParser, mutationService, store, limits, clock);
            ReconcileService reconcile = new ReconcileService(schema, store);
            SeedService seed = new SeedService(mutationParser, mutationService, store, clock);
            List<Route> routes = new ArrayList<>(List.of(
                    new Route("GET", "status", "status", Route.Hooks.NONE, false, c -> Outcome.ok(status.status())),
                    Route.post("query", c -> Outcome.ok(queries.handle(c.ctx(), c.namespace(), c.actorId(), c.payload()))),
                    Route.post("search", c -> Outcome.ok(search.handle(c.namespace(), c.payload()))),
                    Route.post("mutation", c -> Outcome.ok(mutations.handle(c.ctx(), c.writer(), c.payload()))),
                    Route.post("transact", c -> Outcome.ok(transact.handle(c.writer(), c.payload()).toJson())),
                    Route.sync("clone", c -> {
                        CloneService.Plan plan = clone.plan(c.payload()); // refused before the first byte is sent
                        return new Outcome.Streamed(clone.stream(c.namespace(), c.actorId(), plan));
                    }),
                    Route.sync("pull", c -> Outcome.ok(pull.pull(c.namespace(), c.actorId(), c.payload()).toJson())),
                    Route.sync("push", c -> {
                        PushResult r = push.push(c.writer(), c.payload());
                        // E2: a failed mutation answers 400 with the whole result and the first error
                        return r.ok() ? Outcome.ok(r.toJson()) : new Outcome.Failed(400, r.toJson(), r.firstError());
                    }),
                    Route.sync("reconcile", c -> Outcome.ok(reconcile.reconcile(c.namespace(), c.actorId(), c.payload()))),
                    Route.sync("seed", c -> Outcome.ok(seed.seed(c.writer(), c.payload())))));
            if (rest) {
                RestEndpoint resources = new RestEndpoint(schema, queries, mutations);
                Route.Handler handler = c -> Outcome.ok(resources.handle(c));
                routes.add(new Route("GET", "resources/*", "query", Route.Hooks.NONE, true, handler));
                routes.add(new Route("POST", "resources/*", "mutation", Route.Hooks.NONE, true, handler));
                routes.add(new Route("PATCH", "resources/*/*", "mutation", Route.Hooks.NONE, true, handler));
                routes.add(new Route("DELETE", "resources/*/*", "mutation", Route.Hooks.NONE, true, handler));
            }
            if (admin != null) {
                routes.addAll(admin.routes());
            }
            OpenApi openApi = new OpenApi(schema, basePath, limits);
            routes.add(new Route("GET", "openapi.json", "openapi", Route.Hooks.NONE, false, c -> openApi.outcome()));
            openApi.describe(routes); // the finished table, this route included
            return routes;
        }

        private java.util.concurrent.ScheduledExecutorService pruner(Store store, Clock clock) {
            if (changeRetention == null && idempotencyRetention == null) {
                return null;
            }
            var exec = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "datafn-retention");
                t.setDaemon(true);
                return t;
            });
            exec.scheduleWithFixedDelay(() -> {
                try {
                    long now = clock.millis();
                    Store.Pruned n = store.prune(changeRetention == null ? 0 : now - changeRetention.toMillis(),
                            idempotencyRetention == null ? 0 : now - idempotencyRetention.toMillis());
                    LOG.info("retention: pruned {} change rows and {} idempotency records", n.changes(), n.idempotencyRecords());
                } catch (RuntimeException e) {
                    LOG.warn("retention: pruning failed (will retry)", e);
                }
            }, 0, 1, java.util.concurrent.TimeUnit.HOURS);
            return exec;
        }
    }
}
