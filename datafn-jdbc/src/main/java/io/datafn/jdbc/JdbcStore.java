package io.datafn.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.schema.Schema;
import io.datafn.store.ChangeRow;
import io.datafn.store.SequenceStore;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.Objects;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * The jOOQ store for PostgreSQL and MariaDB/MySQL (production) and SQLite (embedded default), over HikariCP.
 *
 * <p>SQLite has one writer at a time, so writes go through a one-connection pool whose transactions begin
 * {@code IMMEDIATE} (no lock upgrades, no busy retries between our own writers) while reads use a separate pool in
 * WAL mode. PostgreSQL and MariaDB have a write pool (READ COMMITTED) and a read pool (REPEATABLE READ, read-only), so that a
 * request reads one snapshot and no request pays a round trip to switch levels.
 */
public final class JdbcStore implements Store, io.datafn.store.NamespaceCounters {
    private static final Logger log = LoggerFactory.getLogger(JdbcStore.class);
    private static final int MAX_ATTEMPTS = 8;
    /**
     * Writes per group commit at most. PostgreSQL keeps 64 subtransaction ids per transaction in shared memory before
     * every snapshot of every session gets slower; each write takes one savepoint.
     */
    private static final int MAX_GROUP = 32;
    /**
     * Groups of one namespace running at once on a database with many writers: while one waits for its commit, the
     * next runs its statements (they meet only at the counter row, which each takes last, right before its commit).
     */
    private static final int GROUPS_AT_ONCE = 4;
    /** Writes of at most this many mutations join a group commit; larger ones run alone. */
    static final int GROUPED_UP_TO = 16;

    private final Dialect dialect;
    private final HikariDataSource writePool;
    private final HikariDataSource readPool;
    private final Settings settings = new Settings().withRenderQuotedNames(RenderQuotedNames.EXPLICIT_DEFAULT_QUOTED)
            .withExecuteLogging(false).withRenderSchema(false);
    private final String description;
    private final List<Consumer<Written<?>>> listeners = new CopyOnWriteArrayList<>();
    /** Concurrent writes of a namespace (of every namespace on a one-writer database) commit together. */
    private final CommitGroups commits;
    private final java.util.concurrent.atomic.AtomicLong groupedWrites = new java.util.concurrent.atomic.AtomicLong();
    /** jOOQ listeners of every statement, for tests that count statements; empty (and free) in production. */
    private volatile ExecuteListener[] executeListeners = {};
    /** The hot statements' SQL text per shape ({@link Statements}), shared by every unit of work. */
    private final Statements.Cache statements = new Statements.Cache();
    private volatile Schema schema;
    private final SequenceStore sequences;
    private volatile boolean closed;

    private final String jdbcUrl;
    private final String user;
    private final String password;

    private JdbcStore(Dialect dialect, Pools pools, String description, Options o) {
        this.dialect = dialect;
        this.jdbcUrl = o.url;
        this.user = o.user;
        this.password = o.password;
        this.writePool = pools.write();
        this.readPool = pools.read();
        this.description = description;
        this.sequences = o.sequences;
        this.commits = new CommitGroups(MAX_GROUP, dialect.oneWriter() ? 1 : GROUPS_AT_ONCE);
    }

    /** Opens a store on a JDBC URL ({@code jdbc:postgresql://...}, {@code jdbc:mariadb://...}, {@code jdbc:mysql://...} or {@code jdbc:sqlite:path}) with the default options. */
    public static JdbcStore open(String jdbcUrl) {
        return at(jdbcUrl).open();
    }

    /** Opens a store with credentials and a pool size, the other options at their defaults. */
    public static JdbcStore open(String jdbcUrl, String user, String password, int poolSize) {
        return at(jdbcUrl).user(user).password(password).poolSize(poolSize).open();
    }

