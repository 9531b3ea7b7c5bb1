package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.json.Json;
import io.datafn.query.Operand;
import io.datafn.query.Query;
import io.datafn.query.Query.Aggregation;
import io.datafn.query.Query.GroupKey;
import io.datafn.query.Query.SortTerm;
import io.datafn.query.QueryResult;
import io.datafn.query.Selection;
import io.datafn.query.Value;
import io.datafn.schema.FieldType;
import io.datafn.schema.Link;
import io.datafn.schema.Relation;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import org.jooq.Condition;
import org.jooq.Field;
import org.jooq.DSLContext;
import org.jooq.OrderField;
import org.jooq.Record;
import org.jooq.SelectField;
import org.jooq.SelectJoinStep;
import org.jooq.Table;
import org.jooq.impl.DSL;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a {@link Query}: one SQL statement for the page (filter, keyset cursor, sort, limit, offset all in SQL), one
 * for {@code count}, and one per relation per nesting level for {@code select} expansion ({@code WHERE id IN (...)}).
 */
final class QueryRunner {
    /** Ids per {@code IN (...)} list; SQLite allows 32 766 bind values per statement. */
    private static final int IN_CHUNK = 500;
    private static final String ROOT = "t0";

    private final DSLContext ctx;
    private final Schema schema;
    private final Dialect dialect;
    private final Columns columns;
    private final Conditions conditions;
    private final String viewer;
    private final Statements statements;

    /** @param viewer the actor whose view of private resources every statement of the query is limited to */
    QueryRunner(Statements statements, Schema schema, Dialect dialect, String viewer) {
        this.ctx = statements.ctx();
        this.schema = schema;
        this.dialect = dialect;
        this.columns = new Columns(dialect);
        this.conditions = new Conditions(schema, dialect, viewer);
        this.viewer = viewer;
        this.statements = statements;
    }

    QueryResult run(String ns, Query q) {
        return q.aggregate() == null ? rows(ns, q) : groups(ns, q);
    }

    /**
     * A sum or average beyond the range of a double (JSON numbers as the client reads them): the same 400 on every
     * database, instead of PostgreSQL's error or SQLite's infinity.
     */
    private static DatafnException aggregateOverflow() {
        return DatafnException.limit("Aggregation result exceeds the range of a number (±1.7976931348623157e308)",
                "aggregations");
    }

    // ------------------------------------------------------------------------------------------------- row query

    private QueryResult rows(String ns, Query q) {
        Resource res = q.resource();
        List<String> baseFields = baseFields(res, q.select(), q.omit());
        List<String> loadedList = loaded(q, baseFields);
        boolean before = q.cursor() != null && q.cursor().before();
        List<FieldType> types = new ArrayList<>();
        loadedList.forEach(f -> types.add(typeOf(res, f)));
        q.sort().forEach(s -> types.add(((Operand.FieldRef) s.operand()).type()));
        // the tree is built only when the shape's SQL is rendered, or where PageBinds does not cover the query
        List<Object[]> fetched = statements.rows(QueryShape.of("page", q), () -> pageStatement(ns, q, loadedList, before),
                PageBinds.of(dialect, columns, ns, q), types);
        boolean more = fetched.size() > q.limit();
        List<Object[]> pageRows = new ArrayList<>(more ? fetched.subList(0, q.limit()) : fetched);
        if (before) {
            Collections.reverse(pageRows);
        }

        List<ObjectNode> out = new ArrayList<>();
        List<ObjectNode> loadedRows = new ArrayList<>();
        // without related data the loaded fields are the answer's: one node per row, not a copy of it
        boolean plain = q.select().relations().isEmpty();
        for (Object[] r : pageRows) {
            ObjectNode full = Json.object();
            for (int i = 0; i < loadedList.size(); i++) {
                full.set(loadedList.get(i), Columns.toWire(types.get(i), r[i]));
            }
            loadedRows.add(full);
            ObjectNode row = full;
            if (!plain) {
                row = Json.object();
                for (String f : baseFields) {
                    row.set(f, full.get(f));
                }
            }
            out.add(row);
        }
        expand(ns, res, q.select(), loadedRows, out);

        JsonNode next = null;
        boolean hasNext = before ? !pageRows.isEmpty() : more;
        if (hasNext && !pageRows.isEmpty()) {
            Object[] last = pageRows.get(pageRows.size() - 1);
            ObjectNode c = Json.object();
            for (int i = 0; i < q.sort().size(); i++) {
                int column = loadedList.size() + i;
                c.set(q.sort().get(i).key(), Columns.toWire(types.get(column), last[column]));
            }
            next = c;
        }
        Long count = null;
        if (q.count()) {
            count = (Long) statements.rows(QueryShape.of("count", q), ctx.selectCount().from(root(q.resource()))
                    .where(where(ns, q)), List.of(FieldType.DATE)).get(0)[0]; // read as a bigint
        }
        ArrayNode data = Json.array();
        out.forEach(data::add);
        return new QueryResult(data, next, count, false);
    }

