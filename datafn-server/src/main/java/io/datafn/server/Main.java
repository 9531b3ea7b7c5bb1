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
import io.datafn.redis.RedisSequenceStore;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaException;
import io.datafn.schema.SchemaParser;
import io.javalin.Javalin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The standalone server: {@code java -jar datafn-server.jar --schema FILE --port N --db URL}. Each option is declared
 * once, below; its value comes from the command line, else from the {@code DATAFN_*} environment variable named after
 * the flag ({@code --db-pool} → {@code DATAFN_DB_POOL}), else from the camelCase key of the YAML/JSON file given with
 * {@code --config} ({@code dbPool}), else from the option's default ({@link EnvironmentThenFile}).
 */
@Command(name = "datafn-server", mixinStandardHelpOptions = true, version = "datafn-server 0.1.0",
        description = "Runs a DataFn server (DFQL query, mutation, transact) over SQLite, PostgreSQL or MariaDB/MySQL.",
        footer = {"", "Every option can also be set as a DATAFN_* environment variable (--db-pool: DATAFN_DB_POOL) or as a"
                + " camelCase key of the --config file (dbPool). The command line wins over the environment, which wins"
                + " over the file."},
        sortOptions = false, subcommands = QuarantineCommand.class)
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** The limits' defaults are {@link Limits}' own, not copies. */
    private static final Limits LIMITS = Limits.defaults();
    private static final ClientLimits CLIENTS = ClientLimits.defaults();

    static final int EXIT_USAGE = 2;
    static final int EXIT_SCHEMA = 3;
    static final int EXIT_DATABASE = 4;
    static final int EXIT_PORT = 5;

    @Option(names = "--schema", defaultValue = "examples/tasks.schema.json", description = "Schema JSON file (default ${DEFAULT-VALUE})")
    Path schema;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port, 0 for any free port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--db", defaultValue = "jdbc:sqlite:data/datafn.db", description = "JDBC URL (default ${DEFAULT-VALUE})")
    String db;

    @Option(names = "--db-user", description = "Database user")
    String dbUser;

    @Option(names = "--db-password", description = "Database password")
    String dbPassword;

    @Option(names = "--db-pool", defaultValue = "16", description = "Database connections (default ${DEFAULT-VALUE})")
    int dbPool;

    @Option(names = "--db-timeout", defaultValue = "3000", description = "Milliseconds a request waits for a database"
            + " connection before it is answered 503 with Retry-After (250 .. 600000; default ${DEFAULT-VALUE})")
    long dbTimeout;

    @Option(names = "--base-path", defaultValue = "/datafn", description = "Path prefix of the endpoints (default ${DEFAULT-VALUE})")
    String basePath;

    @Option(names = "--max-limit", description = "Largest query limit (default ${DEFAULT-VALUE})")
    int maxLimit = LIMITS.maxLimit();

    /** Null unless set: {@code status} reports the steps limit only when it was configured. */
    @Option(names = "--max-transact-steps", description = "Steps per transact (default: the built-in limit, which status does not report)")
    Integer maxTransactSteps;

    @Option(names = "--max-payload-bytes", description = "Largest request body (default ${DEFAULT-VALUE})")
    long maxPayloadBytes = LIMITS.maxPayloadBytes();

    @Option(names = "--max-pull-limit", description = "Changes per pull page (default ${DEFAULT-VALUE})")
    int maxPullLimit = LIMITS.maxPullLimit();

    @Option(names = "--max-push-attempts", description = "Pushes of one mutation answered with a retryable error before it"
            + " is answered not retryable and quarantined (default ${DEFAULT-VALUE})")
    int maxPushAttempts = LIMITS.maxPushAttempts();

    @Option(names = "--max-result-bytes", description = "Bytes of query answers one query batch or transact may build"
            + " before it is answered 400 LIMIT_EXCEEDED (default ${DEFAULT-VALUE})")
    long maxResultBytes = LIMITS.maxResultBytes();

    @Option(names = "--auth", defaultValue = "none", description = "none (one namespace) or jwt (namespace per user/tenant from a verified JWT) (default ${DEFAULT-VALUE})")
    String auth;

    @Option(names = "--jwt-secret", description = "HS256 secret, at least 32 bytes")
    String jwtSecret;

    @Option(names = "--jwt-public-key", description = "RSA or EC public key PEM file for RS256/ES256 tokens")
    Path jwtPublicKey;

    @Option(names = "--jwt-user-claim", defaultValue = "sub", description = "Claim holding the user id (default ${DEFAULT-VALUE})")
    String jwtUserClaim;

    @Option(names = "--jwt-tenant-claim", defaultValue = "tenant_id", description = "Claim holding the tenant id (default ${DEFAULT-VALUE})")
    String jwtTenantClaim;

    @Option(names = "--retention-days", defaultValue = "0", description = "Prune change rows older than this many days; 0 keeps them (default ${DEFAULT-VALUE})")
    int retentionDays;

    @Option(names = "--idempotency-days", defaultValue = "0", description = "Prune idempotency records older than this many days; 0 keeps them (default ${DEFAULT-VALUE})")
    int idempotencyDays;

    @Option(names = "--rest", defaultValue = "false", description = "Serve the REST wrappers under <base>/resources (default ${DEFAULT-VALUE})")
    boolean rest;

    @Option(names = "--rate-limit", defaultValue = "0", description = "Requests per action and namespace per window; 0 = off (default ${DEFAULT-VALUE})")
    int rateLimit;

    @Option(names = "--rate-limit-window", defaultValue = "60", description = "Rate-limit window in seconds (default ${DEFAULT-VALUE})")
    int rateLimitWindow;

    @Option(names = "--ws-max-sockets", defaultValue = "10000", description = "Open WebSockets on this node; one more is"
            + " closed with 4503 (default ${DEFAULT-VALUE})")
    int wsMaxSockets;

    @Option(names = "--ws-max-per-namespace", defaultValue = "1000", description = "Open WebSockets of one namespace on"
            + " this node (default ${DEFAULT-VALUE})")
    int wsMaxPerNamespace;

    @Option(names = "--ws-max-per-source", description = "Open WebSockets from one remote address; one more is closed"
            + " with 4503; 0 = no limit (default ${DEFAULT-VALUE})")
    int wsMaxPerSource = CLIENTS.wsMaxPerSource();

    @Option(names = "--max-connections-per-source", description = "Open connections from one remote address; one more"
            + " is answered 503 and closed; 0 = no limit (behind a reverse proxy all connections share its address)"
            + " (default ${DEFAULT-VALUE})")
    int maxConnectionsPerSource = CLIENTS.maxConnectionsPerSource();

    @Option(names = "--header-timeout", description = "Milliseconds from a request's first byte until its headers are"
            + " complete, else 408 and the connection is closed (against slowloris) (default ${DEFAULT-VALUE})")
    long headerTimeout = CLIENTS.headerTimeout().toMillis();

    @Option(names = "--request-timeout", description = "Milliseconds from a request's first byte until its headers and"
            + " body are complete, else 408 and the connection is closed (default ${DEFAULT-VALUE})")
    long requestTimeout = CLIENTS.requestTimeout().toMillis();

    @Option(names = "--redis", description = "Redis URI, e.g. redis://127.0.0.1:6379")
    String redis;

    @Option(names = "--serverseq", defaultValue = "db", description = "Where serverSeq comes from: db or redis (default ${DEFAULT-VALUE})")
    String serverseq;

    @Option(names = "--bus", defaultValue = "auto", description = "How commits reach every node's WebSockets: auto, local, postgres or redis (default ${DEFAULT-VALUE}: the database's own bus where it has one, PostgreSQL LISTEN/NOTIFY, else local)")
    String bus;

    /** Only from the command line or {@code DATAFN_CONFIG}: the file cannot name itself. */
    @Option(names = "--config", description = "YAML or JSON file with any of these options")
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
            String from = ex.getArgSpec() == null ? null : main.sources.get(ex.getArgSpec());
            System.err.println("datafn-server: " + ex.getMessage() + (from == null ? "" : " (from " + from + ")") + " (see --help)");
            return EXIT_USAGE;
        });
        return cl;
    }

    /**
     * The value of an option the command line did not give: {@code DATAFN_<FLAG>} (an empty variable counts as unset),
     * else the config file's camelCase key, else null (picocli then uses the option's default). Only this command's
     * options; the subcommand's have no environment or file form.
     */
    final class EnvironmentThenFile implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(ArgSpec arg) {
            if (!(arg instanceof OptionSpec o) || o.command().userObject() != Main.this || o.usageHelp() || o.versionHelp()) {
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
                    v = f.get(key).asText();
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

    /** What the options derive: the limits (on top of {@link Limits#defaults()}) and the namespace provider. */
    record Settings(Limits limits, NamespaceProvider namespaces, ClientLimits clients) {
    }

    /** Checks the options picocli cannot and derives the settings; an IllegalArgumentException names the option. */
    Settings settings() throws IOException {
        Limits limits = LIMITS.withMaxLimit(maxLimit).withMaxPayloadBytes(maxPayloadBytes).withMaxPullLimit(maxPullLimit)
                .withMaxPushAttempts(maxPushAttempts).withMaxResultBytes(maxResultBytes);
        if (maxTransactSteps != null) {
            limits = limits.withMaxTransactSteps(maxTransactSteps);
        }
        if (!serverseq.equals("db") && !serverseq.equals("redis")) {
            throw new IllegalArgumentException("serverseq must be db or redis, got '" + serverseq + "'");
        }
        ClientLimits clients = new ClientLimits(Duration.ofMillis(headerTimeout), Duration.ofMillis(requestTimeout),
                maxConnectionsPerSource, wsMaxPerSource);
        return new Settings(limits, namespaces(), clients);
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

    @Override
    public Integer call() {
        Settings s;
        try {
            s = settings();
        } catch (IOException | RuntimeException e) {
            System.err.println("datafn-server: bad configuration: " + e.getMessage());
            return EXIT_USAGE;
        }
        Schema parsed;
        try {
            parsed = SchemaParser.parse(schema);
        } catch (SchemaException e) {
            System.err.println("datafn-server: schema " + schema + " is invalid: " + String.join("; ",
                    e.problems().stream().map(Object::toString).toList()));
            return EXIT_SCHEMA;
        }
        if (!portFree(host, port)) {
            System.err.println("datafn-server: port " + port + " on " + host + " is already in use");
            return EXIT_PORT;
        }
        DatafnServer server;
        try {
            JdbcStore store = JdbcStore.open(db, dbUser, dbPassword, dbPool, Duration.ofMillis(dbTimeout));
            try {
                DatafnServer.Builder builder = DatafnServer.builder().schema(parsed).store(store).basePath(basePath).limits(s.limits())
                        .namespaceProvider(s.namespaces())
                        .retention(retentionDays > 0 ? Duration.ofDays(retentionDays) : null,
                                idempotencyDays > 0 ? Duration.ofDays(idempotencyDays) : null)
                        .rest(rest)
                        .websocketLimits(wsMaxSockets, wsMaxPerNamespace);
                builder.clusterBus(bus(store)).searchProvider(new LuceneSearchProvider());
                if (serverseq.equals("redis")) {
                    builder.sequences(new RedisSequenceStore(requireRedis()));
                }
                if (rateLimit > 0) {
                    builder.rateLimit(rateLimit, Duration.ofSeconds(rateLimitWindow));
                }
                server = builder.build();
            } catch (SchemaException e) {
                store.close();
                System.err.println("datafn-server: the database holds data the new schema would lose: " + String.join("; ",
                        e.problems().stream().map(Object::toString).toList()));
                return EXIT_SCHEMA;
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
        } catch (RuntimeException e) {
            System.err.println("datafn-server: database " + db + " is not usable: " + oneLine(e));
            return EXIT_DATABASE;
        }
        Javalin app;
        try {
            app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.jetty.host = host;
                cfg.jetty.port = port;
                DatafnJavalin.mount(cfg, server, s.clients());
            }).start();
        } catch (RuntimeException e) {
            server.shutdown(0);
            System.err.println("datafn-server: cannot listen on " + host + ":" + port + ": " + oneLine(e));
            return EXIT_PORT;
        }
        log.info("DataFn server listening on http://{}:{}{} | database: {} | schema: {} ({}) | hash {} | auth: {}",
                host, app.port(), basePath, server.store().describe(), schema,
                parsed.resources().size() + " resources", parsed.hash(),
                s.namespaces() == NamespaceProvider.SINGLE ? "none (namespace datafn)" : "jwt");
        Object lock = new Object();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("DataFn server stopping: finishing requests in flight");
            server.shutdown(10_000);
            app.stop();
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

    /** The cluster bus: commits of every node reach this node's WebSocket clients. */
    private ClusterBus bus(JdbcStore store) {
        ClusterBus storeBus = bus.equals("auto") || bus.equals("postgres") ? store.nativeBus() : null;
        String mode = bus.equals("auto") ? (storeBus != null ? "postgres" : "local") : bus;
        return switch (mode) {
            case "local" -> new LocalBus();
            case "postgres" -> {
                if (storeBus == null) {
                    throw new IllegalArgumentException("--bus postgres needs a PostgreSQL --db, got " + store.describe());
                }
                yield storeBus;
            }
            case "redis" -> new RedisBus(requireRedis());
            default -> throw new IllegalArgumentException("bus must be auto, local, postgres or redis, got '" + bus + "'");
        };
    }

    private String requireRedis() {
        if (redis == null) {
            throw new IllegalArgumentException("--redis URI is required for serverseq/bus redis");
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

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
