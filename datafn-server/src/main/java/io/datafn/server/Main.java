package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.datafn.DatafnServer;
import io.datafn.Limits;
import io.datafn.auth.NamespaceProvider;
import io.datafn.jdbc.JdbcStore;
import io.datafn.lucene.LuceneSearchProvider;
import io.datafn.realtime.ClusterBus;
import io.datafn.realtime.LocalBus;
import io.datafn.redis.RedisBus;
import io.datafn.redis.RedisRateLimitBuckets;
import io.datafn.router.RateLimits;
import io.datafn.redis.RedisSequenceStore;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaException;
import io.datafn.schema.SchemaParser;
import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.AutoComplete;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The standalone server: {@code java -jar datafn-server.jar --schema FILE --port N --db URL}. Each option is declared
 * once, below; its value comes from the command line, else from the {@code DATAFN_*} environment variable named after
 * the flag ({@code --db-pool} → {@code DATAFN_DB_POOL}), else from the camelCase key of the YAML/JSON file given with
 * {@code --config} ({@code dbPool}), else from the option's default ({@link EnvironmentThenFile}).
 */
@Command(name = "datafn", mixinStandardHelpOptions = true, version = "datafn 0.1.0",
        description = {"Runs a DataFn server (DFQL query, mutation, transact, sync) over SQLite, PostgreSQL or MariaDB/MySQL,"
                + " and the tasks around it: schema check, migrate, export, import, quarantine.",
                "Without a command it serves (same as 'datafn serve')."},
        footer = {"", "Every option can also be set as a DATAFN_* environment variable (--db-pool: DATAFN_DB_POOL) or as a"
                + " camelCase key of the --config file (dbPool). The command line wins over the environment, which wins"
                + " over the file. Options may stand before or after the command.",
                "",
                "Examples:",
                "  datafn                                          serve examples/tasks.schema.json on SQLite, port 8080",
                "  datafn serve --db 'jdbc:postgresql://127.0.0.1:5432/app?user=postgres' --port 9000",
                "  datafn schema check schema.json                 problems and warnings with their JSON paths",
                "  datafn migrate --dry-run --schema schema.json   what a start with this schema would add or refuse",
                "  datafn export --namespace datafn --out backup/  one NDJSON file per resource",
                "  datafn import --namespace datafn backup/        back in through seed: recorded, clients pull it",
                "  source <(datafn generate-completion)            tab completion in bash or zsh",
                "",
                "Exit codes: 0 ok, 1 failed, 2 usage or configuration, 3 schema, 4 database, 5 port."},
        sortOptions = false, subcommands = {MigrateCommand.class, SchemaCommand.class, ExportCommand.class,
        ImportCommand.class, QuarantineCommand.class, AutoComplete.GenerateCompletion.class})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** The limits' defaults are {@link Limits}' own, not copies. */
    private static final Limits LIMITS = Limits.defaults();
    private static final ClientLimits CLIENTS = ClientLimits.defaults();

    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_SCHEMA = 3;
    static final int EXIT_DATABASE = 4;
    static final int EXIT_PORT = 5;

    @Option(scope = ScopeType.INHERIT, names = "--schema", defaultValue = "examples/tasks.schema.json", description = "Schema JSON file (default ${DEFAULT-VALUE})")
    Path schema;

    @Option(scope = ScopeType.INHERIT, names = "--port", defaultValue = "8080", description = "HTTP port, 0 for any free port (default ${DEFAULT-VALUE})")
    int port;

    @Option(scope = ScopeType.INHERIT, names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default ${DEFAULT-VALUE})")
    String host;

    @Option(scope = ScopeType.INHERIT, names = "--db", defaultValue = "jdbc:sqlite:data/datafn.db", description = "JDBC URL (default ${DEFAULT-VALUE})")
    String db;

    @Option(scope = ScopeType.INHERIT, names = "--db-user", description = "Database user")
    String dbUser;

    @Option(scope = ScopeType.INHERIT, names = "--db-password", description = "Database password")
    String dbPassword;

    @Option(scope = ScopeType.INHERIT, names = "--db-pool", defaultValue = "16", description = "Database connections (default ${DEFAULT-VALUE})")
    int dbPool;

    @Option(scope = ScopeType.INHERIT, names = "--db-timeout", defaultValue = "3000", description = "Milliseconds a request waits for a database"
            + " connection before it is answered 503 with Retry-After (250 .. 600000; default ${DEFAULT-VALUE})")
    long dbTimeout;

    @Option(scope = ScopeType.INHERIT, names = "--base-path", defaultValue = "/datafn", description = "Path prefix of the endpoints (default ${DEFAULT-VALUE})")
    String basePath;

    @Option(scope = ScopeType.INHERIT, names = "--max-limit", description = "Largest query limit (default ${DEFAULT-VALUE})")
    int maxLimit = LIMITS.maxLimit();

    /** Null unless set: {@code status} reports the steps limit only when it was configured. */
    @Option(scope = ScopeType.INHERIT, names = "--max-transact-steps", description = "Steps per transact (default: the built-in limit, which status does not report)")
    Integer maxTransactSteps;

    @Option(scope = ScopeType.INHERIT, names = "--max-payload-bytes", description = "Largest request body (default ${DEFAULT-VALUE})")
    long maxPayloadBytes = LIMITS.maxPayloadBytes();

    @Option(scope = ScopeType.INHERIT, names = "--max-pull-limit", description = "Changes per pull page (default ${DEFAULT-VALUE})")
    int maxPullLimit = LIMITS.maxPullLimit();

    @Option(scope = ScopeType.INHERIT, names = "--max-push-attempts", description = "Pushes of one mutation answered with a retryable error before it"
            + " is answered not retryable and quarantined (default ${DEFAULT-VALUE})")
    int maxPushAttempts = LIMITS.maxPushAttempts();

    @Option(scope = ScopeType.INHERIT, names = "--max-result-bytes", description = "Bytes of query answers one query batch or transact may build"
            + " before it is answered 400 LIMIT_EXCEEDED (default ${DEFAULT-VALUE})")
    long maxResultBytes = LIMITS.maxResultBytes();

    @Option(scope = ScopeType.INHERIT, names = "--auth", defaultValue = "none", description = "none (one namespace) or jwt (namespace per user/tenant from a verified JWT) (default ${DEFAULT-VALUE})")
    String auth;

    @Option(scope = ScopeType.INHERIT, names = "--jwt-secret", description = "HS256 secret, at least 32 bytes")
    String jwtSecret;

    @Option(scope = ScopeType.INHERIT, names = "--jwt-public-key", description = "RSA or EC public key PEM file for RS256/ES256 tokens")
    Path jwtPublicKey;

    @Option(scope = ScopeType.INHERIT, names = "--jwt-user-claim", defaultValue = "sub", description = "Claim holding the user id (default ${DEFAULT-VALUE})")
    String jwtUserClaim;

    @Option(scope = ScopeType.INHERIT, names = "--jwt-tenant-claim", defaultValue = "tenant_id", description = "Claim holding the tenant id (default ${DEFAULT-VALUE})")
    String jwtTenantClaim;

    @Option(scope = ScopeType.INHERIT, names = "--retention-days", defaultValue = "0", description = "Prune change rows older than this many days; 0 keeps them (default ${DEFAULT-VALUE})")
    int retentionDays;

    @Option(scope = ScopeType.INHERIT, names = "--idempotency-days", defaultValue = "0", description = "Prune idempotency records older than this many days; 0 keeps them (default ${DEFAULT-VALUE})")
    int idempotencyDays;

    @Option(scope = ScopeType.INHERIT, names = "--rest", defaultValue = "false", description = "Serve the REST wrappers under <base>/resources (default ${DEFAULT-VALUE})")
    boolean rest;

    @Option(scope = ScopeType.INHERIT, names = "--rate-limit", defaultValue = "0", description = "Requests per action and namespace per window; 0 = off (default ${DEFAULT-VALUE})")
    int rateLimit;

    @Option(scope = ScopeType.INHERIT, names = "--rate-limit-window", defaultValue = "60", description = "Rate-limit window in seconds (default ${DEFAULT-VALUE})")
    int rateLimitWindow;

    @Option(scope = ScopeType.INHERIT, names = "--rate-limit-action", split = ",", paramLabel = "ACTION=N[/S]",
            description = "Per-action limit instead of --rate-limit, e.g. push=10/60 (repeatable or comma-separated)")
    List<String> rateLimitActions = new ArrayList<>();

    @Option(scope = ScopeType.INHERIT, names = "--ratelimiting", defaultValue = "memory", description = "Where the rate-limit"
            + " buckets live: memory (each node counts on its own) or redis (every node shares them; needs --redis)"
            + " (default ${DEFAULT-VALUE})")
    String ratelimiting;

    @Option(scope = ScopeType.INHERIT, names = "--ws-max-sockets", defaultValue = "10000", description = "Open WebSockets on this node; one more is"
            + " closed with 4503 (default ${DEFAULT-VALUE})")
    int wsMaxSockets;

    @Option(scope = ScopeType.INHERIT, names = "--ws-max-per-namespace", defaultValue = "1000", description = "Open WebSockets of one namespace on"
            + " this node (default ${DEFAULT-VALUE})")
    int wsMaxPerNamespace;

    @Option(scope = ScopeType.INHERIT, names = "--ws-heartbeat-ms", defaultValue = "30000", description = "How often each WebSocket"
            + " is pinged (default ${DEFAULT-VALUE})")
    long wsHeartbeatMs;

    @Option(scope = ScopeType.INHERIT, names = "--ws-heartbeat-timeout-ms", defaultValue = "10000", description = "A WebSocket that"
            + " leaves a ping unanswered this long is closed with 1001 Heartbeat timeout (default ${DEFAULT-VALUE})")
    long wsHeartbeatTimeoutMs;

    @Option(scope = ScopeType.INHERIT, names = "--ws-max-per-source", description = "Open WebSockets from one remote address; one more is closed"
            + " with 4503; 0 = no limit (default ${DEFAULT-VALUE})")
    int wsMaxPerSource = CLIENTS.wsMaxPerSource();

    @Option(scope = ScopeType.INHERIT, names = "--max-connections-per-source", description = "Open connections from one remote address; one more"
            + " is answered 503 and closed; 0 = no limit (behind a reverse proxy all connections share its address)"
            + " (default ${DEFAULT-VALUE})")
    int maxConnectionsPerSource = CLIENTS.maxConnectionsPerSource();

    @Option(scope = ScopeType.INHERIT, names = "--header-timeout", description = "Milliseconds from a request's first byte until its headers are"
            + " complete, else 408 and the connection is closed (against slowloris) (default ${DEFAULT-VALUE})")
    long headerTimeout = CLIENTS.headerTimeout().toMillis();

    @Option(scope = ScopeType.INHERIT, names = "--request-timeout", description = "Milliseconds from a request's first byte until its headers and"
            + " body are complete, else 408 and the connection is closed (default ${DEFAULT-VALUE})")
    long requestTimeout = CLIENTS.requestTimeout().toMillis();

    @Option(scope = ScopeType.INHERIT, names = "--redis", description = "Redis URI, e.g. redis://127.0.0.1:6379")
    String redis;

    @Option(scope = ScopeType.INHERIT, names = "--serverseq", defaultValue = "db", description = "Where serverSeq comes from: db or redis (default ${DEFAULT-VALUE})")
    String serverseq;

    @Option(scope = ScopeType.INHERIT, names = "--bus", defaultValue = "auto", description = "How commits reach every"
            + " node's WebSockets: auto, local, postgres, redis or poll (default ${DEFAULT-VALUE}: PostgreSQL LISTEN/NOTIFY"
            + " on PostgreSQL, else Redis pub/sub with --redis, else poll: read the database's seq counters every --bus-poll-ms)")
    String bus;

    @Option(scope = ScopeType.INHERIT, names = "--bus-poll-ms", defaultValue = "200", description = "With --bus poll:"
            + " milliseconds between two reads of the seq counters, the longest a commit of another node waits before"
            + " this node's sockets hear of it (default ${DEFAULT-VALUE})")
    long busPollMs;

    @Option(scope = ScopeType.INHERIT, names = "--search-dir", description = "Folder of the search indexes, one folder"
            + " per namespace, kept current from the change log; memory keeps them in memory, rebuilt from the database"
            + " after a restart (default: <name>-search beside a SQLite file, data/datafn-search for the default database, else data/search)")
    String searchDir;

    @Option(scope = ScopeType.INHERIT, names = "--search-max-open", defaultValue = "1000", description = "Namespace search"
            + " indexes open at once; beyond it the least recently searched is committed and closed (default ${DEFAULT-VALUE})")
    int searchMaxOpen;

    @Option(names = "--admin-token", description = "Turns the admin console on at <base>/admin; API calls with"
            + " Authorization: Bearer <token> act in the namespace of the X-Datafn-Namespace header (at least 16"
            + " characters; default: off)")
    String adminToken;

    /** Only from the command line or {@code DATAFN_CONFIG}: the file cannot name itself. */
    @Option(scope = ScopeType.INHERIT, names = "--config", description = "YAML or JSON file with any of these options")
    Path config;

    private final Map<String, String> env;
    private JsonNode file;
    /** Where the environment or the file gave an option its value, for error messages. */
    private final Map<ArgSpec, String> sources = new HashMap<>();

    Main() {
        this(System.getenv());
    }

    /** @param env the environment the {@code DATAFN_*} variables are read from */
    Main(Map<String, String> env) {
        this.env = env;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        return commandLine(new Main()).execute(args);
    }

    /** The command line of {@code main}: its options with environment and file behind them, usage errors exit 2. */
    static CommandLine commandLine(Main main) {
        CommandLine cl = new CommandLine(main);
        cl.setDefaultValueProvider(main.new EnvironmentThenFile());
        cl.setParameterExceptionHandler((ex, a) -> {
            ArgSpec spec = ex.getArgSpec() == null ? null : ex.getArgSpec().inherited() ? ex.getArgSpec().root() : ex.getArgSpec();
            String from = spec == null ? null : main.sources.get(spec);
            System.err.println("datafn: " + ex.getMessage() + (from == null ? "" : " (from " + from + ")") + " (see --help)");
            return EXIT_USAGE;
        });
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("serve")) {
                shortHelp(sub);
            }
        });
        cl.setExecutionStrategy(parsed -> {
            // a command's stdout is its output: the store's INFO lines would only interleave with it
            CommandLine.ParseResult last = parsed;
            while (last.hasSubcommand()) {
                last = last.subcommand();
            }
            boolean serving = last == parsed || last.commandSpec().name().equals("serve");
            ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
            ch.qos.logback.classic.Level level = root.getLevel();
            if (!serving) {
                root.setLevel(ch.qos.logback.classic.Level.WARN);
            }
            try {
                return new CommandLine.RunLast().execute(parsed);
            } finally {
                root.setLevel(level);
            }
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof Failure f) {
                System.err.println("datafn: " + f.getMessage());
                return f.exit;
            }
            if (ex instanceof SchemaException e) {
                System.err.println("datafn: " + main.problems(e));
                return EXIT_SCHEMA;
            }
            if (ex instanceof IllegalArgumentException) {
                System.err.println("datafn: bad configuration: " + oneLine(ex));
                return EXIT_USAGE;
            }
            System.err.println("datafn: " + c.getCommandName() + " failed: " + oneLine(ex));
            return EXIT_FAILED;
        });
        return cl;
    }

    /**
     * A command's help lists its own options only: the inherited server options (all of them, so that they may stand
     * after the command) would bury them; a line points to {@code datafn --help}.
     */
    private static void shortHelp(CommandLine cmd) {
        cmd.getCommandSpec().usageMessage().abbreviateSynopsis(true);
        cmd.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, help -> {
            List<OptionSpec> own = help.commandSpec().options().stream().filter(o -> !o.inherited()).toList();
            String inherited = help.commandSpec().options().stream().anyMatch(ArgSpec::inherited)
                    ? "  The options of datafn (--schema, --db, --db-user, --db-password, --config, ...) apply too;"
                    + " see datafn --help.%n" : "";
            return help.optionListExcludingGroups(own) + String.format(inherited);
        });
        for (CommandLine sub : cmd.getSubcommands().values()) {
            shortHelp(sub);
        }
    }

    /**
     * The value of an option the command line did not give: {@code DATAFN_<FLAG>} (an empty variable counts as unset),
     * else the config file's camelCase key, else null (picocli then uses the option's default). Only this command's
     * options; the subcommand's have no environment or file form.
     */
    final class EnvironmentThenFile implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            ArgSpec own = arg.inherited() ? arg.root() : arg; // options stand before or after a command
            if (!(own instanceof OptionSpec o) || o.command().userObject() != Main.this || o.usageHelp() || o.versionHelp()) {
                return null;
            }
            String flag = o.longestName().substring(2);
            String v = env(flag);
            if (v != null) {
                sources.put(o, envName(flag));
            } else if (!flag.equals("config")) {
                JsonNode f = file(o);
                String key = camelCase(flag);
                if (f != null && f.hasNonNull(key)) {
                    JsonNode n = f.get(key);
                    v = n.isArray() ? String.join(",", java.util.stream.StreamSupport.stream(n.spliterator(), false)
                            .map(JsonNode::asText).toList()) : n.asText();
                    sources.put(o, "key " + key + " of " + configPath());
                }
            }
            Class<?> t = o.type();
            boolean number = t == int.class || t == Integer.class || t == long.class || t == Long.class;
            return v != null && number ? v.trim() : v;
        }
    }

    private static String envName(String flag) {
        return "DATAFN_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private String env(String flag) {
        String v = env.get(envName(flag));
        return v == null || v.isEmpty() ? null : v;
    }

    private static String camelCase(String flag) {
        StringBuilder sb = new StringBuilder();
        for (String part : flag.split("-")) {
            sb.append(sb.length() == 0 ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
        }
        return sb.toString();
    }

    /** The {@code --config} file (command line, else {@code DATAFN_CONFIG}), read once; null when there is none. */
    private JsonNode file(OptionSpec asking) {
        Path path = configPath();
        if (file == null && path != null) {
            String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
            ObjectMapper m = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            try {
                file = m.readTree(Files.readString(path));
            } catch (IOException e) {
                throw new CommandLine.ParameterException(asking.command().commandLine(), "bad configuration: cannot read "
                        + path + ": " + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()));
            }
        }
        return file;
    }

    private Path configPath() {
        return config != null ? config : env("config") == null ? null : Path.of(env("config"));
    }

    @Option(names = "--log-format", defaultValue = "text", description = "text or json (one JSON object per line:"
            + " timestamp, level, logger, message, requestId; the access log adds namespace, method, route, status, ms)"
            + " (default ${DEFAULT-VALUE})")
    String logFormatName;

    private LogFormat logFormat = LogFormat.TEXT;

    @Option(names = "--access-log", defaultValue = "true", arity = "1", description = "true or false: one log line per"
            + " answered request (request id, method, route, status, ms, namespace) (default ${DEFAULT-VALUE})")
    boolean accessLog;

    /** What the options derive: the limits (on top of {@link Limits#defaults()}) and the namespace provider. */
    record Settings(Limits limits, NamespaceProvider namespaces, RateLimits rateLimits, ClientLimits clients) {
    }

    /** Checks the options picocli cannot and derives the settings; an IllegalArgumentException names the option. */
    Settings settings() throws IOException {
        Limits limits = LIMITS.withMaxLimit(maxLimit).withMaxPayloadBytes(maxPayloadBytes).withMaxPullLimit(maxPullLimit)
                .withMaxPushAttempts(maxPushAttempts).withMaxResultBytes(maxResultBytes);
        if (maxTransactSteps != null) {
            limits = limits.withMaxTransactSteps(maxTransactSteps);
        }
        if (adminToken != null) {
            io.datafn.admin.AdminConsole.checkToken(adminToken);
        }
        if (busPollMs < 1) {
            throw new IllegalArgumentException("bus-poll-ms must be at least 1, got " + busPollMs);
        }
        if (wsHeartbeatMs < 1 || wsHeartbeatTimeoutMs < 1) {
            throw new IllegalArgumentException("ws-heartbeat-ms and ws-heartbeat-timeout-ms must be at least 1, got "
                    + wsHeartbeatMs + " and " + wsHeartbeatTimeoutMs);
        }
        if (!serverseq.equals("db") && !serverseq.equals("redis")) {
            throw new IllegalArgumentException("serverseq must be db or redis, got '" + serverseq + "'");
        }
        logFormat = LogFormat.parse(logFormatName);
        if (!ratelimiting.equals("memory") && !ratelimiting.equals("redis")) {
            throw new IllegalArgumentException("ratelimiting must be memory or redis, got '" + ratelimiting + "'");
        }
        ClientLimits clients = new ClientLimits(Duration.ofMillis(headerTimeout), Duration.ofMillis(requestTimeout),
                maxConnectionsPerSource, wsMaxPerSource);
        return new Settings(limits, namespaces(), rateLimits(), clients);
    }

    /** The rate limits of the options; null when rate limiting is off (no --rate-limit and no --rate-limit-action). */
    private RateLimits rateLimits() {
        Duration window = Duration.ofSeconds(rateLimitWindow);
        RateLimits limits = rateLimit > 0 ? RateLimits.of(rateLimit, window) : null;
        for (String a : rateLimitActions) {
            int eq = a.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("rate-limit-action must be ACTION=N or ACTION=N/SECONDS, got '" + a + "'");
            }
            if (limits == null) { // only per-action limits: the other actions stay unlimited in practice
                limits = new RateLimits(new RateLimits.Limit(1_000_000_000, window), Map.of());
            }
            limits = limits.withAction(a.substring(0, eq).trim(), RateLimits.Limit.parse(a.substring(eq + 1), window));
        }
        return limits;
    }

    private NamespaceProvider namespaces() throws IOException {
        if (auth.equals("none")) {
            return NamespaceProvider.SINGLE;
        }
        if (!auth.equals("jwt")) {
            throw new IllegalArgumentException("auth must be none or jwt, got '" + auth + "'");
        }
        if ((jwtSecret == null) == (jwtPublicKey == null)) {
            throw new IllegalArgumentException("auth jwt needs exactly one of --jwt-secret or --jwt-public-key");
        }
        return new JwtAuth(jwtSecret != null ? JwtAuth.hmac(jwtSecret) : JwtAuth.publicKey(jwtPublicKey), jwtUserClaim,
                jwtTenantClaim);
    }

    /** Without a command: serve. */
    @Override
    public Integer call() {
        return serve();
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, description = {"Runs the server (the default command).",
            "SIGTERM stops it gracefully: new requests get 503, requests in flight finish."},
            footer = {"", "Examples:", "  datafn serve --port 9000 --schema schema.json",
                    "  datafn serve --db 'jdbc:postgresql://127.0.0.1:5432/app?user=postgres' --redis redis://127.0.0.1:6379 --bus redis"})
    int serve() {
        Running running;
        try {
            running = start();
        } catch (Exit e) {
            System.err.println("datafn: " + e.getMessage());
            return e.code;
        }
        Object lock = new Object();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("DataFn server stopping: finishing requests in flight");
            running.close();
            synchronized (lock) {
                lock.notifyAll();
            }
        }, "datafn-shutdown"));
        synchronized (lock) {
            try {
                lock.wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return 0;
    }

    /** A start-up failure: the process prints its one-line reason and exits with {@code code}. */
    static final class Exit extends Exception {
        final int code;

        Exit(int code, String reason) {
            super(reason, null, false, false);
            this.code = code;
        }
    }

    /**
     * The running standalone server: the DataFn server, its Javalin application (the DataFn endpoints under the base
     * path; {@code /healthz}, {@code /readyz} and {@code /metrics} at the root) and its Prometheus registry.
     */
    record Running(DatafnServer server, Javalin app, PrometheusMeterRegistry registry, AutoCloseable jvmMetrics)
            implements AutoCloseable {
        /** Graceful stop: new requests 503, requests in flight get 10 s, then the listener and the store close. */
        @Override
        public void close() {
            server.shutdown(10_000);
            app.stop();
            closeMetrics(registry, jvmMetrics);
        }
    }

    private static void closeMetrics(PrometheusMeterRegistry registry, AutoCloseable jvmMetrics) {
        try {
            jvmMetrics.close();
        } catch (Exception e) {
            log.warn("metrics: closing the JVM meters failed (ignored): {}", e.toString());
        }
        registry.close();
    }

    /** Checks the options, opens the database, wires the server and starts listening; the caller stops it. */
    Running start() throws Exit {
        Settings s;
        try {
            s = settings();
        } catch (IOException | RuntimeException e) {
            throw new Exit(EXIT_USAGE, "bad configuration: " + e.getMessage());
        }
        logFormat.apply();
        LogFormat.accessLog(accessLog);
        Schema parsed;
        try {
            parsed = SchemaParser.parse(schema);
        } catch (SchemaException e) {
            throw new Exit(EXIT_SCHEMA, "schema " + schema + " is invalid: " + String.join("; ",
                    e.problems().stream().map(Object::toString).toList()));
        }
        if (!portFree(host, port)) {
            throw new Exit(EXIT_PORT, "port " + port + " on " + host + " is already in use");
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AutoCloseable jvmMetrics = DatafnMetrics.bindJvm(registry);
        try {
            return start(s, parsed, registry, jvmMetrics);
        } catch (Exit | RuntimeException e) {
            closeMetrics(registry, jvmMetrics);
            throw e;
        }
    }

    private Running start(Settings s, Schema parsed, PrometheusMeterRegistry registry, AutoCloseable jvmMetrics)
            throws Exit {
        DatafnServer server;
        try {
            RedisSequenceStore redisSeq = serverseq.equals("redis") ? new RedisSequenceStore(requireRedis()) : null;
            JdbcStore store = JdbcStore.at(db).user(dbUser).password(dbPassword).poolSize(dbPool)
                    .acquireTimeout(Duration.ofMillis(dbTimeout)).sequences(redisSeq).open();
            try {
                DatafnServer.Builder builder = DatafnServer.builder().schema(parsed).store(store).basePath(basePath).limits(s.limits())
                        .namespaceProvider(s.namespaces())
                        .retention(retentionDays > 0 ? Duration.ofDays(retentionDays) : null,
                                idempotencyDays > 0 ? Duration.ofDays(idempotencyDays) : null)
                        .rest(rest)
                        .websocketLimits(wsMaxSockets, wsMaxPerNamespace)
                        .websocketHeartbeat(java.time.Duration.ofMillis(wsHeartbeatMs),
                                java.time.Duration.ofMillis(wsHeartbeatTimeoutMs))
                        .observer(new DatafnMetrics(registry));
                builder.clusterBus(bus(store)).searchProvider(search());
                if (redisSeq != null) {
                    builder.readinessCheck("serverseq", redisSeq::healthy);
                }
                if (s.rateLimits() != null) {
                    builder.rateLimit(s.rateLimits());
                    if (ratelimiting.equals("redis")) {
                        builder.rateLimitBuckets(new RedisRateLimitBuckets(requireRedis()));
                    }
                }
                if (adminToken != null) {
                    builder.admin(adminToken);
                }
                server = builder.build();
            } catch (SchemaException e) {
                store.close();
                throw new Exit(EXIT_SCHEMA, "the database holds data the new schema would lose: " + String.join("; ",
                        e.problems().stream().map(Object::toString).toList()));
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
        } catch (RuntimeException e) {
            throw new Exit(EXIT_DATABASE, "database " + db + " is not usable: " + oneLine(e));
        }
        Javalin app;
        try {
            app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.jetty.host = host;
                cfg.jetty.port = port;
                DatafnJavalin.mountOperations(cfg, server, registry);
                DatafnJavalin.mount(cfg, server, s.clients());
                mountRoot(cfg, server.router().basePath(), adminToken != null);
            }).start();
        } catch (RuntimeException e) {
            server.shutdown(0);
            throw new Exit(EXIT_PORT, "cannot listen on " + host + ":" + port + ": " + oneLine(e));
        }
        log.info("DataFn server listening on http://{}:{}{} | database: {} | schema: {} ({}) | hash {} | auth: {}",
                host, app.port(), basePath, server.store().describe(), schema,
                parsed.resources().size() + " resources", parsed.hash(),
                s.namespaces() == NamespaceProvider.SINGLE ? "none (namespace datafn)" : "jwt");
        return new Running(server, app, registry, jvmMetrics);
    }

    /**
     * {@code GET /} of the standalone server (unless the base path is the root itself): with the admin console on, a
     * redirect to it; otherwise a JSON hint where the API and its description are.
     */
    static void mountRoot(io.javalin.config.JavalinConfig cfg, String basePath, boolean admin) {
        if (!basePath.isEmpty()) {
            cfg.routes.get("/", ctx -> root(ctx, basePath, admin));
        }
    }

    private static void root(io.javalin.http.Context ctx, String basePath, boolean admin) {
        if (admin) {
            ctx.redirect(basePath + "/admin");
            return;
        }
        com.fasterxml.jackson.databind.node.ObjectNode hint = io.datafn.json.Json.object();
        hint.put("ok", true);
        hint.putObject("result").put("name", "DataFn server").put("status", basePath + "/status")
                .put("openapi", basePath + "/openapi.json")
                .put("admin", "off: start the server with --admin-token to serve the console at " + basePath + "/admin");
        ctx.contentType(io.datafn.router.Response.JSON).result(io.datafn.json.Json.bytes(hint));
    }

    /** The search provider: Lucene indexes in {@code --search-dir}, or in memory. */
    LuceneSearchProvider search() {
        if ("memory".equals(searchDir)) {
            return new LuceneSearchProvider(null, searchMaxOpen);
        }
        return new LuceneSearchProvider(searchFolder(searchDir, db), searchMaxOpen);
    }

    /**
     * {@code --search-dir}; else, for a SQLite file, {@code <name>-search} beside it ({@code data/datafn-search} for the
     * default database), so that two databases of one folder do not share indexes; else {@code data/search}.
     */
    static Path searchFolder(String searchDir, String db) {
        if (searchDir != null) {
            return Path.of(searchDir);
        }
        String sqlite = db.startsWith("jdbc:sqlite:") ? db.substring("jdbc:sqlite:".length()).replaceFirst("^file:", "")
                .replaceFirst("\\?.*$", "") : "";
        if (!sqlite.isEmpty() && !sqlite.contains(":memory:")) {
            Path file = Path.of(sqlite).toAbsolutePath();
            return file.resolveSibling(file.getFileName().toString().replaceFirst("\\.[^.]*$", "") + "-search");
        }
        return Path.of("data", "search");
    }

    /**
     * The cluster bus: commits of every node reach this node's WebSocket clients (and search indexes). {@code auto}
     * takes the database's own notifications where it has them (PostgreSQL), else Redis when configured, else polls
     * the database's counters (MariaDB, SQLite): with any of them, nodes sharing the database hear each other.
     */
    ClusterBus bus(JdbcStore store) {
        if (bus.equals("auto") || bus.equals("postgres")) {
            ClusterBus storeBus = store.nativeBus();
            if (storeBus != null) {
                return storeBus;
            }
            if (bus.equals("postgres")) {
                throw new IllegalArgumentException("--bus postgres needs a PostgreSQL --db, got " + store.describe());
            }
        }
        String mode = bus.equals("auto") ? (redis != null ? "redis" : "poll") : bus;
        return switch (mode) {
            case "local" -> new LocalBus();
            case "redis" -> new RedisBus(requireRedis());
            case "poll" -> store.pollingBus(Duration.ofMillis(busPollMs));
            default -> throw new IllegalArgumentException("bus must be auto, local, postgres, redis or poll, got '" + bus + "'");
        };
    }

    private String requireRedis() {
        if (redis == null) {
            throw new IllegalArgumentException("--redis URI is required for serverseq, bus or ratelimiting redis");
        }
        return redis;
    }

    private static boolean portFree(String host, int port) {
        if (port == 0) {
            return true;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
            return true;
        } catch (BindException e) {
            return false;
        } catch (IOException e) {
            return true; // let the server itself report anything else
        }
    }

    /** A failure of a command with its exit code and a one-line message (the execution handler prints it). */
    static final class Failure extends RuntimeException {
        final int exit;

        Failure(int exit, String message) {
            super(message);
            this.exit = exit;
        }
    }

    /** The --schema file parsed; a bad one is a {@link Failure} with {@link #EXIT_SCHEMA}. */
    Schema loadSchema() {
        try {
            return SchemaParser.parse(schema);
        } catch (SchemaException e) {
            throw new Failure(EXIT_SCHEMA, problems(e));
        }
    }

    /** The --db store with a small pool for a command (not the server); unusable is a {@link Failure} with 4. */
    JdbcStore openStore(int poolSize) {
        try {
            return JdbcStore.at(db).user(dbUser).password(dbPassword).poolSize(poolSize)
                    .acquireTimeout(Duration.ofMillis(dbTimeout)).open();
        } catch (RuntimeException e) {
            throw new Failure(EXIT_DATABASE, "database " + db + " is not usable: " + oneLine(e));
        }
    }

    private String problems(SchemaException e) {
        return "schema " + schema + " is invalid: " + joined(e);
    }

    private static String joined(SchemaException e) {
        return String.join("; ", e.problems().stream().map(Object::toString).toList());
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
