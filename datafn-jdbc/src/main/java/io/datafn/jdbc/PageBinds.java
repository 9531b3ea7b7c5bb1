package io.datafn.jdbc;

import io.datafn.query.Filter;
import io.datafn.query.Operand;
import io.datafn.query.Query;
import io.datafn.query.Value;
import io.datafn.schema.FieldType;

import java.util.ArrayList;
import java.util.List;

/**
 * The bind values of a row query's page statement ({@link QueryRunner}) taken straight from the parsed query, in the
 * order in which the statement's SQL, rendered once per {@link QueryShape}, takes them: the namespace, the filter's
 * values in tree order, the keyset cursor's boundary values, then the limit and the offset. A request of a cached
 * shape then builds no jOOQ tree at all. It covers the common queries (comparisons of plain columns, {@code and},
 * {@code or}, {@code $not}, cursors, any sort) and answers null for the rest (private resources, relation quantifiers,
 * JSON and text operators), which keep extracting their binds from jOOQ's tree. {@link Statements#rows} checks these
 * values against jOOQ's own the first time it renders a shape and uses them only for shapes where they agreed.
 */
final class PageBinds {
    private PageBinds() {
    }

    /** The page statement's bind values, or null where the query is not covered. */
    static List<Object> of(Dialect dialect, Columns columns, String ns, Query q) {
        if (q.aggregate() != null || q.resource().isPrivate()) {
            return null;
        }
        List<Object> out = new ArrayList<>();
        out.add(ns);
        if (!filter(q.filter(), columns, out)) {
            return null;
        }
        if (q.cursor() != null) {
            keyset(q, columns, out);
        }
        dialect.pageBinds(q.limit() + 1, q.offset(), out);
        return out;
    }

    /** As {@link Conditions#translate} binds them: every compared value, left to right. */
    private static boolean filter(Filter f, Columns columns, List<Object> out) {
        if (f instanceof Filter.Const) {
            return true;
        }
        if (f instanceof Filter.And a) {
            return a.items().stream().allMatch(i -> filter(i, columns, out));
        }
        if (f instanceof Filter.Or o) {
            return o.items().stream().allMatch(i -> filter(i, columns, out));
        }
        if (f instanceof Filter.Not n) {
            return filter(n.inner(), columns, out);
        }
        if (!(f instanceof Filter.Compare c) || !(c.operand() instanceof Operand.FieldRef ref)
                || ref.type().isJson() || !ref.jsonPath().isEmpty()) {
            return false;
        }
        switch (c.op()) {
            case EQ, NE, GT, GTE, LT, LTE -> out.add(columns.value(ref.type(), c.values().get(0)));
            case IN, NOT_IN -> c.values().forEach(v -> out.add(columns.value(ref.type(), v)));
            case BETWEEN, NOT_BETWEEN -> {
                out.add(columns.value(ref.type(), c.values().get(0)));
                out.add(columns.value(ref.type(), c.values().get(1)));
            }
            case IS_NULL, IS_NOT_NULL -> {
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /**
     * As {@code QueryRunner.keyset} binds them: for each sort term k, the boundary values of the terms before it (their
     * equality), then its own (the comparison); a null boundary value binds nothing.
     */
    private static void keyset(Query q, Columns columns, List<Object> out) {
        List<Object> bounds = new ArrayList<>();
        List<Boolean> present = new ArrayList<>();
        for (Query.SortTerm s : q.sort()) {
            Value v = q.cursor().values().get(s.key());
            present.add(!Value.NULL.equals(v));
            bounds.add(columns.value(((Operand.FieldRef) s.operand()).type(), v));
        }
        for (int k = 0; k < bounds.size(); k++) {
            for (int i = 0; i <= k; i++) {
                if (present.get(i)) {
                    out.add(bounds.get(i));
                }
            }
        }
    }
}
