package io.datafn.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.schema.Schema;
import io.datafn.store.ChangeRow;
import io.datafn.store.SequenceStore;
import io.datafn.store.Store;
import io.datafn.store.Written;
import org.jooq.DSLContext;
import org.jooq.ExecuteListener;
import org.jooq.conf.RenderQuotedNames;
import org.jooq.conf.Settings;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.Objects;
import java.util.Properties;

/**
 * The jOOQ store for PostgreSQL and MariaDB/MySQL (production) and SQLite (embedded default), over HikariCP.
 *
 * <p>SQLite has one writer at a time, so writes go through a one-connection pool whose transactions begin
 * {@code IMMEDIATE} (no lock upgrades, no busy retries between our own writers) while reads use a separate pool in
 * WAL mode. PostgreSQL and MariaDB have a write pool (READ COMMITTED) and a read pool (REPEATABLE READ, read-only), so that a
 * request reads one snapshot and no request pays a round trip to switch levels.
 */
public final class JdbcStore implements Store {
    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);
    private static final int MAX_ATTEMPTS = 8;

    private final Dialect dialect;
    private final HikariDataSource writePool;
    private final HikariDataSource readPool;
    private final Settings settings = new Settings().withRenderQuotedNames(RenderQuotedNames.EXPLICIT_DEFAULT_QUOTED)
            .withExecuteLogging(false).withRenderSchema(false);
    private final String description;
    private final List<Consumer<Written<?>>> listeners = new CopyOnWriteArrayList<>();
    /** jOOQ listeners of every statement, for tests that count statements; empty (and free) in production. */
    private volatile ExecuteListener[] executeListeners = {};
    private volatile Schema schema;
    private volatile SequenceStore sequences;
    private volatile boolean closed;

    private final String jdbcUrl;
    private final String user;
    private final String password;

    private JdbcStore(Dialect dialect, HikariDataSource writePool, HikariDataSource readPool, String description,
                      String jdbcUrl, String user, String password) {
        this.dialect = dialect;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
        this.writePool = writePool;
        this.readPool = readPool;
        this.description = description;
    }

    /** Opens a store on a JDBC URL ({@code jdbc:postgresql://...}, {@code jdbc:mariadb://...}, {@code jdbc:mysql://...} or {@code jdbc:sqlite:path}) with default pool sizes. */
    public static JdbcStore open(String jdbcUrl) {
        return open(jdbcUrl, null, null, 16);
    }

    /** How long a request waits for a database connection by default before it is answered 503. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(3);

    /** Opens a store that waits at most {@link #DEFAULT_ACQUIRE_TIMEOUT} for a connection. */
    public static JdbcStore open(String jdbcUrl, String user, String password, int poolSize) {
        return open(jdbcUrl, user, password, poolSize, DEFAULT_ACQUIRE_TIMEOUT);
    }

    /**
     * Opens a store.
     *
     * @param poolSize       connections for PostgreSQL, or SQLite reader connections (1 .. 200)
     * @param acquireTimeout how long a unit of work waits for a connection (250 ms .. 10 min); when the database is
     *                       down or every connection stays busy that long, the request is answered 503
     *                       {@code SERVICE_UNAVAILABLE} with {@code Retry-After}
     * @throws IllegalArgumentException for an unsupported URL, pool size or timeout
     * @throws IllegalStateException    when the database cannot be reached
     */
    public static JdbcStore open(String jdbcUrl, String user, String password, int poolSize, Duration acquireTimeout) {
        Objects.requireNonNull(jdbcUrl, "database URL");
        if (poolSize < 1 || poolSize > 200) {
            throw new IllegalArgumentException("database pool size must be 1..200, got " + poolSize);
        }
        if (acquireTimeout.toMillis() < 250 || acquireTimeout.toMinutes() > 10) {
            throw new IllegalArgumentException("database acquire timeout must be 250 ms .. 10 min, got " + acquireTimeout);
        }
        long acquireMs = acquireTimeout.toMillis();
        Dialect dialect = Dialect.fromUrl(jdbcUrl);
        try {
            Pools pools = dialect.pools(jdbcUrl, user, password, poolSize, acquireMs);
            String where = jdbcUrl.replaceFirst("^jdbc:[a-z]+:(//)?", "");
            int q = where.indexOf('?');
            return new JdbcStore(dialect, pools.write(), pools.read(),
                    dialect.product() + " " + (q < 0 ? where : where.substring(0, q)),
                    jdbcUrl, user, password);
        } catch (java.io.UncheckedIOException e) {
            throw new IllegalStateException("database: cannot create the directory of " + jdbcUrl + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("database: cannot connect to " + jdbcUrl + ": " + rootMessage(e), e);
        }
    }

    /** A store's two pools (one and the same for none of the dialects today, but allowed). */
    record Pools(HikariDataSource write, HikariDataSource read) {
        /**
         * Two pools, each connection set up once: writes at READ COMMITTED, reads at REPEATABLE READ and read-only
         * (switching per request would cost round trips on every request and again when the pool resets them).
         */
        static Pools writeAndRead(String url, String user, String password, int poolSize, Properties props, String name,
                                  long acquireMs) {
            HikariDataSource writer = pool(url, user, password, poolSize, props, name + "-write", false, acquireMs,
                    c -> c.setTransactionIsolation("TRANSACTION_READ_COMMITTED"));
            HikariDataSource reader = pool(url, user, password, poolSize, props, name + "-read", false, acquireMs, c -> {
                c.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
                c.setReadOnly(true);
            });
            return new Pools(writer, reader);
        }

        /**
         * SQLite has one writer at a time: a one-connection write pool and a reader pool, both in auto-commit mode
         * between units of work (the dialect issues BEGIN itself).
         */
        static Pools sqlite(String url, String user, String password, int poolSize, long acquireMs) {
            String file = url.substring("jdbc:sqlite:".length());
            int q = file.indexOf('?');
            file = q < 0 ? file : file.substring(0, q);
            if (!file.isEmpty() && !file.startsWith(":memory:") && !file.startsWith("file:")) {
                Path parent = Path.of(file).toAbsolutePath().getParent();
                if (parent != null) {
                    try {
                        Files.createDirectories(parent);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
            HikariDataSource writer = pool(url, user, password, 1, sqliteProps(), "datafn-sqlite-write", true, acquireMs, c -> { });
            HikariDataSource reader = pool(url, user, password, poolSize, sqliteProps(), "datafn-sqlite-read", true, acquireMs, c -> { });
            return new Pools(writer, reader);
        }
    }

    private static Properties sqliteProps() {
        Properties p = new Properties();
        p.setProperty("journal_mode", "WAL");
        p.setProperty("busy_timeout", "30000");
        // DFQL's like/contains are case-sensitive (PROTOCOL.md "String operators"); SQLite's LIKE is not by default
        p.setProperty("case_sensitive_like", "true");
        p.setProperty("synchronous", "FULL");
        return p;
    }

    private static HikariDataSource pool(String url, String user, String password, int size, Properties props, String name,
                                         boolean autoCommit, long acquireMs, Consumer<HikariConfig> setup) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        if (user != null) {
            c.setUsername(user);
        }
        if (password != null) {
            c.setPassword(password);
        }
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(Math.min(size, 2));
        c.setPoolName(name);
        c.setAutoCommit(autoCommit);
        c.setConnectionTimeout(acquireMs);
        c.setInitializationFailTimeout(5_000);
        c.setDataSourceProperties(props);
        setup.accept(c);
        return new HikariDataSource(c);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public void migrate(Schema schema) {
        try (Connection c = writePool.getConnection()) {
            DSLContext ctx = DSL.using(c, dialect.jooq(), settings);
            dialect.begin(c, false);
            try {
                dialect.lockMigration(ctx);
                new Migrator(dialect).migrate(ctx, schema);
                dialect.commit(c);
            } catch (SQLException | RuntimeException e) {
                rollbackOrEvict(writePool, c);
                throw e;
            } finally {
                dialect.unlockMigration(ctx);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("database: migration failed: " + e.getMessage(), e);
        }
        this.schema = schema;
        log.info("store: {} ready for schema {}", description, schema.hash());
    }

    /**
     * What {@link #migrate} would add and refuse for {@code schema}, without changing the database (the CLI's
     * {@code migrate --dry-run}).
     */
    public MigrationPlan planMigration(Schema schema) {
        try (Connection c = readPool.getConnection()) {
            return new Migrator(dialect).plan(DSL.using(c, dialect.jooq(), settings), schema);
        } catch (SQLException e) {
            throw new IllegalStateException("database: cannot read the applied schema: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> Written<T> writeTracked(Work<T> work) {
        Written<T> w = run(writePool, false, work);
        if (!w.changes().isEmpty()) {
            for (Consumer<Written<?>> l : listeners) {
                try {
                    l.accept(w);
                } catch (RuntimeException e) {
                    log.warn("store: commit listener failed for {} (ignored)", w.namespace(), e);
                }
            }
        }
        return w;
    }

    @Override
    public <T> T read(Work<T> work) {
        return run(readPool, true, work).value();
    }

    @Override
    public void onCommit(Consumer<Written<?>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private <T> Written<T> run(HikariDataSource pool, boolean readOnly, Work<T> work) {
        if (closed) {
            throw new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Server is shutting down", "$");
        }
        Schema s = Objects.requireNonNull(schema, "store used before migrate(schema)");
        for (int attempt = 1; ; attempt++) {
            try (Connection c = pool.getConnection()) {
                dialect.begin(c, readOnly);
                try {
                    DSLContext ctx = DSL.using(c, dialect.jooq(), settings);
                    ExecuteListener[] statementListeners = executeListeners;
                    if (statementListeners.length > 0) {
                        ctx.configuration().set(statementListeners);
                    }
                    JdbcTx tx = new JdbcTx(c, ctx, s, dialect);
                    T result = work.run(tx);
                    List<ChangeRow> changes = tx.flushChanges(System.currentTimeMillis(), sequences);
                    dialect.commit(c);
                    return new Written<>(result, tx.pendingNamespace(), changes);
                } catch (RuntimeException e) {
                    rollbackOrEvict(pool, c);
                    // a connection that died before the commit (a restarted database, a stale pooled connection)
                    // committed nothing: the unit runs once more on a fresh connection
                    SQLException sql = sqlCause(e);
                    boolean lost = sql != null && dialect.connectionLost(sql) && attempt == 1;
                    if (lost || attempt < MAX_ATTEMPTS && retryable(e)) {
                        log.debug("store: retrying transaction (attempt {}): {}", attempt, e.getMessage());
                        backoff(attempt);
                        continue;
                    }
                    throw translate(e);
                } catch (Error e) {
                    // OutOfMemoryError, StackOverflowError, ...: the connection goes back to the pool out of any
                    // transaction (or not at all), whatever was thrown
                    rollbackOrEvict(pool, c);
                    throw e;
                }
            } catch (SQLException e) {
                // no connection within the acquire timeout: the database is down or saturated
                throw unavailable(e);
            }
        }
    }

    /** Rolls back; a connection that cannot be rolled back is evicted from its pool, never reused in a transaction. */
    private void rollbackOrEvict(HikariDataSource pool, Connection c) {
        try {
            dialect.rollback(c);
        } catch (SQLException | RuntimeException e) {
            log.warn("store: rollback failed, evicting the connection: {}", e.getMessage());
            pool.evictConnection(c);
        }
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(Math.min(50, 1L << attempt));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean retryable(RuntimeException e) {
        SQLException sql = sqlCause(e);
        return sql != null && dialect.retryable(sql);
    }

    /**
     * The database cannot serve now: 503 {@code SERVICE_UNAVAILABLE} (the router adds {@code Retry-After}), so that
     * clients tell an outage from a bug. The cause goes to the log, not to the wire.
     */
    private static DatafnException unavailable(Exception e) {
        log.warn("store: database unavailable: {}", rootMessage(e));
        return new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Database unavailable", "$", 503, Map.of(), e);
    }

    /** A unique violation that slipped past the pre-checks (a concurrent writer) is a conflict, not an internal error. */
    private RuntimeException translate(RuntimeException e) {
        SQLException sql = sqlCause(e);
        if (sql != null && dialect.connectionLost(sql)) {
            return unavailable(e);
        }
        if (sql != null && dialect.uniqueViolation(sql)) {
            return new DatafnException(ErrorCode.CONFLICT, "Record already exists", "id", 409, Map.of(), e);
        }
        return e;
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s) {
                return s;
            }
            if (t instanceof DataAccessException d && d.getCause() instanceof SQLException s) {
                return s;
            }
        }
        return null;
    }

    /**
     * Test hook: {@code listener} sees every jOOQ statement of the units of work that start from now on (the tests of
     * this package count statements per query and per write with it). Migration and transaction control (SQLite's
     * {@code BEGIN}/{@code COMMIT}, JDBC commit on PostgreSQL) do not go through jOOQ and are not seen.
     */
    synchronized void addExecuteListener(ExecuteListener listener) {
        ExecuteListener[] next = java.util.Arrays.copyOf(executeListeners, executeListeners.length + 1);
        next[next.length - 1] = Objects.requireNonNull(listener, "listener");
        executeListeners = next;
    }

    @Override
    public void sequences(SequenceStore primary) {
        this.sequences = primary;
        log.info("store: serverSeq from {}", primary == null ? "the database" : primary.name() + " (database fallback)");
    }

    @Override
    public long[] prune(long changesBefore, long idempotencyBefore) {
        return write(tx -> ((JdbcTx) tx).prune(changesBefore, idempotencyBefore));
    }

    @Override
    public boolean healthy() {
        if (closed) {
            return false;
        }
        try (Connection c = readPool.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * The bus that carries commits between nodes through this database itself (PostgreSQL LISTEN/NOTIFY), or null when
     * the database has none (then a local bus, or Redis).
     */
    public io.datafn.realtime.ClusterBus nativeBus() {
        return dialect.nativeBus(jdbcUrl, user, password);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        writePool.close();
        if (readPool != writePool) {
            readPool.close();
        }
    }
}