    /** The options of a store on {@code jdbcUrl}, to be {@link Options#open opened}. */
    public static Options at(String jdbcUrl) {
        return new Options(Objects.requireNonNull(jdbcUrl, "database URL"), null);
    }

    /** How long a request waits for a database connection by default before it is answered 503. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(3);

    /** What a store is opened with; every option has a default. */
    public static final class Options {
        private String url;
        private final DataSource dataSource;
        private String user;
        private String password;
        private int poolSize = 16;
        private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
        private SequenceStore sequences;

        private Options(String url, DataSource dataSource) {
            this.url = url;
            this.dataSource = dataSource;
        }

        public Options user(String user) {
            this.user = user;
            return this;
        }

        public Options password(String password) {
            this.password = password;
            return this;
        }

        /** Connections for PostgreSQL and MariaDB per pool, or SQLite reader connections (1 .. 200; default 16). */
        public Options poolSize(int poolSize) {
            if (poolSize < 1 || poolSize > 200) {
                throw new IllegalArgumentException("database pool size must be 1..200, got " + poolSize);
            }
            this.poolSize = poolSize;
            return this;
        }

        /**
         * How long a unit of work waits for a connection (250 ms .. 10 min; default 3 s); when the database is down
         * or every connection stays busy that long, the request is answered 503 {@code SERVICE_UNAVAILABLE} with
         * {@code Retry-After}.
         */
        public Options acquireTimeout(Duration acquireTimeout) {
            if (acquireTimeout.toMillis() < 250 || acquireTimeout.toMinutes() > 10) {
                throw new IllegalArgumentException("database acquire timeout must be 250 ms .. 10 min, got " + acquireTimeout);
            }
            this.acquireTimeout = acquireTimeout;
            return this;
        }

        /**
         * Where serverSeq values come from (the README's {@code dbMapping.serverseq}): null (the default) is the
         * database counter; a Redis or KV {@link SequenceStore} becomes the primary, with the database counter as
         * high-water mark and fallback (see {@link SequenceStore}). The store closes it.
         */
        public Options sequences(SequenceStore sequences) {
            this.sequences = sequences;
            return this;
        }

        /**
         * Opens the store.
         *
         * @throws IllegalArgumentException for an unsupported URL
         * @throws IllegalStateException    when the database cannot be reached
         */
        public JdbcStore open() {
            if (dataSource != null) {
                return openOverDataSource();
            }
            Dialect dialect = Dialect.fromUrl(url);
            try {
                Pools pools = dialect.pools(url, user, password, poolSize, acquireTimeout.toMillis());
                String where = url.replaceFirst("^jdbc:[a-z]+:(//)?", "");
                int q = where.indexOf('?');
                JdbcStore store = new JdbcStore(dialect, pools, dialect.product() + " " + (q < 0 ? where : where.substring(0, q)), this);
                log.info("store: serverSeq from {}", sequences == null ? "the database" : sequences.name() + " (database fallback)");
                return store;
            } catch (java.io.UncheckedIOException e) {
                throw new IllegalStateException("database: cannot create the directory of " + url + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IllegalStateException("database: cannot connect to " + url + ": " + rootMessage(e), e);
            }
        }

        private JdbcStore openOverDataSource() {
            try (Connection c = dataSource.getConnection()) {
                url = c.getMetaData().getURL();
                user = c.getMetaData().getUserName();
            } catch (SQLException e) {
                throw new IllegalStateException("database: cannot connect through the DataSource: " + rootMessage(e), e);
            }
            Dialect dialect = Dialect.fromUrl(url);
            if (dialect == Dialect.SQLITE) {
                return at(url).poolSize(poolSize).acquireTimeout(acquireTimeout).sequences(sequences).open();
            }
            Pools pools = Pools.writeAndRead(c -> c.setDataSource(dataSource), poolSize, new Properties(),
                    "datafn-" + dialect.product(), acquireTimeout.toMillis());
            int q = url.indexOf('?');
            return new JdbcStore(dialect, pools, dialect.product() + " DataSource "
                    + (q < 0 ? url : url.substring(0, q)).replaceFirst("^jdbc:[a-z]+:(//)?", ""), this);
        }
    }

