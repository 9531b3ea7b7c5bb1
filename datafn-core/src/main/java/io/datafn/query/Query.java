package io.datafn.query;

import io.datafn.schema.FieldType;
import io.datafn.schema.Resource;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated DFQL query. {@code sort} always ends with the {@code id} tie-breaker (or, grouped, with the group keys),
 * so every sort is total and cursors are exact.
 *
 * @param limit     rows per page (0 .. maxLimit)
 * @param cursor    keyset boundary, or null
 * @param aggregate grouping, or null for a row query
 * @param search    a full-text condition, or null; resolved to {@code id IN (...)} before the store sees the query
 * @param viewer    the actor asking: rows of private (shareable) resources are limited to what it may see; null
 *                  when there is no actor (then private resources show nothing)
 */
public record Query(Resource resource, Selection select, Set<String> omit, Filter filter, List<SortTerm> sort,
                    int limit, int offset, Cursor cursor, boolean count, Aggregate aggregate,
                    io.datafn.search.SearchRequest search, String viewer) {
    public Query {
        omit = Set.copyOf(omit);
        sort = List.copyOf(sort);
    }

    /** The same query with another filter and the search clause resolved. */
    public Query withFilter(Filter f) {
        return new Query(resource, select, omit, f, sort, limit, offset, cursor, count, aggregate, null, viewer);
    }

    /** The same query asked by {@code actor}. */
    public Query withViewer(String actor) {
        return new Query(resource, select, omit, filter, sort, limit, offset, cursor, count, aggregate, search, actor);
    }

    /**
     * True when the answer is one statement's rows: a grouped query, or a row query without {@code count} and without
     * related data in its selection (relation paths in filters and sorts are joins and subqueries of that statement).
     * Such a query needs no transaction around it to read one snapshot ({@link io.datafn.store.Store#readSingle}).
     */
    public boolean singleStatement() {
        return aggregate != null || !count && select.relations().isEmpty();
    }

    /** One sort term; {@code key} names the value in cursors ({@code "updatedAt"}, {@code "goal.label"}, an alias). */
    public record SortTerm(String key, Operand operand, boolean descending) {
    }

    /**
     * Keyset boundary: the boundary row's sort values by key in sort order, already normalised to the operand types
     * ({@link Value#NULL} for a null sort value); unmodifiable.
     */
    public record Cursor(boolean before, Map<String, Value> values) {
        public Cursor {
            values = ordered(values);
        }
    }

    public enum AggregateOp { COUNT, SUM, AVG, MIN, MAX }

    /** {@code field} null means "rows" (count without a field or with "*"). */
    public record Aggregation(AggregateOp op, Operand.FieldRef field) {
        /** The type of the aggregated value: counts, sums and averages are numbers, min and max keep the field's. */
        public FieldType resultType() {
            return switch (op) {
                case COUNT, SUM, AVG -> FieldType.NUMBER;
                case MIN, MAX -> field.type();
            };
        }
    }

    public record GroupKey(String key, Operand.FieldRef ref) {
    }

    /** Grouping; {@code aggregations} by alias in request order, unmodifiable. */
    public record Aggregate(List<GroupKey> groupBy, Map<String, Aggregation> aggregations, Filter having) {
        public Aggregate {
            groupBy = List.copyOf(groupBy);
            aggregations = ordered(aggregations);
        }

        /** The value type of a group key or aggregation alias, or null when it is neither. */
        public FieldType typeOf(String alias) {
            for (GroupKey g : groupBy) {
                if (g.key().equals(alias)) {
                    return g.ref().type();
                }
            }
            Aggregation a = aggregations.get(alias);
            return a == null ? null : a.resultType();
        }
    }

    /** An unmodifiable copy that keeps the order of {@code m} (which {@link Map#copyOf} does not). */
    private static <V> Map<String, V> ordered(Map<String, V> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
