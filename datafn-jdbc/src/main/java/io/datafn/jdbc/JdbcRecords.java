package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.query.Filter;
import io.datafn.query.Query;
import io.datafn.query.QueryResult;
import io.datafn.schema.Field;
import io.datafn.schema.Resource;
import io.datafn.store.StoreTx;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.Record;
import org.jooq.SelectField;
import org.jooq.impl.DSL;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static io.datafn.jdbc.TxScope.table;
import static io.datafn.jdbc.TxScope.text;

/** {@link StoreTx.Records} of one transaction: one statement per call (a clash check after a refused insert). */
final class JdbcRecords implements StoreTx.Records {
    private final TxScope s;
    private final Statements statements;

    JdbcRecords(TxScope scope, Statements statements) {
        this.s = scope;
        this.statements = statements;
    }

    @Override
    public QueryResult query(Query query) {
        return new QueryRunner(statements, s.schema(), s.dialect(), query.viewer()).run(s.ns(), query);
    }

    @Override
    public ObjectNode read(Resource resource, String id) {
        Record r = s.ctx().select(allColumns(resource)).from(table(resource)).where(s.key(id)).fetchOne();
        return r == null ? null : row(resource, r);
    }

    @Override
    public ObjectNode lock(Resource resource, String id) {
        var q = s.ctx().select(allColumns(resource)).from(table(resource)).where(s.key(id));
        Record r = s.dialect().rowLocks() ? q.forUpdate().fetchOne() : q.fetchOne();
        return r == null ? null : row(resource, r);
    }

    @Override
    public boolean matches(Resource resource, String id, Filter filter) {
        Conditions conditions = new Conditions(s.schema(), s.dialect());
        return s.ctx().fetchExists(s.ctx().selectOne().from(table(resource).as("t0"))
                .where(DSL.field(DSL.name("t0", Columns.NS), String.class).eq(s.ns()))
                .and(DSL.field(DSL.name("t0", "id"), String.class).eq(id))
                .and(conditions.translate(filter, resource, "t0", a -> null)));
    }

