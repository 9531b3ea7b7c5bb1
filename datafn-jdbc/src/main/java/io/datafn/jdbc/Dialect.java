package io.datafn.jdbc;

import io.datafn.realtime.ClusterBus;
import io.datafn.store.ChangeRow;
import io.datafn.json.Json;
import org.jooq.Condition;
import org.jooq.Constraint;
import org.jooq.DSLContext;
import org.jooq.DataType;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Name;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultDataType;
import org.jooq.impl.SQLDataType;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every difference between the databases, named, in one place: column types, JSON functions, transaction control,
 * error classification, seq allocation, locks and the cluster bus. Nothing else in the store asks which database it
 * talks to; statements elsewhere are built with jOOQ's DSL, which renders (and emulates) them per {@link #jooq()}.
 */
enum Dialect {
    POSTGRES("postgresql") {
        @Override
        DataType<?> columnType(ColumnKind kind) {
            return switch (kind) {
                // COLLATE "C": code-point order, so sort and cursors agree with SQLite (PROTOCOL.md "Ordering of text")
                case TEXT, KEY -> SQLDataType.CLOB.collation(DSL.collation("C"));
                case NUMBER -> SQLDataType.DOUBLE;
                case BOOLEAN -> SQLDataType.BOOLEAN;
                case BIGINT -> SQLDataType.BIGINT;
                case JSON -> SQLDataType.JSONB;
            };
        }

        @Override
        DataType<?> jsonDataType() {
            return SQLDataType.JSONB;
        }

        @Override
        Object jsonValue(String canonical) {
            return JSONB.valueOf(canonical);
        }

        /**
         * pgjdbc switches auto-commit by a flag alone while no transaction is open (it sends {@code BEGIN} itself in
         * manual-commit mode); in auto-commit mode a read-only connection sends no {@code BEGIN READ ONLY} either.
         */
        @Override
        boolean autoCommitSingle() {
            return true;
        }

        @Override
        void beginSingle(Connection c) throws SQLException {
            c.setAutoCommit(true);
        }

        @Override
        void endSingle(Connection c) throws SQLException {
            c.setAutoCommit(false);
        }

        @Override
        String likePattern(String pattern) {
            // PostgreSQL's LIKE treats backslash as the escape character by default; DFQL has no escape character.
            return pattern.replace("\\", "\\\\");
        }

        @Override
        Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind) {
            String p = path.isEmpty() ? "{}" : "{" + path.stream().map(s -> "\"" + s.replace("\"", "\\\"") + "\"")
                    .collect(Collectors.joining(",")) + "}";
            String node = "({0} #> '" + p.replace("'", "''") + "')";
            String sql = switch (kind) {
                case TEXT -> "(case when jsonb_typeof(" + node + ") = 'string' then " + node + " #>> '{}' end)";
                case NUMBER -> "(case when jsonb_typeof(" + node + ") = 'number' then (" + node + " #>> '{}')::double precision end)";
                case BOOLEAN -> "(case when jsonb_typeof(" + node + ") = 'boolean' then (" + node + " #>> '{}')::boolean end)";
                case ANY -> node;
            };
            return DSL.field(sql, Object.class, json);
        }

        @Override
        Condition jsonContains(Field<?> json, List<String> path, String elementJson) {
            return DSL.condition("(" + jsonScalar(json, path, ScalarKind.ANY) + " @> {0})",
                    DSL.val("[" + elementJson + "]").cast(SQLDataType.JSONB));
        }

        @Override
        Condition jsonEquals(Field<?> json, List<String> path, String valueJson) {
            return DSL.condition("{0} = {1}", jsonScalar(json, path, ScalarKind.ANY),
                    DSL.val(valueJson).cast(SQLDataType.JSONB));
        }

        @Override
        boolean rowLocks() {
            return true;
        }

        @Override
        void lockMigration(DSLContext ctx) {
            // transaction-scoped: PostgreSQL's DDL is transactional, the lock ends with the migration's commit
            ctx.execute("select pg_advisory_xact_lock(7366354211)");
        }

