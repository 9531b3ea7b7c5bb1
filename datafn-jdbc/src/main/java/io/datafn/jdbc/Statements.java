package io.datafn.jdbc;

import io.datafn.schema.FieldType;
import org.jooq.DSLContext;
import org.jooq.ExecuteListener;
import org.jooq.ExecuteListenerProvider;
import org.jooq.JSON;
import org.jooq.JSONB;
import org.jooq.Query;
import org.jooq.exception.DataAccessException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The hot statements of one unit of work, on its connection: the query page and count statements and the write path's
 * (claiming and saving an idempotency key, inserting a record, PostgreSQL's seq + change rows). Their SQL text is
 * rendered by jOOQ once per statement <em>shape</em> (everything the text depends on and nothing it binds, see
 * {@link QueryShape} for queries) and kept in the store's {@link Cache}; every later statement of that shape only binds
 * its values and runs as a plain JDBC prepared statement, its rows read straight from the {@link ResultSet}. Building
 * and rendering a jOOQ statement per call cost more server CPU than the database's own work on it.
 *
 * <p>Bind values are plain Java values (String, Double, Long, Boolean, null: the column decides its type) and jOOQ's
 * {@link JSON}/{@link JSONB}, bound as their text (the rendered SQL casts them).
 */
final class Statements {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Statements.class);
    /** Below every supported database's limit of bind values per statement (SQLite: 32 766). */
    static final int MAX_BINDS = 30_000;

    /** SQL text per statement shape, and the test hook's statement listeners; one per store, shared by its units of work. */
    static final class Cache {
        /** Write shapes are bounded by the schema; query shapes come from clients: past this an arbitrary one makes room. */
        static final int MAX_SHAPES = 4096;
        private final ConcurrentHashMap<Object, Rendered> sql = new ConcurrentHashMap<>();
        private volatile List<Consumer<String>> listeners = List.of();

        synchronized void addListener(Consumer<String> listener) {
            List<Consumer<String>> next = new ArrayList<>(listeners);
            next.add(listener);
            listeners = List.copyOf(next);
        }

        /** How many shapes are cached (tests). */
        int cached() {
            return sql.size();
        }

        /** Forgets every shape (tests: the next statement of each shape is rendered afresh). */
        void clear() {
            sql.clear();
        }

        private String get(Object shape, Supplier<String> render) {
            return get(shape).orElseGet(() -> put(shape, new Rendered(render.get(), false))).sql();
        }

        private java.util.Optional<Rendered> get(Object shape) {
            return java.util.Optional.ofNullable(sql.get(shape));
        }

        private Rendered put(Object shape, Rendered r) {
            if (sql.size() >= MAX_SHAPES) {
                Iterator<Object> it = sql.keySet().iterator();
                if (it.hasNext()) {
                    it.next();
                    it.remove();
                }
            }
            sql.putIfAbsent(shape, r);
            return r;
        }
    }

    /**
     * The SQL text of a shape, and whether the bind values its callers compute themselves ({@link #rows}) agreed with
     * jOOQ's the time it was rendered.
     */
    private record Rendered(String sql, boolean direct) {
    }

    private final Cache cache;
    private final Connection connection;
    private final DSLContext ctx;
    private final DeferredWrites deferred = new DeferredWrites(this);
    /** Statements this unit of work may still issue: one for a single-statement read, unbounded otherwise. */
    private int allowed;

    Statements(Cache cache, Connection connection, DSLContext ctx) {
        this(cache, connection, ctx, Integer.MAX_VALUE);
    }

    private Statements(Cache cache, Connection connection, DSLContext ctx, int allowed) {
        this.cache = cache;
        this.connection = connection;
        this.ctx = ctx;
        this.allowed = allowed;
    }

    /**
     * The statements of a read that promised to be one statement ({@link io.datafn.store.Store#readSingle}) and runs
     * outside a transaction: a second one, through this or through {@code ctx} (the store hooks {@link #issuing} into
     * its jOOQ context), is refused before it runs, because it would read another snapshot than the first.
     */
    static Statements single(Cache cache, Connection connection, DSLContext ctx) {
        return new Statements(cache, connection, ctx, 1);
    }

    /** Counts one statement about to run; past what this unit of work may issue, refuses it. */
    void issuing() {
        if (allowed-- <= 0) {
            throw new IllegalStateException("a single-statement read issued a second statement");
        }
    }

    /**
     * The writes this unit of work holds back ({@link io.datafn.store.StoreTx#deferWrites}): sent before each statement
     * of this class and each jOOQ statement of the unit (the store hooks {@link DeferredWrites#flush} into its jOOQ
     * context), so that nothing reads around them.
     */
    DeferredWrites deferred() {
        return deferred;
    }

    /** The unit of work's jOOQ context, for the statements that are not on the hot path. */
    DSLContext ctx() {
        return ctx;
    }

    /**
     * The SQL of {@code shape}: {@code query} rendered once with bind markers, which must take exactly {@code binds}
     * values (the order in which every caller of the shape binds them).
     */
    String rendered(Object shape, int binds, Supplier<Query> query) {
        return cache.get(shape, () -> {
            Query q = query.get();
            int n = ctx.extractBindValues(q).size();
            if (n != binds) {
                throw new IllegalStateException("statement " + shape + " renders " + n + " bind values, not " + binds);
            }
            return ctx.render(q);
        });
    }

    /** The SQL of {@code shape}, written out by {@code sql} the first time. */
    String sql(Object shape, Supplier<String> sql) {
        return cache.get(shape, sql);
    }

    /** Runs an insert, update or delete; the row count. */
    int update(String sql, Object... binds) {
        deferred.flush();
        try (PreparedStatement ps = prepare(sql, java.util.Arrays.asList(binds))) {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** Runs a statement that returns rows; the first column of each, as longs. */
    List<Long> longs(String sql, List<Object> binds) {
        return select(sql, binds, rs -> rs.getLong(1));
    }

    /** Reads the current row of a result set into one value. */
    @FunctionalInterface
    interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Runs a statement that returns rows; each row as {@code reader} reads it. */
    <T> List<T> select(String sql, List<Object> binds, RowReader<T> reader) {
        deferred.flush();
        try (PreparedStatement ps = prepare(sql, binds)) {
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(reader.read(rs));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /**
     * The rows of {@code query} (of {@code shape}), each as its columns read as {@code types} (see {@link #read}): the
     * text of the shape with the bind values jOOQ extracts from this query's own tree. A statement with more than
     * {@link #MAX_BINDS} binds is rendered with its values inline and not cached.
     */
    List<Object[]> rows(Object shape, Query query, List<FieldType> types) {
        return rows(shape, () -> query, null, types);
    }

    /**
     * Like {@link #rows(Object, Query, List)}, with the bind values the caller computed itself ({@code direct}, null
     * when it cannot): once a shape's SQL is rendered and {@code direct} agreed with jOOQ's binds that time, the
     * statements of that shape bind {@code direct} and {@code query} is never built. Where they disagreed, the shape
     * keeps binding jOOQ's (and the disagreement, a bug of the caller's, goes to the log).
     */
    List<Object[]> rows(Object shape, Supplier<Query> query, List<Object> direct, List<FieldType> types) {
        Rendered cached = direct == null ? null : cache.get(shape).filter(Rendered::direct).orElse(null);
        if (cached != null) {
            return run(cached.sql(), direct, types);
        }
        Query q = query.get();
        List<Object> binds = ctx.extractBindValues(q);
        if (binds.size() > MAX_BINDS) {
            return run(ctx.renderInlined(q), List.of(), types);
        }
        String text = cache.get(shape).orElseGet(() -> {
            boolean agreed = binds.equals(direct);
            if (direct != null && !agreed) {
                log.warn("statements: computed binds {} differ from jOOQ's {} for {}", direct, binds, shape);
            }
            return cache.put(shape, new Rendered(ctx.render(q), agreed));
        }).sql();
        return run(text, binds, types);
    }

    private List<Object[]> run(String text, List<Object> binds, List<FieldType> types) {
        int n = types.size();
        return select(text, binds, rs -> {
            Object[] row = new Object[n];
            for (int i = 0; i < n; i++) {
                row[i] = read(rs, i + 1, types.get(i));
            }
            return row;
        });
    }

    /**
     * A column as {@link Columns#toWire} takes it: text, a double, a boolean, a long, or a JSON document's text; SQL
     * NULL as null.
     */
    static Object read(ResultSet rs, int i, FieldType type) throws SQLException {
        Object v = switch (type) {
            case STRING, FILE, OBJECT, ARRAY, JSON -> rs.getString(i);
            case NUMBER -> rs.getDouble(i);
            case BOOLEAN -> rs.getBoolean(i);
            case DATE -> rs.getLong(i);
        };
        return rs.wasNull() ? null : v;
    }

    /** A prepared statement of {@code sql} with {@code binds} bound (the test hook's listeners see it). */
    PreparedStatement prepare(String sql, List<Object> binds) throws SQLException {
        issuing();
        PreparedStatement ps = connection.prepareStatement(sql);
        try {
            bind(ps, sql, binds);
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /** Binds {@code binds} to {@code ps} (one statement of {@code sql} to the test hook's listeners; a batch: each row). */
    void bind(PreparedStatement ps, String sql, List<Object> binds) throws SQLException {
        for (Consumer<String> l : cache.listeners) {
            l.accept(sql);
        }
        for (int i = 0; i < binds.size(); i++) {
            Object v = binds.get(i);
            if (v == null) {
                ps.setNull(i + 1, Types.NULL);
            } else if (v instanceof JSONB j) {
                ps.setString(i + 1, j.data());
            } else if (v instanceof JSON j) {
                ps.setString(i + 1, j.data());
            } else {
                ps.setObject(i + 1, v);
            }
        }
    }

    /** As jOOQ reports a failed statement: the SQL state stays on the cause, where the store reads it. */
    private static DataAccessException failed(String sql, SQLException e) {
        return new DataAccessException("SQL [" + sql + "]; " + e.getMessage(), e);
    }
}
