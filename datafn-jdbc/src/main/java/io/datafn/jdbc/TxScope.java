package io.datafn.jdbc;

import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Table;
import org.jooq.impl.DSL;

/** What every view of one {@link JdbcTx} shares: the transaction's jOOQ context and the namespace it is bound to. */
record TxScope(DSLContext ctx, Schema schema, Dialect dialect, Columns columns, String ns) {

    static org.jooq.Field<String> text(String name) {
        return DSL.field(DSL.name(name), String.class);
    }

    static org.jooq.Field<Long> number(String name) {
        return DSL.field(DSL.name(name), Long.class);
    }

    static Table<?> table(String name) {
        return DSL.table(DSL.name(name));
    }

    static Table<?> table(Resource r) {
        return table(SqlNames.table(r));
    }

    /** The namespace column of a resource or join table is this transaction's namespace. */
    Condition inNs() {
        return text(Columns.NS).eq(ns);
    }

    /** The {@code ns} column of an internal table ({@code datafn_*}) is this transaction's namespace. */
    Condition inNsInternal() {
        return text("ns").eq(ns);
    }

    /** The record {@code id} of the namespace. */
    Condition key(String id) {
        return inNs().and(text("id").eq(id));
    }
}