        @Override
        boolean retryable(SQLException e) {
            return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
        }

        @Override
        boolean uniqueViolation(SQLException e) {
            return "23505".equals(e.getSQLState());
        }

        @Override
        boolean connectionLost(SQLException e) {
            // shutting down or restarting (57P01..57P03) besides the connection exceptions
            return super.connectionLost(e) || e.getSQLState() != null && e.getSQLState().startsWith("57P0");
        }

        /**
         * The counter update and the change rows in one statement (one round trip while the counter row is locked):
         * {@code WITH s AS (upsert counter RETURNING value) INSERT INTO changes SELECT ... FROM s, (VALUES ...)}.
         * jOOQ's DSL has no data-modifying CTE, so this one statement is written out (bind values only).
         */
        @Override
        List<Long> appendChanges(Statements st, String ns, List<ChangeRow> pending, long nowMillis) {
            int n = pending.size();
            if (n > 10_000) {
                // 4 binds a row: past 65 535 binds the one statement is impossible; counter, then inserts in chunks
                return super.appendChanges(st, ns, pending, nowMillis);
            }
            // the text depends only on n: written once per n (up to a group's or a batch's size, then each time)
            String sql = n <= 128 ? st.sql(List.of("pg-append-changes", n), () -> appendChangesSql(n)) : appendChangesSql(n);
            List<Object> binds = new ArrayList<>(5 + 4 * n);
            binds.addAll(List.of(ns, (long) n, ns, (long) n, nowMillis));
            for (ChangeRow c : pending) {
                binds.add(c.resource());
                binds.add(c.recordId());
                binds.add(c.op());
                binds.add(c.record() == null ? null : Json.text(c.record()));
            }
            List<Long> seqs = st.longs(sql, binds);
            java.util.Collections.sort(seqs); // seq = base + k: ascending seq is pending order
            return seqs;
        }

        private static String appendChangesSql(int n) {
            StringBuilder sql = new StringBuilder("WITH s AS (INSERT INTO " + SqlNames.SEQ + " (ns, value) VALUES (?, CAST(? AS bigint)) "
                    + "ON CONFLICT (ns) DO UPDATE SET value = " + SqlNames.SEQ + ".value + excluded.value RETURNING value) "
                    + "INSERT INTO " + SqlNames.CHANGES + " (ns, seq, resource, record_id, op, record, created_at) "
                    + "SELECT CAST(? AS text), s.value - CAST(? AS bigint) + v.k, v.resource, v.record_id, v.op, v.record, CAST(? AS bigint) "
                    + "FROM s, (VALUES ");
            for (int i = 0; i < n; i++) {
                sql.append(i == 0 ? "" : ", ").append("(").append(i + 1)
                        .append(", CAST(? AS text), CAST(? AS text), CAST(? AS text), CAST(? AS text))");
            }
            return sql.append(") AS v(k, resource, record_id, op, record) RETURNING seq").toString();
        }

        @Override
        ClusterBus nativeBus(String jdbcUrl, String user, String password) {
            return new PostgresBus(jdbcUrl, user, password);
        }

