package io.datafn.jdbc;

import io.datafn.query.Filter;
import io.datafn.query.Query;
import io.datafn.query.Selection;
import io.datafn.query.Value;
import io.datafn.schema.Resource;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the SQL text of a row query's statement depends on, and nothing that it binds: the resource (the schema's own
 * instance), the filter tree with each value replaced by a stand-in of its kind, the sort, the selection, the cursor's
 * direction and which of its values are null, whether there is a viewer, the limit and whether there is an offset.
 * The namespace, the viewer, the filter's and the cursor's values and the offset are bind values. A value's kind
 * stays in the shape because the translation depends on it (a json comparison with a number or a text, an empty
 * {@code startsWith}), and so does the length of an {@code in} list.
 *
 * @param statement which statement of the query ({@code "page"}, {@code "count"})
 */
record QueryShape(String statement, ResourceRef resource, Filter filter, List<Query.SortTerm> sort, Selection select,
                  Set<String> omit, int cursor, List<Boolean> nullBoundary, boolean viewer, int limit, boolean offset) {

    /** A resource compared by identity: its schema's instance (a new schema brings new shapes). */
    record ResourceRef(Resource resource) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ResourceRef r && r.resource == resource;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(resource);
        }
    }

    static QueryShape of(String statement, Query q) {
        List<Boolean> nulls = new ArrayList<>();
        int cursor = 0;
        if (q.cursor() != null) {
            cursor = q.cursor().before() ? 2 : 1;
            q.cursor().values().values().forEach(v -> nulls.add(v instanceof Value.Null));
        }
        return new QueryShape(statement, new ResourceRef(q.resource()), shape(q.filter()), q.sort(), q.select(), q.omit(),
                cursor, nulls, q.viewer() != null, q.limit(), q.offset() != 0);
    }

    private static final Value TEXT = new Value.Text("?");
    private static final Value EMPTY_TEXT = new Value.Text("");
    private static final Value NUMBER = new Value.Number(0);
    private static final Value BOOL = new Value.Bool(false);
    private static final Value INSTANT = new Value.Instant(0);
    private static final Value JSON = new Value.Json("?");

    /** The filter with each value replaced by the stand-in of its kind. */
    static Filter shape(Filter f) {
        if (f instanceof Filter.And a) {
            return new Filter.And(a.items().stream().map(QueryShape::shape).toList());
        }
        if (f instanceof Filter.Or o) {
            return new Filter.Or(o.items().stream().map(QueryShape::shape).toList());
        }
        if (f instanceof Filter.Not n) {
            return new Filter.Not(shape(n.inner()));
        }
        if (f instanceof Filter.Quantified q) {
            return new Filter.Quantified(q.link(), q.quantifier(), shape(q.inner()));
        }
        if (f instanceof Filter.Compare c) {
            return new Filter.Compare(c.operand(), c.op(), c.values().stream().map(QueryShape::standIn).toList());
        }
        return f;
    }

    private static Value standIn(Value v) {
        if (v instanceof Value.Text t) {
            return t.value().isEmpty() ? EMPTY_TEXT : TEXT;
        }
        if (v instanceof Value.Number) {
            return NUMBER;
        }
        if (v instanceof Value.Bool) {
            return BOOL;
        }
        if (v instanceof Value.Instant) {
            return INSTANT;
        }
        return v instanceof Value.Json ? JSON : v;
    }
}
