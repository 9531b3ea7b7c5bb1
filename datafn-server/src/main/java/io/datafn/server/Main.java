package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.datafn.DatafnServer;
import io.datafn.Limits;
import io.datafn.auth.NamespaceProvider;
import io.datafn.jdbc.JdbcStore;
import io.datafn.jdbc.PostgresBus;
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
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The standalone server: {@code java -jar datafn-server.jar --schema FILE --port N --db URL}. Every option can also
 * come from a {@code DATAFN_*} environment variable or from a YAML/JSON file given with {@code --config}; the command
 * line wins over the environment, which wins over the file.
 */
@Command(name = "datafn-server", mixinStandardHelpOptions = true, version = "datafn-server 0.1.0",
        description = "Runs a DataFn server (DFQL query, mutation, transact) over SQLite or PostgreSQL.",
        sortOptions = false, subcommands = QuarantineCommand.class)
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);

    static final int EXIT_USAGE = 2;
    static final int EXIT_SCHEMA = 3;
    static final int EXIT_DATABASE = 4;
    static final int EXIT_PORT = 5;

    @Option(names = "--schema", description = "Schema JSON file (env DATAFN_SCHEMA; default examples/tasks.schema.json)")
    Path schema;

    @Option(names = "--port", description = "HTTP port, 0 for any free port (env DATAFN_PORT; default 8080)")
    Integer port;

    @Option(names = "--host", description = "Address to listen on (env DATAFN_HOST; default 0.0.0.0)")
    String host;

    @Option(names = "--db", description = "JDBC URL (env DATAFN_DB; default jdbc:sqlite:data/datafn.db)")
    String db;

    @Option(names = "--db-user", description = "Database user (env DATAFN_DB_USER)")
    String dbUser;

    @Option(names = "--db-password", description = "Database password (env DATAFN_DB_PASSWORD)")
    String dbPassword;

    @Option(names = "--db-pool", description = "Database connections (env DATAFN_DB_POOL; default 16)")
    Integer dbPool;

    @Option(names = "--base-path", description = "Path prefix of the endpoints (env DATAFN_BASE_PATH; default /datafn)")
    String basePath;

    @Option(names = "--max-limit", description = "Largest query limit (env DATAFN_MAX_LIMIT; default 100)")
    Integer maxLimit;

    @Option(names = "--max-transact-steps", description = "Steps per transact (env DATAFN_MAX_TRANSACT_STEPS; default 100)")
    Integer maxTransactSteps;

    @Option(names = "--max-payload-bytes", description = "Largest request body (env DATAFN_MAX_PAYLOAD_BYTES; default 5242880)")
    Long maxPayloadBytes;

    @Option(names = "--max-pull-limit", description = "Changes per pull page (env DATAFN_MAX_PULL_LIMIT; default 1000)")
    Integer maxPullLimit;

    @Option(names = "--max-push-attempts", description = "Pushes of one mutation answered with a retryable error before it"
            + " is answered not retryable and quarantined (env DATAFN_MAX_PUSH_ATTEMPTS; default 5)")
    Integer maxPushAttempts;

    @Option(names = "--auth", description = "none (one namespace) or jwt (namespace per user/tenant from a verified JWT) (env DATAFN_AUTH; default none)")
    String auth;

    @Option(names = "--jwt-secret", description = "HS256 secret, at least 32 bytes (env DATAFN_JWT_SECRET)")
    String jwtSecret;

    @Option(names = "--jwt-public-key", description = "RSA or EC public key PEM file for RS256/ES256 tokens (env DATAFN_JWT_PUBLIC_KEY)")
    Path jwtPublicKey;

    @Option(names = "--jwt-user-claim", description = "Claim holding the user id (env DATAFN_JWT_USER_CLAIM; default sub)")
    String jwtUserClaim;

    @Option(names = "--jwt-tenant-claim", description = "Claim holding the tenant id (env DATAFN_JWT_TENANT_CLAIM; default tenant_id)")
    String jwtTenantClaim;

    @Option(names = "--retention-days", description = "Prune change rows older than this many days; 0 keeps them (env DATAFN_RETENTION_DAYS; default 0)")
    Integer retentionDays;

    @Option(names = "--idempotency-days", description = "Prune idempotency records older than this many days; 0 keeps them (env DATAFN_IDEMPOTENCY_DAYS; default 0)")
    Integer idempotencyDays;

    @Option(names = "--rest", description = "Serve the REST wrappers under <base>/resources (env DATAFN_REST; default false)")
    Boolean rest;

    @Option(names = "--rate-limit", description = "Requests per action and namespace per window; 0 = off (env DATAFN_RATE_LIMIT; default 0)")
    Integer rateLimit;

    @Option(names = "--rate-limit-window", description = "Rate-limit window in seconds (env DATAFN_RATE_LIMIT_WINDOW; default 60)")
    Integer rateLimitWindow;

    @Option(names = "--redis", description = "Redis URI, e.g. redis://127.0.0.1:6379 (env DATAFN_REDIS)")
    String redis;

    @Option(names = "--serverseq", description = "Where serverSeq comes from: db or redis (env DATAFN_SERVERSEQ; default db)")
    String serverseq;

    @Option(names = "--bus", description = "How commits reach every node's WebSockets: auto, local, postgres or redis (env DATAFN_BUS; default auto = postgres on PostgreSQL, else local)")
    String bus;

    @Option(names = "--config", description = "YAML or JSON file with any of these options (env DATAFN_CONFIG)")
    Path config;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, a) -> {
            System.err.println("datafn-server: " + ex.getMessage() + " (see --help)");
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /** Settings after merging command line, environment and config file. */
    record Settings(Path schema, String host, int port, String db, String dbUser, String dbPassword, int dbPool,
                    String basePath, Limits limits, NamespaceProvider namespaces, int retentionDays, int idempotencyDays,
                    boolean rest, int rateLimit, int rateLimitWindow, String redis, String serverseq, String bus) {
    }

    private NamespaceProvider namespaces(JsonNode file) throws IOException {
        String mode = pickText(auth, "AUTH", file, "auth", "none");
        if (mode.equals("none")) {
            return NamespaceProvider.SINGLE;
        }
        if (!mode.equals("jwt")) {
            throw new IllegalArgumentException("auth must be none or jwt, got '" + mode + "'");
        }
        String secret = pickText(jwtSecret, "JWT_SECRET", file, "jwtSecret", null);
        String keyFile = pickText(jwtPublicKey == null ? null : jwtPublicKey.toString(), "JWT_PUBLIC_KEY", file, "jwtPublicKey", null);
        if ((secret == null) == (keyFile == null)) {
            throw new IllegalArgumentException("auth jwt needs exactly one of --jwt-secret or --jwt-public-key");
        }
        return new JwtAuth(secret != null ? JwtAuth.hmac(secret) : JwtAuth.publicKey(Path.of(keyFile)),
                pickText(jwtUserClaim, "JWT_USER_CLAIM", file, "jwtUserClaim", "sub"),
                pickText(jwtTenantClaim, "JWT_TENANT_CLAIM", file, "jwtTenantClaim", "tenant_id"));
    }

    Settings settings() throws IOException {
        Path cfgPath = config != null ? config : env("CONFIG") == null ? null : Path.of(env("CONFIG"));
        JsonNode file = null;
        if (cfgPath != null) {
            String name = cfgPath.getFileName().toString().toLowerCase(Locale.ROOT);
            ObjectMapper m = name.endsWith(".json") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
            file = m.readTree(Files.readString(cfgPath));
        }
        Limits limits = Limits.defaults()
                .withMaxLimit(pick(maxLimit, "MAX_LIMIT", file, "maxLimit", 100))
                .withMaxPayloadBytes(pickLong(maxPayloadBytes, "MAX_PAYLOAD_BYTES", file, "maxPayloadBytes", 5_242_880L))
                .withMaxPullLimit(pick(maxPullLimit, "MAX_PULL_LIMIT", file, "maxPullLimit", 1000))
                .withMaxPushAttempts(pick(maxPushAttempts, "MAX_PUSH_ATTEMPTS", file, "maxPushAttempts", 5));
        Integer steps = maxTransactSteps != null ? maxTransactSteps
                : env("MAX_TRANSACT_STEPS") != null ? Integer.valueOf(env("MAX_TRANSACT_STEPS"))
                : file != null && file.hasNonNull("maxTransactSteps") ? file.get("maxTransactSteps").asInt() : null;
        if (steps != null) {
            limits = limits.withMaxTransactSteps(steps);
        }
        String seqMode = pickText(serverseq, "SERVERSEQ", file, "serverseq", "db");
        if (!seqMode.equals("db") && !seqMode.equals("redis")) {
            throw new IllegalArgumentException("serverseq must be db or redis, got '" + seqMode + "'");
        }
        return new Settings(
                Path.of(pickText(schema == null ? null : schema.toString(), "SCHEMA", file, "schema", "examples/tasks.schema.json")),
                pickText(host, "HOST", file, "host", "0.0.0.0"),
                pick(port, "PORT", file, "port", 8080),
                pickText(db, "DB", file, "db", "jdbc:sqlite:data/datafn.db"),
                pickText(dbUser, "DB_USER", file, "dbUser", null),
                pickText(dbPassword, "DB_PASSWORD", file, "dbPassword", null),
                pick(dbPool, "DB_POOL", file, "dbPool", 16),
                pickText(basePath, "BASE_PATH", file, "basePath", "/datafn"),
                limits,
                namespaces(file),
                pick(retentionDays, "RETENTION_DAYS", file, "retentionDays", 0),
                pick(idempotencyDays, "IDEMPOTENCY_DAYS", file, "idempotencyDays", 0),
                Boolean.parseBoolean(pickText(rest == null ? null : rest.toString(), "REST", file, "rest", "false")),
                pick(rateLimit, "RATE_LIMIT", file, "rateLimit", 0),
                pick(rateLimitWindow, "RATE_LIMIT_WINDOW", file, "rateLimitWindow", 60),
                pickText(redis, "REDIS", file, "redis", null),
                pickText(serverseq, "SERVERSEQ", file, "serverseq", "db"),
                pickText(bus, "BUS", file, "bus", "auto"));
    }

    private static String env(String name) {
        String v = System.getenv("DATAFN_" + name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static String pickText(String cli, String envName, JsonNode file, String key, String dflt) {
        if (cli != null) {
            return cli;
        }
        if (env(envName) != null) {
            return env(envName);
        }
        if (file != null && file.hasNonNull(key)) {
            return file.get(key).asText();
        }
        return dflt;
    }

    private static int pick(Integer cli, String envName, JsonNode file, String key, int dflt) {
        String v = pickText(cli == null ? null : cli.toString(), envName, file, key, Integer.toString(dflt));
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    private static long pickLong(Long cli, String envName, JsonNode file, String key, long dflt) {
        String v = pickText(cli == null ? null : cli.toString(), envName, file, key, Long.toString(dflt));
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
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
            parsed = SchemaParser.parse(s.schema());
        } catch (SchemaException e) {
            System.err.println("datafn-server: schema " + s.schema() + " is invalid: " + String.join("; ",
                    e.problems().stream().map(Object::toString).toList()));
            return EXIT_SCHEMA;
        }
        if (!portFree(s.host(), s.port())) {
            System.err.println("datafn-server: port " + s.port() + " on " + s.host() + " is already in use");
            return EXIT_PORT;
        }
        DatafnServer server;
        try {
            JdbcStore store = JdbcStore.open(s.db(), s.dbUser(), s.dbPassword(), s.dbPool());
            try {
                DatafnServer.Builder builder = DatafnServer.builder().schema(parsed).store(store).basePath(s.basePath()).limits(s.limits())
                        .namespaceProvider(s.namespaces())
                        .retention(s.retentionDays() > 0 ? Duration.ofDays(s.retentionDays()) : null,
                                s.idempotencyDays() > 0 ? Duration.ofDays(s.idempotencyDays()) : null)
                        .rest(s.rest());
                builder.clusterBus(bus(s)).searchProvider(new LuceneSearchProvider());
                if (s.serverseq().equals("redis")) {
                    builder.sequences(new RedisSequenceStore(requireRedis(s)));
                }
                if (s.rateLimit() > 0) {
                    builder.rateLimit(s.rateLimit(), Duration.ofSeconds(s.rateLimitWindow()));
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
            System.err.println("datafn-server: database " + s.db() + " is not usable: " + oneLine(e));
            return EXIT_DATABASE;
        }
        Javalin app;
        try {
            app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                cfg.jetty.host = s.host();
                cfg.jetty.port = s.port();
                DatafnJavalin.mount(cfg, server);
            }).start();
        } catch (RuntimeException e) {
            server.shutdown(0);
            System.err.println("datafn-server: cannot listen on " + s.host() + ":" + s.port() + ": " + oneLine(e));
            return EXIT_PORT;
        }
        log.info("DataFn server listening on http://{}:{}{} | database: {} | schema: {} ({}) | hash {} | auth: {}",
                s.host(), app.port(), s.basePath(), server.store().describe(), s.schema(),
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
    private static ClusterBus bus(Settings s) {
        String mode = s.bus().equals("auto") ? (s.db().startsWith("jdbc:postgresql:") ? "postgres" : "local") : s.bus();
        return switch (mode) {
            case "local" -> new LocalBus();
            case "postgres" -> new PostgresBus(s.db(), s.dbUser(), s.dbPassword());
            case "redis" -> new RedisBus(requireRedis(s));
            default -> throw new IllegalArgumentException("bus must be auto, local, postgres or redis, got '" + s.bus() + "'");
        };
    }

    private static String requireRedis(Settings s) {
        if (s.redis() == null) {
            throw new IllegalArgumentException("--redis URI is required for serverseq/bus redis");
        }
        return s.redis();
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