    /**
     * Opens a store over an application's {@link DataSource} (an embedding framework's pool, e.g. Spring Boot's).
     * PostgreSQL and MariaDB: the store keeps its write and read pools (at most {@code poolSize} connections each)
     * over connections borrowed from {@code dataSource}, each set up once as {@link Pools#writeAndRead} does; they go
     * back to the application's pool when the store retires them or is closed. SQLite: {@code dataSource} only names
     * the file (its URL), which the store opens with its own pools, because SQLite's settings (WAL, case-sensitive
     * {@code LIKE}) are per connection. {@link #nativeBus()} knows the URL and user name, not the password. The
     * driver properties {@link #open(String)} sets for batched inserts are the application's to set on its URL
     * ({@code reWriteBatchedInserts=true} for PostgreSQL, {@code rewriteBatchedStatements=true} for MariaDB).
     *
     * @throws IllegalArgumentException for a database of no supported dialect, a bad pool size or timeout
     * @throws IllegalStateException    when no connection can be had from {@code dataSource}
     */
    public static JdbcStore open(DataSource dataSource, int poolSize, Duration acquireTimeout) {
        return over(dataSource).poolSize(poolSize).acquireTimeout(acquireTimeout).open();
    }

    /** The options of a store over an application's {@link DataSource} (see {@link #open(DataSource, int, Duration)}). */
    public static Options over(DataSource dataSource) {
        return new Options(null, Objects.requireNonNull(dataSource, "dataSource"));
    }

    /** A store's two pools (one and the same for none of the dialects today, but allowed). */
    record Pools(HikariDataSource write, HikariDataSource read) {
        /**
         * Two pools, each connection set up once: writes at READ COMMITTED, reads at REPEATABLE READ and read-only
         * (switching per request would cost round trips on every request and again when the pool resets them).
         */
        static Pools writeAndRead(String url, String user, String password, int poolSize, Properties props, String name,
                                  long acquireMs) {
            return writeAndRead(c -> source(c, url, user, password), poolSize, props, name, acquireMs);
        }