    private static Table<?> root(Resource res) {
        return DSL.table(DSL.name(SqlNames.table(res))).as(ROOT);
    }

    /** The rows of the namespace that the filter matches and the viewer may see. */
    private Condition where(String ns, Query q) {
        return nsOf(ROOT, ns).and(conditions.translate(q.filter(), q.resource(), ROOT, a -> null))
                .and(Conditions.visible(q.resource(), ROOT, viewer));
    }

    /** The fields a row query loads: the selected ones and the foreign keys of its many-one relations. */
    private static List<String> loaded(Query q, List<String> baseFields) {
        Set<String> loaded = new LinkedHashSet<>(baseFields);
        for (Selection.RelationSelection rs : q.select().relations().values()) {
            if (rs.link().kind() == Link.Kind.FK_ON_SOURCE) {
                loaded.add(rs.link().fkField());
            }
        }
        return new ArrayList<>(loaded);
    }

    /** The page's statement of row query {@code q} (tests: {@link PageBinds} against jOOQ's binds of it). */
    org.jooq.Query pageStatement(String ns, Query q) {
        return pageStatement(ns, q, loaded(q, baseFields(q.resource(), q.select(), q.omit())),
                q.cursor() != null && q.cursor().before());
    }

    /** The page's statement: the loaded fields and the sort values of the rows after the cursor, one more than the limit. */
    private org.jooq.Query pageStatement(String ns, Query q, List<String> loadedList, boolean before) {
        Condition page = where(ns, q);
        Map<List<Link>, String> hops = new LinkedHashMap<>();
        List<Field<Object>> sortExprs = new ArrayList<>();
        for (SortTerm s : q.sort()) {
            sortExprs.add(fieldExpr((Operand.FieldRef) s.operand(), hops));
        }
        List<SelectField<?>> select = new ArrayList<>();
        for (String f : loadedList) {
            select.add(columns.column(ROOT, f, typeOf(q.resource(), f)));
        }
        for (int i = 0; i < sortExprs.size(); i++) {
            select.add(sortExprs.get(i).as("s" + i));
        }
        if (q.cursor() != null) {
            List<FieldType> types = new ArrayList<>();
            q.sort().forEach(x -> types.add(((Operand.FieldRef) x.operand()).type()));
            page = page.and(keyset(q.sort(), sortExprs, types, q.cursor().values(), before));
        }
        SelectJoinStep<Record> from = joinHops(ctx.select(select).from(root(q.resource())), hops);
        return from.where(page).orderBy(order(q.sort(), sortExprs, before)).limit(q.limit() + 1).offset(q.offset());
    }

