package io.datafn.jdbc;

import io.datafn.json.Json;
import io.datafn.schema.Schema;
import io.datafn.store.ChangeRow;
import io.datafn.store.SequenceStore;
import io.datafn.store.StoreTx;
import org.jooq.DSLContext;

import java.util.ArrayList;
import java.util.List;

import static io.datafn.jdbc.TxScope.number;
import static io.datafn.jdbc.TxScope.text;

/**
 * {@link StoreTx} over one JDBC connection inside an open transaction, bound to one namespace. Holds the views, the
 * savepoints and the changes recorded so far, which {@link #flushChanges} writes at commit.
 */
final class JdbcTx implements StoreTx {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JdbcTx.class);

    private final java.sql.Connection connection;
    private final Statements statements;
    private final TxScope scope;
    private final List<ChangeRow> pending = new ArrayList<>();
    private final JdbcRecords records;
    private final JdbcJoins joins;
    private final JdbcChanges changes;
    private final JdbcKeys keys;
    private final JdbcGrants grants;

    JdbcTx(java.sql.Connection connection, Statements statements, Schema schema, Dialect dialect, String ns) {
        this.connection = connection;
        this.statements = statements;
        this.scope = new TxScope(statements.ctx(), schema, dialect, new Columns(dialect), ns);
        this.records = new JdbcRecords(scope, statements);
        this.joins = new JdbcJoins(scope);
        this.changes = new JdbcChanges(scope, statements, pending);
        this.keys = new JdbcKeys(scope, statements);
        this.grants = new JdbcGrants(scope);
    }

    @Override
    public String namespace() {
        return scope.ns();
    }

    @Override
    public Records records() {
        return records;
    }

    @Override
    public Joins joins() {
        return joins;
    }

    @Override
    public Changes changes() {
        return changes;
    }

    @Override
    public Keys keys() {
        return keys;
    }

    @Override
    public Grants grants() {
        return grants;
    }

    /** The unit of work's statements. */
    Statements statements() {
        return statements;
    }

    @Override
    public void deferWrites() {
        statements.deferred().start();
    }

    /**
     * The work returned: sends the writes it held back ({@link #deferWrites}), so that a failure of one is still the
     * work's own (in a group commit: rolled back to its savepoint), and stops deferring.
     */
    void settle() {
        statements.deferred().end();
    }

    /** The work failed: its held-back writes are forgotten (the transaction or its savepoint rolls back). */
    void abandon() {
        statements.deferred().discard();
    }

    /** The transaction's jOOQ context, for the tests of this package that run their own statements in it. */
    DSLContext dsl() {
        return scope.ctx();
    }

    /** The changes recorded so far, in recording order (seqs still 0). */
    List<ChangeRow> recorded() {
        return pending;
    }

    /**
     * Allocates seqs for the changes of namespace {@code ns} and writes them, as the last statements before commit. The
     * counter row stays locked until commit, so commits of one namespace happen in seq order and no reader can see a
     * seq while a lower one may still commit.
     *
     * @return the changes with their seqs, in the same order
     */
    static List<ChangeRow> flush(Statements st, Dialect dialect, String ns, List<ChangeRow> pending, long nowMillis,
                                 SequenceStore primary) {
        DSLContext ctx = st.ctx();
        if (pending.isEmpty()) {
            return List.of();
        }
        int n = pending.size();
        List<Long> seqs;
        if (primary == null) {
            seqs = dialect.appendChanges(st, ns, pending, nowMillis);
        } else {
            // lock the namespace's counter row (adding 0), then take the values from the primary
            long highWater = dialect.addToSeq(ctx, ns, 0);
            long last = fromPrimary(primary, ns, n, highWater);
            ctx.update(TxScope.table(SqlNames.SEQ)).set(number("value"), last).where(text("ns").eq(ns)).execute();
            seqs = new ArrayList<>(n);
            for (long s = last - n + 1; s <= last; s++) {
                seqs.add(s);
            }
            insertChanges(ctx, ns, pending, seqs, nowMillis, dialect.changeRowsPerInsert());
        }
        List<ChangeRow> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ChangeRow c = pending.get(i);
            out.add(new ChangeRow(seqs.get(i), c.resource(), c.recordId(), c.op(), c.record()));
        }
        return out;
    }

    /**
     * Inserts the change rows of {@code ns} with the given seqs, in multi-row inserts of at most
     * {@code rowsPerStatement} rows: SQLite refuses more than 32 766 variables or 1 000 000 bytes of SQL, and jOOQ
     * inlines the values of a statement with more than 999 binds (a large seed, a relate of thousands of targets or a
     * cascade would otherwise fail with "statement too long").
     */
    static void insertChanges(DSLContext ctx, String ns, List<ChangeRow> pending, List<Long> seqs, long nowMillis,
                              int rowsPerStatement) {
        for (int from = 0; from < pending.size(); from += rowsPerStatement) {
            var insert = ctx.insertInto(TxScope.table(SqlNames.CHANGES), text("ns"), number("seq"), text("resource"),
                    text("record_id"), text("op"), text("record"), number("created_at"));
            for (int i = from; i < Math.min(pending.size(), from + rowsPerStatement); i++) {
                ChangeRow c = pending.get(i);
                insert = insert.values(ns, seqs.get(i), c.resource(), c.recordId(), c.op(),
                        c.record() == null ? null : Json.text(c.record()), nowMillis);
            }
            insert.execute();
        }
    }

    /**
     * {@code n} values from the primary above the database high-water mark; the primary is raised first when it fell
     * behind (a restart, or commits that bypassed it), and the database counter serves when the primary fails.
     */
    private static long fromPrimary(SequenceStore primary, String ns, int n, long highWater) {
        try {
            if (!primary.healthy()) {
                throw new IllegalStateException(primary.name() + " is unhealthy");
            }
            long last = primary.reserve(ns, n);
            if (last - n < highWater) {
                primary.ensureAtLeast(ns, highWater);
                last = primary.reserve(ns, n);
                if (last - n < highWater) {
                    throw new IllegalStateException(primary.name() + " stays below the high-water mark " + highWater);
                }
            }
            return last;
        } catch (RuntimeException e) {
            log.warn("seq {}: {} failed, the database counter serves this commit: {}", ns, primary.name(), e.getMessage());
            return highWater + n;
        }
    }

    /** A JDBC savepoint and how many changes were recorded when it was taken. */
    private record Mark(java.sql.Savepoint sp, int recorded) implements Savepoint {
    }

    @Override
    public Savepoint savepoint() {
        statements.deferred().flush(); // what is held back belongs before the savepoint
        try {
            return new Mark(connection.setSavepoint(), pending.size());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("database: savepoint failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void rollbackTo(Savepoint savepoint) {
        Mark m = (Mark) savepoint;
        statements.deferred().drop(); // held back since the savepoint: undone with it
        keys.forgetClaims();
        try {
            connection.rollback(m.sp());
            connection.releaseSavepoint(m.sp());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("database: rollback to savepoint failed: " + e.getMessage(), e);
        }
        pending.subList(m.recorded(), pending.size()).clear();
    }

    /** Deletes change rows recorded before {@code before}, in every namespace. */
    static long pruneChanges(DSLContext ctx, long before) {
        return ctx.deleteFrom(TxScope.table(SqlNames.CHANGES)).where(number("created_at").lt(before)).execute();
    }
}
