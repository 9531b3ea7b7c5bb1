package io.datafn.jdbc;

import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.jooq.Query;
import org.jooq.exception.DataAccessException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The hot statements of the write path (claiming and saving an idempotency key, inserting a record, the change rows)
 * on one transaction's connection: their SQL is rendered once per statement shape (jOOQ renders it the first time,
 * for the dialect) and kept in the store's {@link Cache}; every later call only binds its values and runs it as a
 * plain JDBC prepared statement. Building and rendering a jOOQ statement per call cost more server CPU than the
 * database's own work on it.
 *
 * <p>Bind values are plain Java values: String, Double, Long, Boolean, null (unspecified type: the column decides),
 * and jOOQ's {@link JSONB}, bound as its text (the rendered SQL casts it).
 */
final class Statements {
    /** SQL text per statement shape, and the test hook's statement listeners; one per store, shared by its transactions. */
    static final class Cache {
        private static final int MAX_SHAPES = 10_000;
        private final ConcurrentHashMap<Object, String> sql = new ConcurrentHashMap<>();
        private volatile List<Consumer<String>> listeners = List.of();

        synchronized void addListener(Consumer<String> listener) {
            List<Consumer<String>> next = new ArrayList<>(listeners);
            next.add(listener);
            listeners = List.copyOf(next);
        }

        private String get(Object shape, Supplier<String> render) {
            String s = sql.get(shape);
            if (s == null) {
                s = render.get();
                if (sql.size() < MAX_SHAPES) { // shapes are per resource and column set: bounded by the schema in practice
                    sql.putIfAbsent(shape, s);
                }
            }
            return s;
        }
    }

    private final Cache cache;
    private final Connection connection;
    private final DSLContext ctx;

    Statements(Cache cache, Connection connection, DSLContext ctx) {
        this.cache = cache;
        this.connection = connection;
        this.ctx = ctx;
    }

    /** The transaction's jOOQ context, for the statements that are not on the hot path. */
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
        try (PreparedStatement ps = prepare(sql, binds)) {
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** Runs a statement that returns rows; the first column of each, as longs. */
    List<Long> longs(String sql, List<Object> binds) {
        try (PreparedStatement ps = prepare(sql, binds.toArray())) {
            List<Long> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
            return out;
        } catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    private PreparedStatement prepare(String sql, Object[] binds) throws SQLException {
        for (Consumer<String> l : cache.listeners) {
            l.accept(sql);
        }
        PreparedStatement ps = connection.prepareStatement(sql);
        try {
            for (int i = 0; i < binds.length; i++) {
                Object v = binds[i];
                if (v == null) {
                    ps.setNull(i + 1, Types.NULL);
                } else if (v instanceof JSONB j) {
                    ps.setString(i + 1, j.data());
                } else {
                    ps.setObject(i + 1, v);
                }
            }
            return ps;
        } catch (SQLException | RuntimeException e) {
            ps.close();
            throw e;
        }
    }

    /** As jOOQ reports a failed statement: the SQL state stays on the cause, where the store reads it. */
    private static DataAccessException failed(String sql, SQLException e) {
        return new DataAccessException("SQL [" + sql + "]; " + e.getMessage(), e);
    }
}