    private static List<String> baseFields(Resource res, Selection sel, Set<String> omit) {
        List<String> out = new ArrayList<>();
        out.add("id");
        if (sel.allFields()) {
            for (io.datafn.schema.Field f : res.fields()) {
                if (!omit.contains(f.name())) {
                    out.add(f.name());
                }
            }
        }
        for (String f : sel.fields()) {
            if (!out.contains(f) && !omit.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    private static FieldType typeOf(Resource res, String field) {
        return field.equals("id") ? FieldType.STRING : res.field(field).type();
    }

    private static Condition nsOf(String alias, String ns) {
        return DSL.field(DSL.name(alias, Columns.NS), String.class).eq(ns);
    }

    /** A field expression; to-one relation hops become LEFT JOINs shared by all terms with the same path. */
    private Field<Object> fieldExpr(Operand.FieldRef ref, Map<List<Link>, String> hops) {
        String alias = ROOT;
        for (int i = 1; i <= ref.hops().size(); i++) {
            List<Link> prefix = List.copyOf(ref.hops().subList(0, i));
            alias = hops.computeIfAbsent(prefix, k -> conditions.alias());
        }
        return columns.column(alias, ref.field(), ref.type());
    }

    private SelectJoinStep<Record> joinHops(SelectJoinStep<Record> from, Map<List<Link>, String> hops) {
        for (Map.Entry<List<Link>, String> e : hops.entrySet()) {
            List<Link> path = e.getKey();
            Link last = path.get(path.size() - 1);
            String parent = path.size() == 1 ? ROOT : hops.get(path.subList(0, path.size() - 1));
            String alias = e.getValue();
            from = from.leftJoin(DSL.table(DSL.name(SqlNames.table(last.target()))).as(alias))
                    .on(DSL.field(DSL.name(alias, Columns.NS), String.class).eq(DSL.field(DSL.name(parent, Columns.NS), String.class))
                            .and(DSL.field(DSL.name(alias, "id"), String.class).eq(DSL.field(DSL.name(parent, last.fkField()), String.class))));
        }
        return from;
    }

    private static List<OrderField<?>> order(List<SortTerm> sort, List<Field<Object>> exprs, boolean reversed) {
        List<OrderField<?>> out = new ArrayList<>();
        for (int i = 0; i < sort.size(); i++) {
            boolean desc = sort.get(i).descending() != reversed;
            // nulls sort last ascending and first descending (PROTOCOL.md "sort"); reversing flips both
            out.add(desc ? exprs.get(i).desc().nullsFirst() : exprs.get(i).asc().nullsLast());
        }
        return out;
    }

    /**
     * Rows strictly after (or before) the boundary in the sort order, nulls included:
     * OR over k of (terms before k equal the boundary AND term k lies beyond it).
     */
    private Condition keyset(List<SortTerm> sort, List<Field<Object>> exprs, List<FieldType> types,
                             Map<String, Value> boundary, boolean before) {
        List<Condition> alternatives = new ArrayList<>();
        List<Condition> equalPrefix = new ArrayList<>();
        for (int i = 0; i < sort.size(); i++) {
            SortTerm s = sort.get(i);
            Field<Object> e = exprs.get(i);
            Value v = boundary.get(s.key());
            Field<Object> bound = Value.NULL.equals(v) ? null : columns.bind(types.get(i), v);
            Condition beyond;
            if (s.descending() != before) {
                // travelling towards smaller values: a null boundary (nulls first in desc) precedes every value
                beyond = bound == null ? e.isNotNull() : e.lt(bound);
            } else {
                // travelling towards greater values, then nulls (nulls last in asc)
                beyond = bound == null ? DSL.falseCondition() : e.gt(bound).or(e.isNull());
            }
            List<Condition> alt = new ArrayList<>(equalPrefix);
            alt.add(beyond);
            alternatives.add(DSL.and(alt));
            equalPrefix.add(bound == null ? e.isNull() : e.eq(bound));
        }
        return DSL.or(alternatives);
    }

    // ---------------------------------------------------------------------------------------------- grouped query

    private QueryResult groups(String ns, Query q) {
        Resource res = q.resource();
        Table<?> t = DSL.table(DSL.name(SqlNames.table(res))).as(ROOT);
        Condition where = nsOf(ROOT, ns).and(conditions.translate(q.filter(), res, ROOT, a -> null))
                .and(Conditions.visible(res, ROOT, viewer));
        Map<List<Link>, String> hops = new LinkedHashMap<>();
        Map<String, Conditions.AliasColumn> aliases = new LinkedHashMap<>();
        List<SelectField<?>> select = new ArrayList<>();
        List<Field<Object>> groupExprs = new ArrayList<>();
        int i = 0;
        for (GroupKey g : q.aggregate().groupBy()) {
            Field<Object> e = fieldExpr(g.ref(), hops);
            groupExprs.add(e);
            aliases.put(g.key(), new Conditions.AliasColumn(e, g.ref().type()));
            select.add(e.as("g" + i++));
        }
        i = 0;
        for (Map.Entry<String, Aggregation> a : q.aggregate().aggregations().entrySet()) {
            Aggregation agg = a.getValue();
            Field<Object> arg = agg.field() == null ? null : fieldExpr(agg.field(), hops);
            @SuppressWarnings("unchecked")
            Field<Object> e = (Field<Object>) (Field<?>) switch (agg.op()) {
                case COUNT -> arg == null ? DSL.count() : DSL.count(arg);
                case SUM -> dialect.sum(arg);
                case AVG -> dialect.avg(arg);
                case MIN -> DSL.min(arg);
                case MAX -> DSL.max(arg);
            };
            aliases.put(a.getKey(), new Conditions.AliasColumn(e, agg.resultType()));
            if (agg.op() == Query.AggregateOp.SUM || agg.op() == Query.AggregateOp.AVG) {
                // beside a sum or an average, how many values it had: a null result of some values is an overflow
                // (SQLite's infinity arrives as null)
                select.add(DSL.count(arg).as("c" + i));
            }
            select.add(e.as("a" + i++));
        }
        List<Field<Object>> sortExprs = new ArrayList<>();
        List<FieldType> sortTypes = new ArrayList<>();
        for (SortTerm s : q.sort()) {
            Conditions.AliasColumn col = aliases.get(((Operand.AliasRef) s.operand()).alias());
            sortExprs.add(col.expr());
            sortTypes.add(col.type());
        }
        Condition having = q.aggregate().having() == null ? DSL.trueCondition()
                : conditions.translate(q.aggregate().having(), res, ROOT, aliases::get);
        boolean before = q.cursor() != null && q.cursor().before();
        if (q.cursor() != null) {
            having = having.and(keyset(q.sort(), sortExprs, sortTypes, q.cursor().values(), before));
        }
        SelectJoinStep<Record> from = joinHops(ctx.select(select).from(t), hops);
        boolean filtered = q.aggregate().having() != null || q.cursor() != null;
        // a whole-set aggregate is one group even when empty; SQLite drops it when HAVING is present
        List<Record> fetched;
        try {
            fetched = (groupExprs.isEmpty()
                    ? (filtered ? from.where(where).having(having) : from.where(where))
                    : from.where(where).groupBy(groupExprs).having(having))
                    .orderBy(order(q.sort(), sortExprs, before)).limit(q.limit() + 1).offset(q.offset()).fetch();
        } catch (org.jooq.exception.DataAccessException e) {
            if ("22003".equals(e.sqlState())) { // PostgreSQL: numeric value out of range
                throw aggregateOverflow();
            }
            throw e;
        }
        boolean more = fetched.size() > q.limit();
        List<Record> page = new ArrayList<>(more ? fetched.subList(0, q.limit()) : fetched);
        if (before) {
            Collections.reverse(page);
        }
        ArrayNode groups = Json.array();
        List<ObjectNode> byKey = new ArrayList<>();
        for (Record r : page) {
            ObjectNode g = groups.addObject();
            int k = 0;
            for (GroupKey key : q.aggregate().groupBy()) {
                g.set(key.key(), Columns.toWire(key.ref().type(), r.get("g" + k++)));
            }
            k = 0;
            for (Map.Entry<String, Aggregation> a : q.aggregate().aggregations().entrySet()) {
                Object v = r.get("a" + k);
                Object values = r.indexOf("c" + k) >= 0 ? r.get("c" + k) : null;
                k++;
                if (v instanceof Number n && !Double.isFinite(n.doubleValue())
                        || v instanceof String && aliases.get(a.getKey()).type() == FieldType.NUMBER
                        || v == null && values instanceof Number c && c.longValue() > 0) {
                    throw aggregateOverflow(); // SQLite: an infinity, as a double, as its text or as null
                }
                g.set(a.getKey(), Columns.toWire(aliases.get(a.getKey()).type(), v));
            }
            byKey.add(g);
        }
        JsonNode next = null;
        if ((before ? !page.isEmpty() : more) && !byKey.isEmpty()) {
            ObjectNode last = byKey.get(byKey.size() - 1);
            ObjectNode c = Json.object();
            for (SortTerm s : q.sort()) {
                c.set(s.key(), last.get(s.key()));
            }
            next = c;
        }
        return new QueryResult(groups, next, null, true);
    }

    // -------------------------------------------------------------------------------------------------- expansion

    /**
     * Adds related data to {@code out} (parallel to {@code loaded}, which also holds the foreign keys). One statement
     * per relation, then recursion on the related records as one set (one statement per nesting level).
     */
    private void expand(String ns, Resource res, Selection sel, List<ObjectNode> loaded, List<ObjectNode> out) {
        if (sel.relations().isEmpty() || loaded.isEmpty()) {
            return;
        }
        for (Map.Entry<String, Selection.RelationSelection> e : sel.relations().entrySet()) {
            Selection.RelationSelection rs = e.getValue();
            Link link = rs.link();
            Resource target = schema.resource(link.target());
            String key = e.getKey();
            switch (link.kind()) {
                case FK_ON_SOURCE -> {
                    List<String> fks = new ArrayList<>();
                    for (ObjectNode row : loaded) {
                        String fk = row.path(link.fkField()).asText(null);
                        if (fk != null && !row.get(link.fkField()).isNull()) {
                            fks.add(fk);
                        }
                    }
                    if (rs.mode() == Selection.Mode.IDS) {
                        for (int i = 0; i < out.size(); i++) {
                            JsonNode fk = loaded.get(i).get(link.fkField());
                            out.get(i).set(key, fk == null ? Json.NODES.nullNode() : fk);
                        }
                        continue;
                    }
                    Map<String, ObjectNode> byId = new HashMap<>();
                    for (ObjectNode r : records(ns, target, rs.nested(), fks, "id", null)) {
                        byId.put(r.get("id").asText(), r);
                    }
                    for (int i = 0; i < out.size(); i++) {
                        String fk = loaded.get(i).path(link.fkField()).isNull() ? null : loaded.get(i).path(link.fkField()).asText(null);
                        ObjectNode related = fk == null ? null : byId.get(fk);
                        out.get(i).set(key, related == null ? Json.NODES.nullNode() : related);
                    }
                }
                case FK_ON_TARGET -> {
                    List<String> ids = ids(loaded);
                    Map<String, List<ObjectNode>> byParent = new HashMap<>();
                    Selection nested = rs.mode() == Selection.Mode.IDS ? new Selection(false, List.of(), Map.of()) : rs.nested();
                    for (ObjectNode r : records(ns, target, nested, ids, link.fkField(), link.fkField())) {
                        byParent.computeIfAbsent(r.get(link.fkField()).asText(), k -> new ArrayList<>()).add(r);
                    }
                    for (int i = 0; i < out.size(); i++) {
                        ArrayNode arr = Json.array();
                        for (ObjectNode r : byParent.getOrDefault(loaded.get(i).get("id").asText(), List.of())) {
                            if (rs.mode() == Selection.Mode.IDS) {
                                arr.add(r.get("id"));
                            } else {
                                if (!nestedWants(rs.nested(), link.fkField())) {
                                    r = r.deepCopy();
                                    r.remove(link.fkField());
                                }
                                arr.add(r);
                            }
                        }
                        out.get(i).set(key, arr);
                    }
                }
                case JOIN -> expandJoin(ns, rs, key, target, loaded, out);
            }
        }
    }

    private static boolean nestedWants(Selection nested, String field) {
        return nested.allFields() || nested.fields().contains(field);
    }

    private static List<String> ids(List<ObjectNode> rows) {
        List<String> out = new ArrayList<>();
        rows.forEach(r -> out.add(r.get("id").asText()));
        return out;
    }

    private void expandJoin(String ns, Selection.RelationSelection rs, String key, Resource target,
                            List<ObjectNode> loaded, List<ObjectNode> out) {
        Link link = rs.link();
        Relation rel = link.relation();
        String mine = link.forward() ? SqlNames.FROM : SqlNames.TO;
        String theirs = link.forward() ? SqlNames.TO : SqlNames.FROM;
        io.datafn.schema.Field order = rel.metadataField("order");
        List<SelectField<?>> select = new ArrayList<>();
        select.add(DSL.field(DSL.name(SqlNames.FROM), String.class));
        select.add(DSL.field(DSL.name(SqlNames.TO), String.class));
        for (io.datafn.schema.Field m : rel.metadata()) {
            select.add(columns.column(m.name(), m.type()));
        }
        List<OrderField<?>> orderBy = new ArrayList<>();
        if (order != null) {
            orderBy.add(columns.column(order.name(), order.type()).asc().nullsLast());
        }
        orderBy.add(DSL.field(DSL.name(theirs)).asc());
        Map<String, List<ObjectNode>> byOwner = new HashMap<>();
        List<String> ownerIds = ids(loaded);
        for (List<String> chunk : chunks(ownerIds)) {
            Condition visibleTarget = target.isPrivate()
                    ? DSL.field(DSL.name(theirs), String.class).in(DSL.select(DSL.field(DSL.name("e1", "id"), String.class))
                            .from(DSL.table(DSL.name(SqlNames.table(target))).as("e1"))
                            .where(DSL.field(DSL.name("e1", Columns.NS), String.class).eq(ns))
                            .and(Conditions.visible(target, "e1", viewer)))
                    : DSL.trueCondition();
            for (Record r : ctx.select(select).from(DSL.table(DSL.name(SqlNames.joinTable(rel))))
                    .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                    .and(DSL.field(DSL.name(mine), String.class).in(chunk))
                    .and(visibleTarget)
                    .orderBy(orderBy).fetch()) {
                ObjectNode j = JdbcJoins.wire(rel, r);
                byOwner.computeIfAbsent(j.get(link.forward() ? "from" : "to").asText(), k -> new ArrayList<>()).add(j);
            }
        }
        Map<String, ObjectNode> targets = new HashMap<>();
        if (rs.mode() == Selection.Mode.RECORDS || rs.mode() == Selection.Mode.RECORDS_WITH_METADATA) {
            Set<String> wanted = new LinkedHashSet<>();
            byOwner.values().forEach(l -> l.forEach(j -> wanted.add(j.get(link.forward() ? "to" : "from").asText())));
            for (ObjectNode r : records(ns, target, rs.nested(), new ArrayList<>(wanted), "id", null)) {
                targets.put(r.get("id").asText(), r);
            }
        }
        for (int i = 0; i < out.size(); i++) {
            ArrayNode arr = Json.array();
            for (ObjectNode j : byOwner.getOrDefault(loaded.get(i).get("id").asText(), List.of())) {
                String other = j.get(link.forward() ? "to" : "from").asText();
                switch (rs.mode()) {
                    case IDS -> arr.add(other);
                    case JOIN_ROWS -> arr.add(j);
                    case RECORDS -> {
                        ObjectNode r = targets.get(other);
                        if (r != null) {
                            arr.add(r);
                        }
                    }
                    case RECORDS_WITH_METADATA -> {
                        ObjectNode r = targets.get(other);
                        if (r != null) {
                            ObjectNode withMeta = r.deepCopy();
                            ObjectNode meta = withMeta.putObject("$relation_metadata");
                            rel.metadata().forEach(m -> meta.set(m.name(), j.get(m.name())));
                            arr.add(withMeta);
                        }
                    }
                }
            }
            out.get(i).set(key, arr);
        }
    }

    /**
     * Records of {@code res} whose {@code matchColumn} is in {@code values}, ordered by id, with their own nested
     * relations expanded. {@code extraColumn} is loaded in addition to the selection (the foreign key to group by).
     */
    private List<ObjectNode> records(String ns, Resource res, Selection sel, List<String> values, String matchColumn,
                                     String extraColumn) {
        if (values.isEmpty()) {
            return List.of();
        }
        List<String> fields = baseFields(res, sel, Set.of());
        Set<String> loaded = new LinkedHashSet<>(fields);
        if (extraColumn != null) {
            loaded.add(extraColumn);
        }
        for (Selection.RelationSelection rs : sel.relations().values()) {
            if (rs.link().kind() == Link.Kind.FK_ON_SOURCE) {
                loaded.add(rs.link().fkField());
            }
        }
        List<String> loadedList = new ArrayList<>(loaded);
        List<SelectField<?>> select = new ArrayList<>();
        loadedList.forEach(f -> select.add(columns.column(f, typeOf(res, f))));
        List<ObjectNode> full = new ArrayList<>();
        List<ObjectNode> out = new ArrayList<>();
        for (List<String> chunk : chunks(new ArrayList<>(new LinkedHashSet<>(values)))) {
            for (Record r : ctx.select(select).from(DSL.table(DSL.name(SqlNames.table(res))).as("e0"))
                    .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                    .and(DSL.field(DSL.name(matchColumn), String.class).in(chunk))
                    .and(Conditions.visible(res, "e0", viewer))
                    .orderBy(DSL.field(DSL.name("id")).asc()).fetch()) {
                ObjectNode f = Json.object();
                for (int i = 0; i < loadedList.size(); i++) {
                    f.set(loadedList.get(i), Columns.toWire(typeOf(res, loadedList.get(i)), r.get(i)));
                }
                full.add(f);
                ObjectNode o = Json.object();
                for (String name : fields) {
                    o.set(name, f.get(name));
                }
                if (extraColumn != null) {
                    o.set(extraColumn, f.get(extraColumn));
                }
                out.add(o);
            }
        }
        if (values.size() > IN_CHUNK) {
            // chunks were each ordered by id; restore one order over all of them
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < out.size(); i++) {
                idx.add(i);
            }
            idx.sort((a, b) -> out.get(a).get("id").asText().compareTo(out.get(b).get("id").asText()));
            List<ObjectNode> o2 = new ArrayList<>();
            List<ObjectNode> f2 = new ArrayList<>();
            idx.forEach(i -> {
                o2.add(out.get(i));
                f2.add(full.get(i));
            });
            expand(ns, res, sel, f2, o2);
            return o2;
        }
        expand(ns, res, sel, full, out);
        return out;
    }

    private static List<List<String>> chunks(List<String> values) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i += IN_CHUNK) {
            out.add(values.subList(i, Math.min(values.size(), i + IN_CHUNK)));
        }
        return out;
    }
}
