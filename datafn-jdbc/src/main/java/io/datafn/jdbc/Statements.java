package io.datafn.jdbc;

import io.datafn.schema.FieldType;
import org.jooq.DSLContext;
import org.jooq.JSON;
import org.jooq.JSONB;
import org.jooq.exception.DataAccessException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The SQL text of each query shape, rendered by jOOQ once and then reused; the statements run on the transaction's
 * connection with the bind values of each request, and their rows are read straight from the {@link ResultSet}.
 *
 * <p>A shape is everything the SQL text depends on and nothing it binds (see {@link QueryShape}): two queries of one
 * shape render the same text, so the text of the first serves the second with the second's bind values, which jOOQ
 * extracts from the second's own query tree. The cache holds at most {@link #MAX_SHAPES} shapes (beyond that an
 * arbitrary shape makes room); a statement with more binds than {@link #MAX_BINDS} is rendered with its values inline
 * and not cached.
 */
final class Statements {
    /** Where a transaction's jOOQ configuration holds the store's instance ({@link DSLContext#data(Object)}). */
    static final String KEY = Statements.class.getName();
    static final int MAX_SHAPES = 1024;
    /** Below every supported database's limit of bind values per statement (SQLite: 32 766). */
    static final int MAX_BINDS = 30_000;

    private final Map<Object, String> sql = new ConcurrentHashMap<>();
    private volatile List<Consumer<String>> observers = List.of();

    /** The instance of the store that opened {@code ctx}'s transaction. */
    static Statements of(DSLContext ctx) {
        return (Statements) ctx.data(KEY);
    }

    /** Test hook: {@code observer} sees the SQL of every statement run here from now on. */
    synchronized void observe(Consumer<String> observer) {
        List<Consumer<String>> next = new ArrayList<>(observers);
        next.add(observer);
        observers = List.copyOf(next);
    }

    /** How many shapes are cached (tests). */
    int cached() {
        return sql.size();
    }

    /** Forgets every shape (tests: the next statement of each shape is rendered afresh). */
    void clear() {
        sql.clear();
    }

    /** The rows of {@code query}, each as its columns read as {@code types} (see {@link #read}). */
    List<Object[]> rows(DSLContext ctx, Object shape, org.jooq.Query query, List<FieldType> types) {
        List<Object> binds = ctx.extractBindValues(query);
        String text;
        if (binds.size() > MAX_BINDS) {
            text = ctx.renderInlined(query);
            binds = List.of();
        } else {
            text = sql.get(shape);
            if (text == null) {
                text = ctx.render(query);
                remember(shape, text);
            }
        }
        for (Consumer<String> o : observers) {
            o.accept(text);
        }
        Connection c = ctx.configuration().connectionProvider().acquire();
        try (PreparedStatement ps = c.prepareStatement(text)) {
            for (int i = 0; i < binds.size(); i++) {
                bind(ps, i + 1, binds.get(i));
            }
            List<Object[]> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int n = types.size();
                while (rs.next()) {
                    Object[] row = new Object[n];
                    for (int i = 0; i < n; i++) {
                        row[i] = read(rs, i + 1, types.get(i));
                    }
                    out.add(row);
                }
            }
            return out;
        } catch (SQLException e) {
            throw new DataAccessException("SQL [" + text + "]; " + e.getMessage(), e);
        }
    }

    private void remember(Object shape, String text) {
        if (sql.size() >= MAX_SHAPES) {
            Iterator<Object> it = sql.keySet().iterator();
            if (it.hasNext()) {
                it.next();
                it.remove();
            }
        }
        sql.put(shape, text);
    }

    /** A bind value as jOOQ extracted it: JSON documents as their text (the SQL casts them), the rest as they are. */
    private static void bind(PreparedStatement ps, int i, Object v) throws SQLException {
        if (v instanceof JSONB j) {
            ps.setString(i, j.data());
        } else if (v instanceof JSON j) {
            ps.setString(i, j.data());
        } else {
            ps.setObject(i, v);
        }
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
}
