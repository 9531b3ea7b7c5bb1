package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.schema.Field;
import io.datafn.schema.Relation;
import io.datafn.store.StoreTx;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.Record;
import org.jooq.SelectField;
import org.jooq.Table;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static io.datafn.jdbc.TxScope.text;

/** {@link StoreTx.Joins} of one transaction, over the join table of each many-many relation. */
final class JdbcJoins implements StoreTx.Joins {
    private final TxScope s;

    JdbcJoins(TxScope scope) {
        this.s = scope;
    }

    private static Table<?> joinTable(Relation rel) {
        return TxScope.table(SqlNames.joinTable(rel));
    }

    private Condition joinKey(String from, String to) {
        return s.inNs().and(text(SqlNames.FROM).eq(from)).and(text(SqlNames.TO).eq(to));
    }

    @Override
    public ObjectNode row(Relation relation, String from, String to) {
        Record r = s.ctx().select(columns(relation)).from(joinTable(relation)).where(joinKey(from, to)).fetchOne();
        if (r == null) {
            return null;
        }
        ObjectNode out = wire(relation, r);
        out.remove("id");
        return out;
    }

    /** {@code from_id, to_id} and the metadata columns of a join table. */
    private List<SelectField<?>> columns(Relation relation) {
        List<SelectField<?>> select = new ArrayList<>();
        select.add(text(SqlNames.FROM));
        select.add(text(SqlNames.TO));
        relation.metadata().forEach(m -> select.add(s.columns().column(m.name(), m.type())));
        return select;
    }

    @Override
    public void upsert(Relation relation, String from, String to, ObjectNode metadata) {
        Map<org.jooq.Field<?>, Object> meta = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = metadata.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Field m = relation.metadataField(e.getKey());
            meta.put(s.columns().column(m.name(), m.type()), s.columns().bind(m.type(), e.getValue()));
        }
        if (row(relation, from, to) != null) {
            if (!meta.isEmpty()) {
                s.ctx().update(joinTable(relation)).set(meta).where(joinKey(from, to)).execute();
            }
            return;
        }
        Map<org.jooq.Field<?>, Object> row = new LinkedHashMap<>();
        row.put(text(Columns.NS), s.ns());
        row.put(text(SqlNames.FROM), from);
        row.put(text(SqlNames.TO), to);
        row.putAll(meta);
        s.ctx().insertInto(joinTable(relation)).set(row).execute();
    }

    @Override
    public boolean delete(Relation relation, String from, String to) {
        return s.ctx().deleteFrom(joinTable(relation)).where(joinKey(from, to)).execute() > 0;
    }

    @Override
    public List<StoreTx.JoinKey> of(Relation relation, boolean fromSide, String id) {
        List<StoreTx.JoinKey> out = new ArrayList<>();
        for (Record r : s.ctx().select(text(SqlNames.FROM), text(SqlNames.TO)).from(joinTable(relation))
                .where(s.inNs()).and(text(fromSide ? SqlNames.FROM : SqlNames.TO).eq(id)).fetch()) {
            out.add(new StoreTx.JoinKey(r.get(0, String.class), r.get(1, String.class)));
        }
        return out;
    }

    @Override
    public void scan(Relation relation, Consumer<ObjectNode> sink) {
        try (Cursor<Record> cursor = s.ctx().select(columns(relation)).from(joinTable(relation)).where(s.inNs())
                .orderBy(text(SqlNames.FROM), text(SqlNames.TO)).fetchSize(500).fetchLazy()) {
            for (Record r : cursor) {
                sink.accept(wire(relation, r));
            }
        }
    }

    /** A join row as the wire carries it: {@code {id: "<from>:<to>", from, to, ...metadata}}. */
    static ObjectNode wire(Relation relation, Record r) {
        ObjectNode j = Json.object();
        String from = r.get(0, String.class);
        String to = r.get(1, String.class);
        j.put("id", from + ":" + to);
        j.put("from", from);
        j.put("to", to);
        int i = 2;
        for (Field m : relation.metadata()) {
            j.set(m.name(), Columns.toWire(m.type(), r.get(i++)));
        }
        return j;
    }

    @Override
    public long count(Relation relation) {
        return s.ctx().selectCount().from(joinTable(relation)).where(s.inNs()).fetchOne(0, Long.class);
    }
}
