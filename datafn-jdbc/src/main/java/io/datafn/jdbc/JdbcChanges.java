package io.datafn.jdbc;

import io.datafn.store.ChangeRow;
import io.datafn.store.NamespaceCounters.Counter;
import io.datafn.store.StoreTx;
import io.datafn.store.StoredChange;
import org.jooq.Condition;
import org.jooq.Record;
import org.jooq.Record2;
import org.jooq.SelectJoinStep;
import org.jooq.impl.DSL;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.datafn.jdbc.TxScope.number;
import static io.datafn.jdbc.TxScope.table;
import static io.datafn.jdbc.TxScope.text;

/**
 * {@link StoreTx.Changes} of one transaction. Recorded changes wait in memory: {@link JdbcTx#flushChanges} gives them
 * their seqs and writes them as the last statements before commit. The pages of change rows that pulls and the search
 * index read are hot statements ({@link Statements}: rendered once per shape, rows read from the result set).
 */
final class JdbcChanges implements StoreTx.Changes {
    private static final List<org.jooq.Field<?>> CHANGE_COLUMNS = List.of(number("seq"), text("resource"),
            text("record_id"), text("op"), text("record"));

    private final TxScope s;
    private final Statements statements;
    private final List<ChangeRow> pending;

    JdbcChanges(TxScope scope, Statements statements, List<ChangeRow> pending) {
        this.s = scope;
        this.statements = statements;
        this.pending = pending;
    }

    @Override
    public void record(ChangeRow change) {
        pending.add(change);
    }

    @Override
    public long currentSeq() {
        Long v = s.ctx().select(number("value")).from(table(SqlNames.SEQ)).where(s.inNsInternal()).fetchOne(0, Long.class);
        return v == null ? 0 : v;
    }

    @Override
    public long maxSeq(String resource) {
        Long v = s.ctx().select(DSL.max(number("seq"))).from(table(SqlNames.CHANGES))
                .where(s.inNsInternal()).and(text("resource").eq(resource)).fetchOne(0, Long.class);
        return v == null ? 0 : v;
    }

    @Override
    public List<StoredChange> since(Map<String, Long> cursors, int limit) {
        if (cursors.isEmpty()) {
            return List.of();
        }
        List<Object> binds = new ArrayList<>(2 * cursors.size() + 2);
        binds.add(s.ns());
        cursors.forEach((res, cur) -> {
            binds.add(res);
            binds.add(cur);
        });
        binds.add(limit);
        String sql = statements.rendered(new SinceShape(cursors.size()), binds.size(), () -> {
            List<Condition> streams = new ArrayList<>();
            cursors.forEach((res, cur) -> streams.add(text("resource").eq(res).and(number("seq").gt(cur))));
            return page(DSL.or(streams), limit);
        });
        return statements.select(sql, binds, JdbcChanges::stored);
    }

    @Override
    public List<ChangeRow> after(long cursor, int limit) {
        String sql = statements.rendered("changes-after", 3, () -> page(number("seq").gt(cursor), limit));
        return statements.select(sql, List.of(s.ns(), cursor, limit), rs -> stored(rs).row());
    }

    /** The statement shape of {@link #since}: its text depends on the number of streams only. */
    private record SinceShape(int streams) {
    }

    /** The page of change rows: bind values namespace, those of {@code where}, then the limit. */
    private org.jooq.Query page(Condition where, int limit) {
        return s.ctx().select(CHANGE_COLUMNS).from(table(SqlNames.CHANGES)).where(s.inNsInternal()).and(where)
                .orderBy(number("seq")).limit(limit);
    }

    private static StoredChange stored(ResultSet rs) throws SQLException {
        return new StoredChange(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5));
    }

    @Override
    public boolean deleted(String resource, String id) {
        return s.ctx().fetchExists(s.ctx().selectOne().from(table(SqlNames.CHANGES)).where(s.inNsInternal())
                .and(text("resource").eq(resource)).and(text("record_id").eq(id)).and(text("op").eq(ChangeRow.DELETE)));
    }

    @Override
    public boolean markSeeded(long atMillis) {
        return s.ctx().insertInto(table(SqlNames.SEED), text("ns"), number("created_at"))
                .values(s.ns(), atMillis).onConflictDoNothing().execute() > 0;
    }

    /** Every namespace's counter row, in namespace order (for operators: it reads across namespaces). */
    static List<Counter> namespaceCounters(org.jooq.DSLContext ctx, int limit) {
        return counters(ctx).orderBy(text("ns")).limit(limit).fetch(JdbcChanges::counter);
    }

    /** Every namespace's counter row, in no order (the polling bus: one scan of the counter table's primary key). */
    static List<Counter> allCounters(org.jooq.DSLContext ctx) {
        return counters(ctx).fetch(JdbcChanges::counter);
    }

    private static SelectJoinStep<Record2<String, Long>> counters(org.jooq.DSLContext ctx) {
        return ctx.select(text("ns"), number("value")).from(table(SqlNames.SEQ));
    }

    private static Counter counter(Record2<String, Long> r) {
        return new Counter(r.value1(), r.value2());
    }
}
