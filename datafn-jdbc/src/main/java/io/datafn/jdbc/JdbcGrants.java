package io.datafn.jdbc;

import io.datafn.store.StoreTx;
import io.datafn.store.StoreTx.Grant;
import org.jooq.Condition;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;

import java.util.ArrayList;
import java.util.List;

import static io.datafn.jdbc.TxScope.number;
import static io.datafn.jdbc.TxScope.text;

/** {@link StoreTx.Grants} of one transaction, over {@code datafn_grants}. */
final class JdbcGrants implements StoreTx.Grants {
    private static final Table<?> GRANTS = TxScope.table(SqlNames.GRANTS);

    private final TxScope s;

    JdbcGrants(TxScope scope) {
        this.s = scope;
    }

    @Override
    public void save(Grant g) {
        s.ctx().insertInto(GRANTS, text("ns"), text("resource"), text("record_id"), text("principal"), text("level"),
                        text("granted_by"), number("granted_at"))
                .values(s.ns(), g.resource(), g.recordId(), g.principal(), g.level(), g.grantedBy(), g.grantedAt())
                .onConflict(text("ns"), text("resource"), text("record_id"), text("principal"), text("granted_by"))
                .doUpdate().set(text("level"), DSL.excluded(text("level")))
                .set(number("granted_at"), DSL.excluded(number("granted_at")))
                .execute();
    }

    @Override
    public boolean delete(String resource, String recordId, String principal, String owner) {
        Condition where = s.inNsInternal().and(text("resource").eq(resource)).and(text("record_id").eq(recordId))
                .and(text("principal").eq(principal));
        if (recordId.isEmpty()) {
            where = where.and(text("granted_by").eq(owner));
        }
        return s.ctx().deleteFrom(GRANTS).where(where).execute() > 0;
    }

    @Override
    public List<Grant> of(String resource, String recordId, String owner) {
        Condition scope = text("record_id").eq(recordId);
        if (owner != null) {
            scope = scope.or(text("record_id").eq("").and(text("granted_by").eq(owner)));
        }
        List<Grant> out = new ArrayList<>();
        for (Record r : s.ctx().select(text("resource"), text("record_id"), text("principal"), text("level"),
                        text("granted_by"), number("granted_at")).from(GRANTS)
                .where(s.inNsInternal()).and(text("resource").eq(resource)).and(scope)
                .orderBy(text("principal"), text("record_id").desc()).fetch()) {
            out.add(new Grant(r.get(0, String.class), r.get(1, String.class), r.get(2, String.class), r.get(3, String.class),
                    r.get(4, String.class), r.get(5, Long.class)));
        }
        return out;
    }
}
