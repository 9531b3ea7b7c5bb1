package io.datafn.jdbc;

import io.datafn.store.StoreTx;
import org.jooq.Query;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The writes a unit of work holds back while {@link StoreTx#deferWrites} is on: inserts that must each insert their
 * row, and updates that must each match one row. {@link #flush} sends them together: the inserts of one shape as
 * multi-row inserts (their row count is exact on every driver, which a JDBC batch's is not: PostgreSQL's rewritten
 * and MariaDB's bulk batches answer "no info"), the updates of one text as one JDBC batch (one round trip). A count
 * that differs from the expected one, or any SQL error, is {@link StoreTx.Refuted}: the work's answers rest on writes
 * that did not happen as assumed.
 */
final class DeferredWrites {
    /** Binds per multi-row insert at most: jOOQ inlines the values of a statement with more on SQLite. */
    static final int MAX_ROW_BINDS = 999;

    private final Statements statements;
    private final Map<Object, Inserts> inserts = new LinkedHashMap<>();
    private final Map<String, List<Object[]>> updates = new LinkedHashMap<>();
    private boolean on;

    DeferredWrites(Statements statements) {
        this.statements = statements;
    }

    /** Rows of one insert shape; {@code rows} renders the insert of n of them. */
    private record Inserts(int bindsPerRow, IntFunction<Query> rows, List<Object> binds) {
    }

    boolean on() {
        return on;
    }

    void start() {
        on = true;
    }

    /** Holds back the insert of one row of {@code shape} (its {@code binds}); {@code rows} renders an insert of n rows. */
    void insert(Object shape, IntFunction<Query> rows, List<Object> binds) {
        inserts.computeIfAbsent(shape, k -> new Inserts(binds.size(), rows, new ArrayList<>())).binds().addAll(binds);
    }

    /** Holds back an update that must match exactly one row. */
    void update(String sql, Object[] binds) {
        updates.computeIfAbsent(sql, k -> new ArrayList<>()).add(binds);
    }

    /** Sends what is held back (nothing when nothing is); deferral stays as it is. */
    void flush() {
        if (inserts.isEmpty() && updates.isEmpty()) {
            return;
        }
        List<Map.Entry<Object, Inserts>> ins = new ArrayList<>(inserts.entrySet());
        List<Map.Entry<String, List<Object[]>>> ups = new ArrayList<>(updates.entrySet());
        inserts.clear();
        updates.clear();
        for (Map.Entry<Object, Inserts> e : ins) {
            insertAll(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, List<Object[]>> e : ups) {
            updateAll(e.getKey(), e.getValue());
        }
    }

    /** The work ended: sends what is held back and stops deferring. */
    void end() {
        on = false;
        flush();
    }

    /** The work failed: forgets what is held back and stops deferring. */
    void discard() {
        on = false;
        drop();
    }

    /** Forgets what is held back (undone by a rollback to a savepoint); deferral stays as it is. */
    void drop() {
        inserts.clear();
        updates.clear();
    }

    private void insertAll(Object shape, Inserts in) {
        int per = in.bindsPerRow();
        int total = in.binds().size() / per;
        int chunk = Math.max(1, MAX_ROW_BINDS / per);
        for (int from = 0; from < total; from += chunk) {
            int n = Math.min(chunk, total - from);
            String sql = statements.rendered(List.of("deferred-insert", shape, n), n * per, () -> in.rows().apply(n));
            int inserted;
            try (PreparedStatement ps = statements.prepare(sql, in.binds().subList(from * per, (from + n) * per))) {
                inserted = ps.executeUpdate();
            } catch (SQLException e) {
                throw refuted(sql, e);
            }
            if (inserted != n) {
                discard();
                throw new StoreTx.Refuted("deferred insert of " + n + " rows inserted " + inserted);
            }
        }
    }

    private void updateAll(String sql, List<Object[]> rows) {
        int[] counts;
        try (PreparedStatement ps = statements.prepare(sql, Arrays.asList(rows.get(0)))) {
            ps.addBatch();
            for (int i = 1; i < rows.size(); i++) {
                statements.bind(ps, sql, Arrays.asList(rows.get(i)));
                ps.addBatch();
            }
            counts = ps.executeBatch();
        } catch (SQLException e) {
            throw refuted(sql, e);
        }
        for (int c : counts) {
            if (c != 1) {
                discard();
                throw new StoreTx.Refuted("deferred update matched " + c + " rows, not 1");
            }
        }
    }

    private StoreTx.Refuted refuted(String sql, SQLException e) {
        discard();
        StoreTx.Refuted r = new StoreTx.Refuted("deferred write failed: SQL [" + sql + "]; " + e.getMessage());
        r.addSuppressed(e); // not the cause: the store must not take it for this transaction's own SQL failure
        return r;
    }
}