        /** Both pools, their connections from {@code source} (a JDBC URL, or an application's DataSource). */
        static Pools writeAndRead(Consumer<HikariConfig> source, int poolSize, Properties props, String name, long acquireMs) {
            HikariDataSource writer = pool(source, poolSize, props, name + "-write", false, acquireMs,
                    c -> c.setTransactionIsolation("TRANSACTION_READ_COMMITTED"));
            HikariDataSource reader = pool(source, poolSize, props, name + "-read", false, acquireMs, c -> {
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
            Consumer<HikariConfig> source = c -> source(c, url, user, password);
            HikariDataSource writer = pool(source, 1, sqliteProps(), "datafn-sqlite-write", true, acquireMs, c -> { });
            HikariDataSource reader = pool(source, poolSize, sqliteProps(), "datafn-sqlite-read", true, acquireMs, c -> { });
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

    private static void source(HikariConfig c, String url, String user, String password) {
        c.setJdbcUrl(url);
        if (user != null) {
            c.setUsername(user);
        }
        if (password != null) {
            c.setPassword(password);
        }
    }

    private static HikariDataSource pool(Consumer<HikariConfig> source, int size, Properties props, String name,
                                         boolean autoCommit, long acquireMs, Consumer<HikariConfig> setup) {
        HikariConfig c = new HikariConfig();
        source.accept(c);
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
    public <T> Written<T> writeTracked(String ns, Work<T> work) {
        return writeTracked(ns, 1, work);
    }

    /**
     * A write of more than {@link #GROUPED_UP_TO} mutations runs in its own transaction (on every database but a
     * one-writer one): it amortises its commit by itself, and grouped it would hold back the writes queued behind its
     * group while large writes of one namespace, which ran side by side, would run one group after another.
     */
    @Override
    public <T> Written<T> writeTracked(String ns, int mutations, Work<T> work) {
        Objects.requireNonNull(ns, "namespace");
        if (closed) {
            throw new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Server is shutting down", "$");
        }
        CommitGroups.Pending<T> p = new CommitGroups.Pending<>(ns, work);
        if (mutations > GROUPED_UP_TO && !dialect.oneWriter()) {
            p.alone = true;
        } else {
            commits.submit(dialect.oneWriter() ? "" : ns, p, this::runGroup);
        }
        if (p.alone) {
            runAlone(p); // a retryable failure inside the group, or a group that did not commit
        }
        if (p.error != null) {
            throw p.error;
        }
        if (p.failure != null) {
            throw p.failure;
        }
        return p.written;
    }

    /** Tells the commit listeners about the changes a commit gave seqs to in {@code ns}, if any. */
    private void tell(String ns, List<ChangeRow> changes) {
        if (changes.isEmpty()) {
            return;
        }
        Written<Void> w = new Written<>(null, ns, changes);
        for (Consumer<Written<?>> l : listeners) {
            try {
                l.accept(w);
            } catch (RuntimeException e) {
                log.warn("store: commit listener failed for {} (ignored)", ns, e);
            }
        }
    }

    /**
     * Runs a group of writes ({@link CommitGroups}) in one transaction: each under a savepoint, so that one write's
     * failure is only its own; then one seq allocation per namespace, in namespace order (a fixed lock order for
     * groups on other nodes), and one commit. A write that failed in a way a retry may cure, and every write of a group
     * whose commit failed, is handed back to run alone.
     */
    private void runGroup(List<CommitGroups.Pending<?>> items) {
        if (items.size() == 1) {
            // nothing to share: the plain unit of work with its retries, still while this group is led, so that the
            // writes arriving meanwhile queue up for the next group
            runAlone(items.get(0));
            return;
        }
        Schema s = Objects.requireNonNull(schema, "store used before migrate(schema)");
        try (Connection c = writePool.getConnection()) {
            dialect.begin(c, false);
            try {
                Statements st = unitOfWork(c, Mode.WRITE);
                List<Share> ok = new ArrayList<>();
                java.util.TreeMap<String, List<ChangeRow>> byNs = new java.util.TreeMap<>();
                for (CommitGroups.Pending<?> p : items) {
                    JdbcTx tx = new JdbcTx(c, st, s, dialect, p.ns);
                    java.sql.Savepoint sp = c.setSavepoint();
                    try {
                        runItem(p, tx);
                        tx.settle();
                        // not released: the commit ends every savepoint, and a release is one more round trip per
                        // write (the next savepoint nests in this one; a rollback to it undoes only its own write)
                    } catch (RuntimeException e) {
                        tx.abandon();
                        c.rollback(sp);
                        if (retryable(e) || lost(e)) {
                            p.alone = true;
                        } else {
                            p.failure = translate(e);
                        }
                        continue;
                    }
                    List<ChangeRow> nsChanges = byNs.computeIfAbsent(p.ns, k -> new ArrayList<>());
                    ok.add(new Share(p, nsChanges.size(), nsChanges.size() + tx.recorded().size()));
                    nsChanges.addAll(tx.recorded());
                }
                long now = System.currentTimeMillis();
                Map<String, List<ChangeRow>> committed = new java.util.HashMap<>();
                byNs.forEach((ns, pending) -> committed.put(ns, JdbcTx.flush(st, dialect, ns, pending, now, sequences)));
                dialect.commit(c);
                ok.forEach(w -> w.write().commit(committed.get(w.write().ns).subList(w.from(), w.to())));
                groupedWrites.addAndGet(ok.size());
                committed.forEach(this::tell);
            } catch (RuntimeException | SQLException e) {
                rollbackOrEvict(writePool, c);
                log.debug("store: group commit of {} writes failed, each runs alone: {}", items.size(), e.getMessage());
                for (CommitGroups.Pending<?> p : items) {
                    p.written = null;
                    p.failure = null;
                    p.alone = true;
                }
            } catch (Error e) {
                rollbackOrEvict(writePool, c);
                for (CommitGroups.Pending<?> p : items) {
                    p.written = null;
                    p.error = e;
                }
            }
        } catch (SQLException e) {
            DatafnException u = unavailable(e);
            items.forEach(p -> p.failure = u);
        }
    }

    private <T> void runAlone(CommitGroups.Pending<T> p) {
        try {
            p.written = run(writePool, Mode.WRITE, true, p.ns, p.work::run);
            tell(p.ns, p.written.changes());
        } catch (RuntimeException e) {
            p.failure = e;
        } catch (Error e) {
            p.error = e;
        }
    }

    private static <T> void runItem(CommitGroups.Pending<T> p, JdbcTx tx) {
        p.value = p.work.run(tx);
    }

    /** A write of a group and where its changes are among its namespace's changes of the group commit. */
    private record Share(CommitGroups.Pending<?> write, int from, int to) {
    }

    @Override
    public <T> T read(String ns, Work<T> work) {
        return run(readPool, Mode.READ, true, Objects.requireNonNull(ns, "namespace"), work::run).value();
    }

    /**
     * Where the dialect allows ({@link Dialect#autoCommitSingle}: PostgreSQL, SQLite), the work's one statement runs
     * in auto-commit mode, in its own snapshot: no BEGIN (PostgreSQL: sent with the statement) and no COMMIT (a round
     * trip of its own); a second statement is refused. MariaDB keeps the read transaction (switching its auto-commit mode costs round trips).
     */
    @Override
    public <T> T readSingle(String ns, Work<T> work) {
        return run(readPool, dialect.autoCommitSingle() ? Mode.SINGLE : Mode.READ, true,
                Objects.requireNonNull(ns, "namespace"), work::run).value();
    }

    @Override
    public <T> T stream(String ns, Work<T> work) {
        return run(readPool, Mode.READ, false, Objects.requireNonNull(ns, "namespace"), work::run).value();
    }

    /** How {@link #run} runs a unit of work: in a read-write or a read-only transaction, or one statement without. */
    private enum Mode { WRITE, READ, SINGLE }

    @Override
    public void onCommit(Consumer<Written<?>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Runs {@code work} in one transaction on a connection of {@code pool}, bound to {@code ns} (null only for the
     * operator's statements over every namespace, which use {@link JdbcTx#dsl()} alone). With {@code retry}, a
     * serialization failure or deadlock runs the work again (up to {@link #MAX_ATTEMPTS}), and so does a connection
     * lost before the commit (once); without, the work runs once whatever happens.
     */
    private <T> Written<T> run(HikariDataSource pool, Mode mode, boolean retry, String ns,
                               java.util.function.Function<JdbcTx, T> work) {
        if (closed) {
            throw new DatafnException(ErrorCode.SERVICE_UNAVAILABLE, "Server is shutting down", "$");
        }
        Schema s = Objects.requireNonNull(schema, "store used before migrate(schema)");
        for (int attempt = 1; ; attempt++) {
            try (Connection c = pool.getConnection()) {
                boolean single = mode == Mode.SINGLE;
                if (single) {
                    dialect.beginSingle(c);
                } else {
                    dialect.begin(c, mode == Mode.READ);
                }
                try {
                    JdbcTx tx = new JdbcTx(c, unitOfWork(c, mode), s, dialect, ns);
                    T result = work.apply(tx);
                    tx.settle();
                    if (single) {
                        endSingleOrEvict(pool, c);
                        return new Written<>(result, ns, List.of());
                    }
                    Statements st = tx.statements();
                    List<ChangeRow> changes = ns == null ? List.of()
                            : JdbcTx.flush(st, dialect, ns, tx.recorded(), System.currentTimeMillis(), sequences);
                    dialect.commit(c);
                    return new Written<>(result, ns, changes);
                } catch (RuntimeException e) {
                    abandon(pool, c, single);
                    // a connection that died before the commit (a restarted database, a stale pooled connection)
                    // committed nothing: the unit runs once more on a fresh connection
                    if (retry && (lost(e) && attempt == 1 || attempt < MAX_ATTEMPTS && retryable(e))) {
                        log.debug("store: retrying transaction (attempt {}): {}", attempt, e.getMessage());
                        backoff(attempt);
                        continue;
                    }
                    throw translate(e);
                } catch (Error e) {
                    // OutOfMemoryError, StackOverflowError, ...: the connection goes back to the pool out of any
                    // transaction (or not at all), whatever was thrown
                    abandon(pool, c, single);
                    throw e;
                }
            } catch (SQLException e) {
                // no connection within the acquire timeout: the database is down or saturated
                throw unavailable(e);
            }
        }
    }

    /** After a failed unit of work: out of its transaction, or of auto-commit mode after a single statement. */
    private void abandon(HikariDataSource pool, Connection c, boolean single) {
        if (single) {
            endSingleOrEvict(pool, c);
        } else {
            rollbackOrEvict(pool, c);
        }
    }

    /** Back to the pool's manual-commit mode after a single statement; a connection that cannot be is evicted. */
    private void endSingleOrEvict(HikariDataSource pool, Connection c) {
        try {
            dialect.endSingle(c);
        } catch (SQLException | RuntimeException e) {
            log.warn("store: leaving auto-commit mode failed, evicting the connection: {}", e.getMessage());
            pool.evictConnection(c);
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

    /** Writes committed so far in a group commit shared with other writes. */
    long groupedWrites() {
        return groupedWrites.get();
    }

    /**
     * The statements of a unit of work on {@code c}, with the one jOOQ listener its mode needs: a write sends its
     * held-back writes ({@link Statements#deferred}) before each jOOQ statement, a single-statement read refuses a
     * second one ({@link Statements#issuing}), a read in a transaction has none; then the test hook's listeners.
     */
    private Statements unitOfWork(Connection c, Mode mode) {
        DSLContext ctx = DSL.using(c, dialect.jooq(), settings);
        boolean single = mode == Mode.SINGLE;
        Statements st = single ? Statements.single(statements, c, ctx) : new Statements(statements, c, ctx);
        List<ExecuteListener> listeners = new ArrayList<>(executeListeners.length + 1);
        if (single) {
            listeners.add(ExecuteListener.onExecuteStart(x -> st.issuing())); // a second statement is refused
        } else if (mode == Mode.WRITE) {
            listeners.add(ExecuteListener.onStart(x -> st.deferred().flush())); // held-back writes go out first
        }
        listeners.addAll(List.of(executeListeners)); // the test hook's statement listeners
        if (!listeners.isEmpty()) {
            ctx.configuration().set(listeners.toArray(ExecuteListener[]::new));
        }
        return st;
    }

    /** The connection died (a restarted database, a stale pooled connection): nothing was committed. */
    private boolean lost(RuntimeException e) {
        SQLException sql = sqlCause(e);
        return sql != null && dialect.connectionLost(sql);
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
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StoreTx.Refuted r) {
                return r; // a held-back write failed inside a jOOQ statement's flush: the caller runs the work again
            }
        }
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
     * Test hook: {@code listener} sees the SQL of every statement of the units of work that start from now on, jOOQ's
     * and the write path's own ({@link Statements}); the tests of this package count statements per query and per
     * write with it. Migration and transaction control (SQLite's {@code BEGIN}/{@code COMMIT}, JDBC commit and
     * savepoints) are not seen.
     */
    synchronized void addStatementListener(Consumer<String> listener) {
        Objects.requireNonNull(listener, "listener");
        ExecuteListener[] next = java.util.Arrays.copyOf(executeListeners, executeListeners.length + 1);
        next[next.length - 1] = ExecuteListener.onExecuteStart(ctx -> listener.accept(ctx.sql()));
        executeListeners = next;
        statements.addListener(listener);
    }

    /** The store's statement cache (tests). */
    Statements.Cache statements() {
        return statements;
    }

    @Override
    public Pruned prune(long changesBefore, long idempotencyBefore) {
        return run(writePool, Mode.WRITE, true, null, tx -> new Pruned(
                changesBefore <= 0 ? 0 : JdbcTx.pruneChanges(tx.dsl(), changesBefore),
                idempotencyBefore <= 0 ? 0 : JdbcKeys.prune(tx.dsl(), idempotencyBefore))).value();
    }

    @Override
    public List<StoreTx.Quarantined> quarantined(String ns, int limit) {
        return run(readPool, Mode.READ, true, null, tx -> JdbcKeys.quarantined(tx.dsl(), ns, limit)).value();
    }

    @Override
    public int clearQuarantine(String ns, String clientId, String mutationId) {
        return run(writePool, Mode.WRITE, true, null, tx -> JdbcKeys.clearQuarantine(tx.dsl(), ns, clientId, mutationId)).value();
    }

    /** The rows of the counter table {@code datafn_seq}, read in one read-only transaction. */
    @Override
    public List<Counter> namespaceCounters(int limit) {
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("namespaceCounters limit must be 1..10000, got " + limit);
        }
        return run(readPool, Mode.READ, true, null, tx -> JdbcChanges.namespaceCounters(tx.dsl(), limit)).value();
    }

    /**
     * Every namespace's counter as committed now, for {@link #pollingBus}: one SELECT of the whole counter table (no
     * index needed: it is the table's primary key, one row per namespace) in a read-only transaction of the read pool
     * (REPEATABLE READ on PostgreSQL and MariaDB, a plain BEGIN on SQLite), which sees committed values only. It runs
     * outside {@link #run}: no statement hook, no "database unavailable" log line per failed poll (the bus logs once).
     * Before this store migrated there are none (the table may not exist yet): the bus then counts every namespace as
     * new at its first read after the migration, which announces each once, before any socket can listen.
     */
    List<Counter> committedCounters() throws SQLException {
        if (schema == null) {
            return List.of();
        }
        try (Connection c = readPool.getConnection()) {
            dialect.begin(c, true);
            try {
                return JdbcChanges.allCounters(DSL.using(c, dialect.jooq(), settings));
            } finally {
                rollbackOrEvict(readPool, c);
            }
        }
    }

    /**
     * A bus that reads this database's committed counters every {@code interval} ({@code --bus poll}): for databases
     * without notifications, MariaDB and SQLite, shared by several nodes. The caller closes it before the store.
     */
    public io.datafn.realtime.PollingBus pollingBus(Duration interval) {
        return new io.datafn.realtime.PollingBus(this::committedCounters, interval);
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
     * Reports both pools (connections active, idle, pending; acquire, usage and creation times; tag {@code pool}) to
     * {@code factory}, e.g. HikariCP's own {@code MicrometerMetricsTrackerFactory}; at most once per store (HikariCP
     * refuses a second factory).
     */
    public void metricsTrackerFactory(com.zaxxer.hikari.metrics.MetricsTrackerFactory factory) {
        Objects.requireNonNull(factory, "metricsTrackerFactory");
        writePool.setMetricsTrackerFactory(factory);
        if (readPool != writePool) {
            readPool.setMetricsTrackerFactory(factory);
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
        if (sequences != null) {
            sequences.close();
        }
    }
}
