package io.datafn.jdbc;

import io.datafn.schema.FieldType;
import org.jooq.DSLContext;
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
    /** Below every supported database's limit of bind values per statement (SQLite: 32 766). */
    static final int MAX_BINDS = 30_000;

    /** SQL text per statement shape, and the test hook's statement listeners; one per store, shared by its units of work. */
    static final class Cache {
        /** Write shapes are bounded by the schema; query shapes come from clients: past this an arbitrary one makes room. */
        static final int MAX_SHAPES = 4096;
        private final ConcurrentHashMap<Object, String> sql = new ConcurrentHashMap<>();
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
            String s = sql.get(shape);
            if (s == null) {
                s = render.get();
                if (sql.size() >= MAX_SHAPES) {
                    Iterator<Object> it = sql.keySet().iterator();
                    if (it.hasNext()) {
                        it.next();
                        it.remove();
                    }
                }
                sql.putIfAbsent(shape, s);
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
        List<Object> binds = ctx.extractBindValues(query);
        String text;
        if (binds.size() > MAX_BINDS) {
            text = ctx.renderInlined(query);
            binds = List.of();
        } else {
            text = cache.get(shape, () -> ctx.render(query));
        }
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

    private PreparedStatement prepare(String sql, List<Object> binds) throws SQLException {
        for (Consumer<String> l : cache.listeners) {
            l.accept(sql);
        }
        PreparedStatement ps = connection.prepareStatement(sql);
        try {
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