    @Override
    public String insert(Resource resource, ObjectNode values) {
        String id = values.get("id").asText();
        // one statement shape per resource and set of columns, in the order the values come (rendered once)
        List<Field> fields = new ArrayList<>(values.size());
        List<Object> shape = new ArrayList<>(2 * values.size() + 1);
        shape.add(SqlNames.table(resource));
        List<Object> binds = new ArrayList<>(values.size() + 1);
        binds.add(s.ns());
        binds.add(id);
        Iterator<Map.Entry<String, JsonNode>> it = values.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("id")) {
                Field f = resource.field(e.getKey());
                fields.add(f);
                shape.add(f.name());
                shape.add(f.type());
                binds.add(s.columns().toSql(f.type(), e.getValue()));
            }
        }
        if (statements.deferred().on()) {
            // taken for granted: the insert goes with the others of its shape (DeferredWrites), which must all insert
            statements.deferred().insert(shape, n -> insertRows(resource, id, fields, values, n), binds);
            return null;
        }
        String sql = statements.rendered(shape, binds.size(), () -> insertRows(resource, id, fields, values, 1));
        int n = statements.update(sql, binds.toArray());
        if (n == 1) {
            return null;
        }
        if (s.ctx().fetchExists(s.ctx().selectOne().from(table(resource)).where(s.key(id)))) {
            return "id";
        }
        String clash = uniqueClash(resource, id, values);
        return clash != null ? clash : "id";
    }

    /**
     * An insert of {@code n} rows of the shape of {@code values} ({@code id}, then {@code fields} in this order; the
     * values only give each bind its form), doing nothing for a row whose id or unique field is taken.
     */
    private org.jooq.Query insertRows(Resource resource, String id, List<Field> fields, ObjectNode values, int n) {
        List<org.jooq.Field<?>> columns = new ArrayList<>(fields.size() + 2);
        List<Object> row = new ArrayList<>(fields.size() + 2);
        columns.add(text(Columns.NS));
        row.add(s.ns());
        columns.add(text("id"));
        row.add(id);
        for (Field f : fields) {
            columns.add(s.columns().column(f.name(), f.type()));
            row.add(s.columns().bind(f.type(), values.get(f.name())));
        }
        var insert = s.ctx().insertInto(table(resource), columns);
        for (int i = 0; i < n; i++) {
            insert = insert.values(row);
        }
        return insert.onConflictDoNothing();
    }

    @Override
    public String update(Resource resource, String id, ObjectNode values) {
        String clash = uniqueClash(resource, id, values);
        if (clash != null) {
            return clash;
        }
        Map<org.jooq.Field<?>, Object> set = values(resource, values);
        if (!set.isEmpty()) {
            s.ctx().update(table(resource)).set(set).where(s.key(id)).execute();
        }
        return null;
    }

    /** The first unique field of {@code values} whose value another record of the namespace holds. */
    private String uniqueClash(Resource resource, String id, ObjectNode values) {
        for (Field f : resource.fields()) {
            JsonNode v = values.get(f.name());
            if (!f.unique() || v == null || v.isNull()) {
                continue;
            }
            boolean taken = s.ctx().fetchExists(s.ctx().selectOne().from(table(resource)).where(s.inNs())
                    .and(s.columns().column(f.name(), f.type()).eq(s.columns().bind(f.type(), v)))
                    .and(text("id").ne(id)));
            if (taken) {
                return f.name();
            }
        }
        return null;
    }

    /** The field columns of {@code values} ({@code id} left out) with their bound values. */
    private Map<org.jooq.Field<?>, Object> values(Resource resource, ObjectNode values) {
        Map<org.jooq.Field<?>, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = values.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("id")) {
                continue;
            }
            Field f = resource.field(e.getKey());
            out.put(s.columns().column(f.name(), f.type()), s.columns().bind(f.type(), e.getValue()));
        }
        return out;
    }

    @Override
    public boolean delete(Resource resource, String id) {
        return s.ctx().deleteFrom(table(resource)).where(s.key(id)).execute() > 0;
    }

    @Override
    public Set<String> existing(Resource resource, Collection<String> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(s.ctx().select(text("id")).from(table(resource)).where(s.inNs()).and(text("id").in(ids))
                .fetch(0, String.class));
    }

    @Override
    public List<String> referencing(Resource resource, String fkField, String value, int max) {
        return s.ctx().select(text("id")).from(table(resource)).where(s.inNs()).and(text(fkField).eq(value))
                .orderBy(text("id")).limit(max).fetch(0, String.class);
    }

    @Override
    public Set<String> visible(Resource resource, String viewer, Collection<String> ids) {
        if (!resource.isPrivate() || ids.isEmpty()) {
            return resource.isPrivate() ? Set.of() : new HashSet<>(ids);
        }
        Set<String> out = new HashSet<>();
        List<String> distinct = new ArrayList<>(new HashSet<>(ids));
        for (int i = 0; i < distinct.size(); i += 500) {
            out.addAll(s.ctx().select(text("id")).from(table(resource)).where(s.inNs())
                    .and(text("id").in(distinct.subList(i, Math.min(distinct.size(), i + 500))))
                    .and(Conditions.visible(resource, SqlNames.table(resource), viewer)).fetch(0, String.class));
        }
        return out;
    }

    @Override
    public void scan(Resource resource, String viewer, String afterId, int limit, Consumer<ObjectNode> sink) {
        Condition where = s.inNs().and(Conditions.visible(resource, SqlNames.table(resource), viewer));
        if (afterId != null) {
            where = where.and(text("id").gt(afterId));
        }
        var q = s.ctx().select(allColumns(resource)).from(table(resource)).where(where).orderBy(text("id"));
        // fetchLazy with a fetch size streams from a server-side cursor: memory stays flat for any table size
        try (Cursor<Record> cursor = (limit > 0 ? q.limit(limit) : q).fetchSize(500).fetchLazy()) {
            for (Record r : cursor) {
                sink.accept(row(resource, r));
            }
        }
    }

    @Override
    public long count(Resource resource, String viewer) {
        return s.ctx().selectCount().from(table(resource)).where(s.inNs())
                .and(Conditions.visible(resource, SqlNames.table(resource), viewer)).fetchOne(0, Long.class);
    }

    /** {@code id} and every field column of a resource, in schema order. */
    private List<SelectField<?>> allColumns(Resource resource) {
        List<SelectField<?>> select = new ArrayList<>();
        select.add(text("id"));
        for (Field f : resource.fields()) {
            select.add(s.columns().column(f.name(), f.type()));
        }
        return select;
    }

    /** A record read with {@link #allColumns}, in wire form (which is also its storage form). */
    private static ObjectNode row(Resource resource, Record r) {
        ObjectNode out = Json.object();
        out.put("id", r.get(0, String.class));
        int i = 1;
        for (Field f : resource.fields()) {
            out.set(f.name(), Columns.toWire(f.type(), r.get(i++)));
        }
        return out;
    }
}