        @Override
        JdbcStore.Pools pools(String url, String user, String password, int poolSize, long acquireMs) {
            java.util.Properties props = new java.util.Properties();
            props.setProperty("reWriteBatchedInserts", "true");
            return JdbcStore.Pools.writeAndRead(url, user, password, poolSize, props, "datafn-pg", acquireMs);
        }
    },

    SQLITE("sqlite") {
        private static final DataType<Object> TEXT_TYPE = new DefaultDataType<>(null, Object.class, "TEXT");
        private static final DataType<Object> REAL_TYPE = new DefaultDataType<>(null, Object.class, "REAL");
        private static final DataType<Object> INTEGER_TYPE = new DefaultDataType<>(null, Object.class, "INTEGER");

        @Override
        DataType<?> columnType(ColumnKind kind) {
            // the declared types of earlier versions, verbatim (jOOQ would render clob, int8, blob)
            return switch (kind) {
                case TEXT, KEY, JSON -> TEXT_TYPE;
                case NUMBER -> REAL_TYPE;
                case BOOLEAN, BIGINT -> INTEGER_TYPE;
            };
        }

        @Override
        DataType<?> jsonDataType() {
            return SQLDataType.VARCHAR;
        }

        @Override
        String likePattern(String pattern) {
            return pattern;
        }

        private String jsonPath(List<String> path) {
            StringBuilder sb = new StringBuilder("$");
            for (String s : path) {
                sb.append(".\"").append(s.replace("\"", "\\\"")).append('"');
            }
            return sb.toString().replace("'", "''");
        }

        @Override
        Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind) {
            String p = "'" + jsonPath(path) + "'";
            String sql = switch (kind) {
                case TEXT -> "(case when json_type({0}, " + p + ") = 'text' then json_extract({0}, " + p + ") end)";
                case NUMBER -> "(case when json_type({0}, " + p + ") in ('integer','real') then json_extract({0}, " + p + ") end)";
                case BOOLEAN -> "(case when json_type({0}, " + p + ") in ('true','false') then json_extract({0}, " + p + ") end)";
                case ANY -> "json_extract({0}, " + p + ")";
            };
            return DSL.field(sql, Object.class, json);
        }

        /** json_type with integer and real folded into one kind, as JSON has one number type. */
        private String kind(String typeExpr) {
            return "(case when " + typeExpr + " in ('integer','real') then 'number' else " + typeExpr + " end)";
        }

        private String sameValue(String valueExpr, String typeExpr) {
            // {1} is the canonical JSON text of the filter value
            return "(" + kind(typeExpr) + " = " + kind("json_type({1})") + " and (case when " + typeExpr
                    + " in ('object','array') then json(" + valueExpr + ") = json({1}) else " + valueExpr
                    + " = json_extract({1}, '$') end))";
        }

        @Override
        Condition jsonContains(Field<?> json, List<String> path, String elementJson) {
            String p = "'" + jsonPath(path) + "'";
            return DSL.condition("(json_type({0}, " + p + ") = 'array' and exists (select 1 from json_each({0}, " + p
                    + ") je where " + sameValue("je.value", "je.type") + "))", json, DSL.val(elementJson));
        }

        @Override
        Condition jsonEquals(Field<?> json, List<String> path, String valueJson) {
            String p = "'" + jsonPath(path) + "'";
            return DSL.condition("(json_type({0}, " + p + ") is not null and "
                    + sameValue("json_extract({0}, " + p + ")", "json_type({0}, " + p + ")") + ")", json, DSL.val(valueJson));
        }

        @Override
        boolean rowLocks() {
            return false; // one writer connection: a write transaction already excludes every other writer
        }

        @Override
        boolean oneWriter() {
            return true;
        }

        @Override
        void lockMigration(DSLContext ctx) {
            // nothing to do: BEGIN IMMEDIATE already excludes every other writer
        }

        @Override
        boolean retryable(SQLException e) {
            return e.getErrorCode() == 5 || e.getErrorCode() == 6; // SQLITE_BUSY, SQLITE_LOCKED
        }

        @Override
        boolean uniqueViolation(SQLException e) {
            return e.getErrorCode() == 19; // SQLITE_CONSTRAINT
        }

        @Override
        int changeRowsPerInsert() {
            return 140; // 7 binds a row, within jOOQ's 999 (beyond it jOOQ inlines values: "statement too long")
        }

        /**
         * {@code BEGIN IMMEDIATE} for writes (the write lock up front: no lock upgrade can fail midway, other writers
         * wait up to busy_timeout), plain {@code BEGIN} for reads (a snapshot from the first read). The connections
         * stay in auto-commit mode between units of work: sqlite-jdbc's manual-commit mode begins the next transaction
         * eagerly, and an idle connection would then hold a lock or pin a WAL snapshot.
         */
        @Override
        void begin(Connection c, boolean readOnly) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute(readOnly ? "BEGIN" : "BEGIN IMMEDIATE");
            }
        }

        @Override
        void commit(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("COMMIT");
            }
        }

        /** {@code limit ? offset ?}. */
        @Override
        void pageBinds(int limit, int offset, List<Object> out) {
            out.add((long) limit);
            out.add((long) offset);
        }

        /** The connections are in auto-commit mode already: a single read just skips {@code BEGIN} and {@code COMMIT}. */
        @Override
        boolean autoCommitSingle() {
            return true;
        }

        @Override
        void beginSingle(Connection c) {
        }

        @Override
        void endSingle(Connection c) {
        }

        @Override
        void rollback(Connection c) throws SQLException {
            try (Statement st = c.createStatement()) {
                st.execute("ROLLBACK");
            } catch (SQLException e) {
                // SQLite ends a transaction by itself on some errors; "no transaction is active" is then expected
                if (!String.valueOf(e.getMessage()).contains("no transaction is active")) {
                    throw e;
                }
            }
        }

        @Override
        JdbcStore.Pools pools(String url, String user, String password, int poolSize, long acquireMs) {
            return JdbcStore.Pools.sqlite(url, user, password, poolSize, acquireMs);
        }
    },

    /**
     * MariaDB (and MySQL's protocol through the MariaDB driver). Text is utf8mb4 with the code-point collation
     * {@code utf8mb4_nopad_bin} (not {@code utf8mb4_bin}, which pads spaces); key columns are VARCHAR(255) because
     * InnoDB keys are limited to 3072 bytes; DDL commits implicitly, so the migration lock is a session lock.
     */
    MARIADB("mariadb") {
        private static final String COLLATION = "utf8mb4_nopad_bin";
        /** Index prefix of long text columns: ns (1020 bytes) plus four such columns stay within 3072 bytes. */
        private static final int PREFIX = 128;

        @Override
        DataType<?> columnType(ColumnKind kind) {
            return switch (kind) {
                case KEY -> SQLDataType.VARCHAR(255).collation(DSL.collation(COLLATION));
                case TEXT -> SQLDataType.CLOB.collation(DSL.collation(COLLATION)); // longtext
                case NUMBER -> SQLDataType.DOUBLE;
                case BOOLEAN -> SQLDataType.BOOLEAN;
                case BIGINT -> SQLDataType.BIGINT;
                case JSON -> SQLDataType.JSON; // longtext with a json_valid check
            };
        }

        @Override
        DataType<?> jsonDataType() {
            return SQLDataType.VARCHAR;
        }

        @Override
        Field<?> indexed(Field<?> column, ColumnKind kind) {
            return kind == ColumnKind.TEXT || kind == ColumnKind.JSON ? DSL.field("{0}(" + PREFIX + ")", column) : column;
        }

        @Override
        boolean partialIndexes() {
            return false;
        }

        @Override
        Constraint wideKey(Name... columns) {
            // five VARCHAR(255) utf8mb4 columns exceed InnoDB's 3072-byte key: a UNIQUE key (MariaDB hashes long ones)
            return DSL.unique(columns);
        }

        @Override
        String likePattern(String pattern) {
            // MariaDB's LIKE treats backslash as the escape character by default; DFQL has no escape character.
            return pattern.replace("\\", "\\\\");
        }

        private String jsonPath(List<String> path) {
            StringBuilder sb = new StringBuilder("$");
            for (String s : path) {
                sb.append(".\"").append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
            return "'" + sb.toString().replace("\\", "\\\\").replace("'", "''") + "'";
        }

        @Override
        Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind) {
            String node = "json_extract({0}, " + jsonPath(path) + ")";
            String sql = switch (kind) {
                case TEXT -> "(case when json_type(" + node + ") = 'STRING' then json_unquote(" + node + ") collate " + COLLATION + " end)";
                case NUMBER -> "(case when json_type(" + node + ") in ('INTEGER','DOUBLE') then cast(" + node + " as double) end)";
                case BOOLEAN -> "(case when json_type(" + node + ") = 'BOOLEAN' then (" + node + " = 'true') end)";
                case ANY -> "(case when json_type(" + node + ") <> 'NULL' then " + node + " end)";
            };
            return DSL.field(sql, Object.class, json);
        }

        @Override
        Condition jsonContains(Field<?> json, List<String> path, String elementJson) {
            String node = "json_extract({0}, " + jsonPath(path) + ")";
            // an element equal to the value (json_contains would also match an element that merely contains it)
            return DSL.condition("(json_type(" + node + ") = 'ARRAY' and exists (select 1 from json_table(" + node
                    + ", '$[*]' columns (v json path '$')) je where json_equals(je.v, {1})))", json, DSL.val(elementJson));
        }

        @Override
        Condition jsonEquals(Field<?> json, List<String> path, String valueJson) {
            String node = "json_extract({0}, " + jsonPath(path) + ")";
            return DSL.condition("(" + node + " is not null and json_equals(" + node + ", {1}))", json, DSL.val(valueJson));
        }

        @Override
        boolean rowLocks() {
            return true;
        }

        @Override
        void lockMigration(DSLContext ctx) {
            // DDL commits implicitly here, so a transactional lock would end at the first CREATE: a session lock,
            // released by unlockMigration
            Integer got = ctx.select(DSL.field("get_lock('datafn_migrate', 600)", Integer.class)).fetchOne(0, Integer.class);
            if (got == null || got != 1) {
                throw new IllegalStateException("database: another node holds the migration lock for 10 minutes");
            }
        }

        @Override
        void unlockMigration(DSLContext ctx) {
            ctx.fetchValue("select release_lock('datafn_migrate')");
        }

        @Override
        boolean retryable(SQLException e) {
            // deadlock (1213, SQLState 40001), lock wait timeout (1205)
            return "40001".equals(e.getSQLState()) || e.getErrorCode() == 1213 || e.getErrorCode() == 1205;
        }

        @Override
        boolean uniqueViolation(SQLException e) {
            return e.getErrorCode() == 1062;
        }

        @Override
        boolean upsertReturning() {
            return false;
        }

        // jOOQ renders a cast to double as decimal (10 digits, no fraction) here, and a double sum beyond the range is
        // an infinity inside MariaDB that reaches the client as 0: the values are made double by arithmetic, and an
        // infinite result becomes null
        @Override
        Field<?> sum(Field<?> arg) {
            return DSL.field("(case when abs(sum({0} * 1e0)) > 1.7976931348623157e308 then null else sum({0} * 1e0) end)",
                    SQLDataType.DOUBLE, arg);
        }

        @Override
        Field<?> avg(Field<?> arg) {
            return DSL.field("(case when abs(avg({0} * 1e0)) > 1.7976931348623157e308 then null else avg({0} * 1e0) end)",
                    SQLDataType.DOUBLE, arg);
        }

        @Override
        JdbcStore.Pools pools(String url, String user, String password, int poolSize, long acquireMs) {
            java.util.Properties props = new java.util.Properties();
            props.setProperty("rewriteBatchedStatements", "true");
            // the MariaDB driver takes jdbc:mysql: URLs only with permitMysqlScheme; the server speaks the same protocol
            String mariadbUrl = url.startsWith("jdbc:mysql:") ? "jdbc:mariadb:" + url.substring("jdbc:mysql:".length()) : url;
            return JdbcStore.Pools.writeAndRead(mariadbUrl, user, password, poolSize, props, "datafn-mariadb", acquireMs);
        }
    };

    private final String product;

    Dialect(String product) {
        this.product = product;
    }

    /** The database's name in logs and {@code describe()}. */
    String product() {
        return product;
    }

    /** Column kinds: KEY is text that is part of a key or index (ns, ids, internal keys), TEXT any other text. */
    enum ColumnKind { KEY, TEXT, NUMBER, BOOLEAN, BIGINT, JSON }

    /** The JSON value kind a comparison needs from a json column; other kinds read as SQL null. */
    enum ScalarKind { TEXT, NUMBER, BOOLEAN, ANY }

    /** The declared type of a column of {@code kind} (DDL). */
    abstract DataType<?> columnType(ColumnKind kind);

    /** The jOOQ type json columns are bound and read as. */
    abstract DataType<?> jsonDataType();

    /** The bind value of a JSON document in canonical text. */
    Object jsonValue(String canonical) {
        return canonical;
    }

    /** A column as an index element (MariaDB indexes a prefix of long text). */
    Field<?> indexed(Field<?> column, ColumnKind kind) {
        return column;
    }

    /** Whether {@code CREATE INDEX ... WHERE} exists; without it the index covers every row. */
    boolean partialIndexes() {
        return true;
    }

    /** The key of a table whose key columns together may be too long for a primary key. */
    Constraint wideKey(Name... columns) {
        return DSL.primaryKey(columns);
    }

    /** A DFQL LIKE pattern ({@code %}, {@code _}, no escape character) in this database's syntax. */
    abstract String likePattern(String pattern);

    /** The value at {@code path} inside a json column as an SQL scalar of {@code kind}, null when of another kind. */
    abstract Field<Object> jsonScalar(Field<?> json, List<String> path, ScalarKind kind);

    /** The json array at {@code path} has an element equal to the given JSON value. */
    abstract Condition jsonContains(Field<?> json, List<String> path, String elementJson);

    /** The json value at {@code path} equals the given JSON value. */
    abstract Condition jsonEquals(Field<?> json, List<String> path, String valueJson);

    /** Whether {@code SELECT ... FOR UPDATE} exists (and is needed). */
    abstract boolean rowLocks();

    /**
     * Whether the database has one writer at a time (SQLite): then concurrent writes of every namespace join one
     * group commit, else each namespace's writes group on their own and namespaces commit in parallel.
     */
    boolean oneWriter() {
        return false;
    }

    /** One migrating node at a time: taken inside the migration's transaction, before its first statement. */
    abstract void lockMigration(DSLContext ctx);

    /** Releases what {@link #lockMigration} took, after the migration's commit or rollback (a no-op when it ended with it). */
    void unlockMigration(DSLContext ctx) {
    }

    /** A failure that goes away when the transaction runs again (serialization failure, deadlock, busy). */
    abstract boolean retryable(SQLException e);

    /** A unique or primary key violation. */
    abstract boolean uniqueViolation(SQLException e);

    /** The connection is gone (SQLState class 08, or the driver says so): nothing was committed. */
    boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return e instanceof java.sql.SQLTransientConnectionException || e instanceof java.sql.SQLNonTransientConnectionException
                || state != null && state.startsWith("08");
    }

    /**
     * The double sum of a numeric expression; SQL null or an error where the result is beyond the range of a double
     * (the query runner reports both as an overflow): PostgreSQL raises an error, SQLite returns an infinity or null.
     */
    Field<?> sum(Field<?> arg) {
        return DSL.sum(arg.cast(Double.class));
    }

    /** The double average of a numeric expression, beyond the range as {@link #sum}. */
    Field<?> avg(Field<?> arg) {
        return DSL.avg(arg.cast(Double.class));
    }

    /** Whether {@code INSERT ... ON CONFLICT DO UPDATE ... RETURNING} returns the row as updated. */
    boolean upsertReturning() {
        return true;
    }

    /** Starts a unit of work on a pooled connection (which the pool set up for reads or writes). */
    void begin(Connection c, boolean readOnly) throws SQLException {
        // the pool set the isolation level, the read-only flag and manual commit when it opened the connection
    }

    void commit(Connection c) throws SQLException {
        c.commit();
    }

    /**
     * Appends the bind values of a page's {@code limit} and {@code offset} in the order of the SQL jOOQ renders for the
     * dialect ({@link PageBinds}), as jOOQ binds them (longs): the offset first (PostgreSQL's
     * {@code offset ? rows fetch next ? rows only}, MariaDB's {@code limit ?, ?}); SQLite overrides.
     */
    void pageBinds(int limit, int offset, List<Object> out) {
        out.add((long) offset);
        out.add((long) limit);
    }

    /**
     * True when a read of one statement ({@link JdbcStore#readSingle}) runs outside a transaction, in auto-commit mode:
     * the statement reads one snapshot by itself, and BEGIN and COMMIT are round trips saved. Only where entering and
     * leaving that mode costs nothing on the wire ({@link #beginSingle}, {@link #endSingle}).
     */
    boolean autoCommitSingle() {
        return false;
    }

    /** Before a single-statement read: the connection, taken from the read pool, goes to auto-commit mode. */
    void beginSingle(Connection c) throws SQLException {
        throw new UnsupportedOperationException(product() + ": single-statement reads run in a transaction");
    }

    /** After a single-statement read (whatever its outcome): back to the read pool's manual-commit mode. */
    void endSingle(Connection c) throws SQLException {
        throw new UnsupportedOperationException(product() + ": single-statement reads run in a transaction");
    }

    void rollback(Connection c) throws SQLException {
        c.rollback();
    }

    /**
     * Allocates {@code pending.size()} seqs of {@code ns} and inserts the change rows; the seqs in pending order. The
     * counter row stays locked until commit (see {@link JdbcTx#flushChanges}).
     */
    List<Long> appendChanges(Statements st, String ns, List<ChangeRow> pending, long nowMillis) {
        DSLContext ctx = st.ctx();
        int n = pending.size();
        long last = addToSeq(ctx, ns, n);
        List<Long> seqs = new ArrayList<>(n);
        for (long s = last - n + 1; s <= last; s++) {
            seqs.add(s);
        }
        JdbcTx.insertChanges(ctx, ns, pending, seqs, nowMillis, changeRowsPerInsert());
        return seqs;
    }

    /** Change rows per multi-row INSERT (7 binds each; SQLite: within jOOQ's 999 binds per statement). */
    int changeRowsPerInsert() {
        return 1_000;
    }

    /**
     * Adds {@code n} (0: only locks it) to the seq counter of {@code ns}, creating it at {@code n}; the new value. The
     * row stays locked by this transaction until it ends.
     */
    long addToSeq(DSLContext ctx, String ns, long n) {
        Table<?> seq = DSL.table(DSL.name(SqlNames.SEQ));
        Field<String> nsField = DSL.field(DSL.name("ns"), String.class);
        Field<Long> value = DSL.field(DSL.name("value"), Long.class);
        var upsert = ctx.insertInto(seq, nsField, value).values(ns, n).onConflict(nsField)
                .doUpdate().set(value, DSL.field(DSL.name(SqlNames.SEQ, "value"), Long.class).plus(DSL.excluded(value)));
        if (upsertReturning()) {
            // jOOQ's returning() of an upsert reads generated keys on SQLite (nothing on the update path): the
            // statement's own RETURNING clause instead
            return ctx.resultQuery("{0} returning {1}", upsert, value).fetchOne(0, Long.class);
        }
        upsert.execute();
        // the same transaction reads its own write; the row is locked, no other writer can change it meanwhile
        return ctx.select(value).from(seq).where(nsField.eq(ns)).fetchOne(value);
    }

    /** The bus that carries commits between nodes through this database itself, or null when it has none. */
    ClusterBus nativeBus(String jdbcUrl, String user, String password) {
        return null;
    }

    /** The connection pools: a write pool (READ COMMITTED) and a read pool (REPEATABLE READ, read-only). */
    abstract JdbcStore.Pools pools(String url, String user, String password, int poolSize, long acquireMs);

    SQLDialect jooq() {
        return switch (this) {
            case POSTGRES -> SQLDialect.POSTGRES;
            case SQLITE -> SQLDialect.SQLITE;
            case MARIADB -> SQLDialect.MARIADB;
        };
    }

    static Dialect fromUrl(String jdbcUrl) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRES;
        }
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        if (jdbcUrl.startsWith("jdbc:mariadb:") || jdbcUrl.startsWith("jdbc:mysql:")) {
            return MARIADB;
        }
        throw new IllegalArgumentException("database: unsupported JDBC URL '" + jdbcUrl
                + "' (use jdbc:postgresql://host:port/db, jdbc:mariadb://host:port/db, jdbc:mysql://host:port/db or jdbc:sqlite:path)");
    }

}
