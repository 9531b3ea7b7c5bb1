package io.datafn.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;
import io.datafn.query.Filter;
import io.datafn.query.Query;
import io.datafn.query.QueryResult;
import io.datafn.schema.Field;
import io.datafn.schema.Relation;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.store.StoreTx;
import io.datafn.store.ChangeRow;
import io.datafn.store.SequenceStore;
import org.jooq.Condition;
import org.jooq.Cursor;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SelectField;
import org.jooq.Table;
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

/** {@link StoreTx} over one JDBC connection inside an open transaction. */
final class JdbcTx implements StoreTx {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JdbcTx.class);
    private final DSLContext ctx;
    private final Schema schema;
    private final Dialect dialect;
    private final Columns columns;

    private final List<ChangeRow> pending = new ArrayList<>();
    private final java.sql.Connection connection;
    private String pendingNs;

    JdbcTx(java.sql.Connection connection, DSLContext ctx, Schema schema, Dialect dialect) {
        this.connection = connection;
        this.ctx = ctx;
        this.schema = schema;
        this.dialect = dialect;
        this.columns = new Columns(dialect);
    }

    /** The transaction's jOOQ context, for the tests of this package that run their own statements in it. */
    DSLContext dsl() {
        return ctx;
    }

    /** The namespace of the recorded changes, or null when none were recorded. */
    String pendingNamespace() {
        return pendingNs;
    }

    /**
     * Allocates seqs for the recorded changes and writes them, as the last statements before commit. The counter
     * row stays locked until commit, so commits of one namespace happen in seq order and no reader can see a seq
     * while a lower one may still commit.
     */
    List<ChangeRow> flushChanges(long nowMillis, SequenceStore primary) {
        if (pending.isEmpty()) {
            return List.of();
        }
        int n = pending.size();
        List<Long> seqs;
        if (primary == null) {
            seqs = dialect.appendChanges(ctx, pendingNs, pending, nowMillis);
        } else {
            // lock the namespace's counter row (adding 0), then take the values from the primary
            long highWater = dialect.addToSeq(ctx, pendingNs, 0);
            long last = fromPrimary(primary, n, highWater);
            ctx.update(DSL.table(DSL.name(SqlNames.SEQ))).set(DSL.field(DSL.name("value"), Long.class), last)
                    .where(text("ns").eq(pendingNs)).execute();
            seqs = new ArrayList<>(n);
            for (long s = last - n + 1; s <= last; s++) {
                seqs.add(s);
            }
            insertChanges(ctx, pendingNs, pending, seqs, nowMillis, dialect.changeRowsPerInsert());
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
            var insert = ctx.insertInto(DSL.table(DSL.name(SqlNames.CHANGES)), text("ns"), DSL.field(DSL.name("seq"), Long.class),
                    text("resource"), text("record_id"), text("op"), text("record"), DSL.field(DSL.name("created_at"), Long.class));
            for (int i = from; i < Math.min(pending.size(), from + rowsPerStatement); i++) {
                ChangeRow c = pending.get(i);
                insert = insert.values(ns, seqs.get(i), c.resource(), c.recordId(), c.op(),
                        c.record() == null ? null : Json.text(c.record()), nowMillis);
            }
            insert.execute();
        }
    }

    private static Table<?> table(Resource r) {
        return DSL.table(DSL.name(SqlNames.table(r)));
    }

    private static Condition key(String ns, String id) {
        return DSL.field(DSL.name(Columns.NS), String.class).eq(ns).and(DSL.field(DSL.name("id"), String.class).eq(id));
    }

    private static org.jooq.Field<String> text(String name) {
        return DSL.field(DSL.name(name), String.class);
    }

    @Override
    public QueryResult query(String ns, Query query) {
        return new QueryRunner(ctx, schema, dialect, query.viewer()).run(ns, query);
    }

    @Override
    public ObjectNode lock(String ns, Resource resource, String id) {
        var q = ctx.select(allColumns(resource)).from(table(resource)).where(key(ns, id));
        Record r = dialect.rowLocks() ? q.forUpdate().fetchOne() : q.fetchOne();
        return r == null ? null : row(resource, r);
    }

    @Override
    public boolean matches(String ns, Resource resource, String id, Filter filter) {
        Conditions conditions = new Conditions(schema, dialect);
        return ctx.fetchExists(ctx.selectOne().from(table(resource).as("t0"))
                .where(DSL.field(DSL.name("t0", Columns.NS), String.class).eq(ns))
                .and(DSL.field(DSL.name("t0", "id"), String.class).eq(id))
                .and(conditions.translate(filter, resource, "t0", a -> null)));
    }

    private Map<org.jooq.Field<?>, Object> values(Resource resource, ObjectNode values) {
        Map<org.jooq.Field<?>, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = values.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("id")) {
                continue;
            }
            Field f = resource.field(e.getKey());
            out.put(columns.column(f.name(), f.type()), columns.bind(f.type(), e.getValue()));
        }
        return out;
    }

    @Override
    public String insert(String ns, Resource resource, ObjectNode values) {
        String id = values.get("id").asText();
        Map<org.jooq.Field<?>, Object> row = new LinkedHashMap<>();
        row.put(text(Columns.NS), ns);
        row.put(text("id"), id);
        row.putAll(values(resource, values));
        int n = ctx.insertInto(table(resource)).set(row).onConflictDoNothing().execute();
        if (n == 1) {
            return null;
        }
        if (ctx.fetchExists(ctx.selectOne().from(table(resource)).where(key(ns, id)))) {
            return "id";
        }
        String clash = uniqueClash(ns, resource, id, values);
        return clash != null ? clash : "id";
    }

    /** The first unique field of {@code values} whose value another record of the namespace holds. */
    private String uniqueClash(String ns, Resource resource, String id, ObjectNode values) {
        for (Field f : resource.fields()) {
            JsonNode v = values.get(f.name());
            if (!f.unique() || v == null || v.isNull()) {
                continue;
            }
            boolean taken = ctx.fetchExists(ctx.selectOne().from(table(resource))
                    .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                    .and(columns.column(f.name(), f.type()).eq(columns.bind(f.type(), v)))
                    .and(text("id").ne(id)));
            if (taken) {
                return f.name();
            }
        }
        return null;
    }

    @Override
    public String update(String ns, Resource resource, String id, ObjectNode values) {
        String clash = uniqueClash(ns, resource, id, values);
        if (clash != null) {
            return clash;
        }
        Map<org.jooq.Field<?>, Object> set = values(resource, values);
        if (!set.isEmpty()) {
            ctx.update(table(resource)).set(set).where(key(ns, id)).execute();
        }
        return null;
    }

    @Override
    public boolean delete(String ns, Resource resource, String id) {
        return ctx.deleteFrom(table(resource)).where(key(ns, id)).execute() > 0;
    }

    @Override
    public Set<String> existing(String ns, Resource resource, Collection<String> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(ctx.select(text("id")).from(table(resource))
                .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns)).and(text("id").in(ids)).fetch(0, String.class));
    }

    @Override
    public List<String> referencing(String ns, Resource resource, String fkField, String value, int max) {
        return ctx.select(text("id")).from(table(resource))
                .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns)).and(text(fkField).eq(value))
                .orderBy(text("id")).limit(max).fetch(0, String.class);
    }

    private static Table<?> joinTable(Relation rel) {
        return DSL.table(DSL.name(SqlNames.joinTable(rel)));
    }

    private static Condition joinKey(String ns, String from, String to) {
        return DSL.field(DSL.name(Columns.NS), String.class).eq(ns)
                .and(text(SqlNames.FROM).eq(from)).and(text(SqlNames.TO).eq(to));
    }

    @Override
    public ObjectNode joinRow(String ns, Relation relation, String from, String to) {
        List<SelectField<?>> select = new ArrayList<>();
        select.add(text(SqlNames.FROM));
        relation.metadata().forEach(m -> select.add(columns.column(m.name(), m.type())));
        Record r = ctx.select(select).from(joinTable(relation)).where(joinKey(ns, from, to)).fetchOne();
        if (r == null) {
            return null;
        }
        ObjectNode out = Json.object();
        out.put("from", from);
        out.put("to", to);
        int i = 1;
        for (Field m : relation.metadata()) {
            out.set(m.name(), Columns.toWire(m.type(), r.get(i++)));
        }
        return out;
    }

    private Map<org.jooq.Field<?>, Object> metadata(Relation relation, ObjectNode metadata) {
        Map<org.jooq.Field<?>, Object> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = metadata.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Field m = relation.metadataField(e.getKey());
            out.put(columns.column(m.name(), m.type()), columns.bind(m.type(), e.getValue()));
        }
        return out;
    }

    @Override
    public void upsertJoin(String ns, Relation relation, String from, String to, ObjectNode metadata) {
        Map<org.jooq.Field<?>, Object> meta = metadata(relation, metadata);
        if (joinRow(ns, relation, from, to) != null) {
            if (!meta.isEmpty()) {
                ctx.update(joinTable(relation)).set(meta).where(joinKey(ns, from, to)).execute();
            }
            return;
        }
        Map<org.jooq.Field<?>, Object> row = new LinkedHashMap<>();
        row.put(text(Columns.NS), ns);
        row.put(text(SqlNames.FROM), from);
        row.put(text(SqlNames.TO), to);
        row.putAll(meta);
        ctx.insertInto(joinTable(relation)).set(row).execute();
    }

    @Override
    public boolean deleteJoin(String ns, Relation relation, String from, String to) {
        return ctx.deleteFrom(joinTable(relation)).where(joinKey(ns, from, to)).execute() > 0;
    }

    @Override
    public List<String[]> joinsOf(String ns, Relation relation, boolean fromSide, String id) {
        List<String[]> out = new ArrayList<>();
        for (Record r : ctx.select(text(SqlNames.FROM), text(SqlNames.TO)).from(joinTable(relation))
                .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                .and(text(fromSide ? SqlNames.FROM : SqlNames.TO).eq(id)).fetch()) {
            out.add(new String[]{r.get(0, String.class), r.get(1, String.class)});
        }
        return out;
    }

    /**
     * {@code n} values from the primary above the database high-water mark; the primary is raised first when it fell
     * behind (a restart, or commits that bypassed it), and the database counter serves when the primary fails.
     */
    private long fromPrimary(SequenceStore primary, int n, long highWater) {
        try {
            if (!primary.healthy()) {
                throw new IllegalStateException(primary.name() + " is unhealthy");
            }
            long last = primary.reserve(pendingNs, n);
            if (last - n < highWater) {
                primary.ensureAtLeast(pendingNs, highWater);
                last = primary.reserve(pendingNs, n);
                if (last - n < highWater) {
                    throw new IllegalStateException(primary.name() + " stays below the high-water mark " + highWater);
                }
            }
            return last;
        } catch (RuntimeException e) {
            log.warn("seq {}: {} failed, the database counter serves this commit: {}", pendingNs, primary.name(), e.getMessage());
            return highWater + n;
        }
    }

    /** A JDBC savepoint and how many changes were recorded when it was taken. */
    private record Mark(java.sql.Savepoint sp, int recorded, String ns) implements Savepoint {
    }

    @Override
    public Savepoint savepoint() {
        try {
            return new Mark(connection.setSavepoint(), pending.size(), pendingNs);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("database: savepoint failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void rollbackTo(Savepoint savepoint) {
        Mark m = (Mark) savepoint;
        try {
            connection.rollback(m.sp());
            connection.releaseSavepoint(m.sp());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("database: rollback to savepoint failed: " + e.getMessage(), e);
        }
        pending.subList(m.recorded(), pending.size()).clear();
        pendingNs = m.ns();
    }

    @Override
    public void recordChange(String ns, ChangeRow change) {
        if (pendingNs != null && !pendingNs.equals(ns)) {
            throw new IllegalStateException("one transaction records changes of one namespace, got " + pendingNs + " and " + ns);
        }
        pendingNs = ns;
        pending.add(change);
    }

    @Override
    public long currentSeq(String ns) {
        Long v = ctx.select(DSL.field(DSL.name("value"), Long.class)).from(DSL.table(DSL.name(SqlNames.SEQ)))
                .where(text("ns").eq(ns)).fetchOne(0, Long.class);
        return v == null ? 0 : v;
    }

    /** Every namespace's counter row, in namespace order (not part of {@code StoreTx}: it reads across namespaces). */
    List<io.datafn.store.NamespaceCounters.Counter> namespaceCounters(int limit) {
        org.jooq.Field<String> ns = text("ns");
        org.jooq.Field<Long> value = DSL.field(DSL.name("value"), Long.class);
        return ctx.select(ns, value).from(DSL.table(DSL.name(SqlNames.SEQ))).orderBy(ns).limit(limit)
                .fetch(r -> new io.datafn.store.NamespaceCounters.Counter(r.value1(), r.value2()));
    }

    @Override
    public long maxSeq(String ns, String resource) {
        Long v = ctx.select(DSL.max(DSL.field(DSL.name("seq"), Long.class))).from(DSL.table(DSL.name(SqlNames.CHANGES)))
                .where(text("ns").eq(ns)).and(text("resource").eq(resource)).fetchOne(0, Long.class);
        return v == null ? 0 : v;
    }

    private static final List<org.jooq.Field<?>> CHANGE_COLUMNS = List.of(DSL.field(DSL.name("seq"), Long.class),
            text("resource"), text("record_id"), text("op"), text("record"));

    private static ChangeRow change(Record r) {
        String rec = r.get(4, String.class);
        return new ChangeRow(r.get(0, Long.class), r.get(1, String.class), r.get(2, String.class), r.get(3, String.class),
                rec == null ? null : Json.parse(rec));
    }

    @Override
    public List<ChangeRow> changesSince(String ns, Map<String, Long> cursors, int limit) {
        if (cursors.isEmpty()) {
            return List.of();
        }
        List<Condition> streams = new ArrayList<>();
        cursors.forEach((res, cur) -> streams.add(text("resource").eq(res).and(DSL.field(DSL.name("seq"), Long.class).gt(cur))));
        List<ChangeRow> out = new ArrayList<>();
        for (Record r : ctx.select(CHANGE_COLUMNS).from(DSL.table(DSL.name(SqlNames.CHANGES)))
                .where(text("ns").eq(ns)).and(DSL.or(streams))
                .orderBy(DSL.field(DSL.name("seq"))).limit(limit).fetch()) {
            out.add(change(r));
        }
        return out;
    }

    @Override
    public List<ChangeRow> changesAfter(String ns, long cursor, int limit) {
        List<ChangeRow> out = new ArrayList<>();
        for (Record r : ctx.select(CHANGE_COLUMNS).from(DSL.table(DSL.name(SqlNames.CHANGES)))
                .where(text("ns").eq(ns)).and(DSL.field(DSL.name("seq"), Long.class).gt(cursor))
                .orderBy(DSL.field(DSL.name("seq"))).limit(limit).fetch()) {
            out.add(change(r));
        }
        return out;
    }

    @Override
    public void scan(String ns, Resource resource, String viewer, String afterId, int limit, Consumer<ObjectNode> sink) {
        Condition where = DSL.field(DSL.name(Columns.NS), String.class).eq(ns)
                .and(Conditions.visible(resource, SqlNames.table(resource), viewer));
        if (afterId != null) {
            where = where.and(text("id").gt(afterId));
        }
        var q = ctx.select(allColumns(resource)).from(table(resource)).where(where).orderBy(text("id"));
        // fetchLazy with a fetch size streams from a server-side cursor: memory stays flat for any table size
        try (Cursor<Record> cursor = (limit > 0 ? q.limit(limit) : q).fetchSize(500).fetchLazy()) {
            for (Record r : cursor) {
                sink.accept(row(resource, r));
            }
        }
    }

    @Override
    public void scanJoins(String ns, Relation relation, Consumer<ObjectNode> sink) {
        List<SelectField<?>> select = new ArrayList<>();
        select.add(text(SqlNames.FROM));
        select.add(text(SqlNames.TO));
        relation.metadata().forEach(m -> select.add(columns.column(m.name(), m.type())));
        try (Cursor<Record> cursor = ctx.select(select).from(joinTable(relation))
                .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                .orderBy(text(SqlNames.FROM), text(SqlNames.TO)).fetchSize(500).fetchLazy()) {
            for (Record r : cursor) {
                sink.accept(joinWire(relation, r));
            }
        }
    }

    /** A join row as the wire carries it: {@code {id: "<from>:<to>", from, to, ...metadata}}. */
    static ObjectNode joinWire(Relation relation, Record r) {
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
    public long count(String ns, Resource resource, String viewer) {
        return ctx.selectCount().from(table(resource)).where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                .and(Conditions.visible(resource, SqlNames.table(resource), viewer)).fetchOne(0, Long.class);
    }

    @Override
    public boolean deletedInLog(String ns, String resource, String id) {
        return ctx.fetchExists(ctx.selectOne().from(DSL.table(DSL.name(SqlNames.CHANGES)))
                .where(text("ns").eq(ns)).and(text("resource").eq(resource)).and(text("record_id").eq(id))
                .and(text("op").eq(ChangeRow.DELETE)));
    }

    @Override
    public Set<String> visible(String ns, Resource resource, String viewer, Collection<String> ids) {
        if (!resource.isPrivate() || ids.isEmpty()) {
            return resource.isPrivate() ? Set.of() : new HashSet<>(ids);
        }
        Set<String> out = new HashSet<>();
        for (List<String> chunk : chunks(new ArrayList<>(new HashSet<>(ids)))) {
            out.addAll(ctx.select(text("id")).from(table(resource))
                    .where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns)).and(text("id").in(chunk))
                    .and(Conditions.visible(resource, SqlNames.table(resource), viewer)).fetch(0, String.class));
        }
        return out;
    }

    private static List<List<String>> chunks(List<String> values) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i += 500) {
            out.add(values.subList(i, Math.min(values.size(), i + 500)));
        }
        return out;
    }

    private static final org.jooq.Table<?> GRANTS = DSL.table(DSL.name(SqlNames.GRANTS));

    @Override
    public void saveGrant(String ns, Grant g) {
        ctx.insertInto(GRANTS, text("ns"), text("resource"), text("record_id"), text("principal"), text("level"),
                        text("granted_by"), DSL.field(DSL.name("granted_at"), Long.class))
                .values(ns, g.resource(), g.recordId(), g.principal(), g.level(), g.grantedBy(), g.grantedAt())
                .onConflict(text("ns"), text("resource"), text("record_id"), text("principal"), text("granted_by"))
                .doUpdate().set(text("level"), DSL.excluded(DSL.field(DSL.name("level"), String.class)))
                .set(DSL.field(DSL.name("granted_at"), Long.class), DSL.excluded(DSL.field(DSL.name("granted_at"), Long.class)))
                .execute();
    }

    @Override
    public boolean deleteGrant(String ns, String resource, String recordId, String principal, String owner) {
        Condition where = text("ns").eq(ns).and(text("resource").eq(resource)).and(text("record_id").eq(recordId))
                .and(text("principal").eq(principal));
        if (recordId.isEmpty()) {
            where = where.and(text("granted_by").eq(owner));
        }
        return ctx.deleteFrom(GRANTS).where(where).execute() > 0;
    }

    @Override
    public List<Grant> grants(String ns, String resource, String recordId, String owner) {
        Condition scope = text("record_id").eq(recordId);
        if (owner != null) {
            scope = scope.or(text("record_id").eq("").and(text("granted_by").eq(owner)));
        }
        List<Grant> out = new ArrayList<>();
        for (Record r : ctx.select(text("resource"), text("record_id"), text("principal"), text("level"), text("granted_by"),
                        DSL.field(DSL.name("granted_at"), Long.class)).from(GRANTS)
                .where(text("ns").eq(ns)).and(text("resource").eq(resource)).and(scope)
                .orderBy(text("principal"), text("record_id").desc()).fetch()) {
            out.add(new Grant(r.get(0, String.class), r.get(1, String.class), r.get(2, String.class), r.get(3, String.class),
                    r.get(4, String.class), r.get(5, Long.class)));
        }
        return out;
    }

    private static final org.jooq.Table<?> QUARANTINE = DSL.table(DSL.name(SqlNames.QUARANTINE));
    private static final org.jooq.Field<Long> ATTEMPTS = DSL.field(DSL.name("attempts"), Long.class);

    @Override
    public int countAttempt(String ns, String clientId, String mutationId, Quarantined f) {
        // the mutation's idempotency key is locked by this transaction (idempotency()), so attempts are counted one
        // at a time per key
        var upsert = ctx.insertInto(QUARANTINE, text("ns"), text("client_id"), text("mutation_id"), text("payload"), text("code"),
                        text("message"), ATTEMPTS, DSL.field(DSL.name("quarantined"), Long.class),
                        DSL.field(DSL.name("first_seen"), Long.class), DSL.field(DSL.name("last_seen"), Long.class))
                .values(ns, clientId, mutationId, f.payload(), f.code(), f.message(), 1L, 0L, f.lastSeen(), f.lastSeen())
                .onConflict(text("ns"), text("client_id"), text("mutation_id"))
                .doUpdate().set(ATTEMPTS, DSL.field(DSL.name(SqlNames.QUARANTINE, "attempts"), Long.class).plus(1L))
                .set(text("payload"), DSL.excluded(DSL.field(DSL.name("payload"), String.class)))
                .set(text("code"), DSL.excluded(DSL.field(DSL.name("code"), String.class)))
                .set(text("message"), DSL.excluded(DSL.field(DSL.name("message"), String.class)))
                .set(DSL.field(DSL.name("last_seen"), Long.class), DSL.excluded(DSL.field(DSL.name("last_seen"), Long.class)));
        if (dialect.upsertReturning()) {
            return ctx.resultQuery("{0} returning {1}", upsert, ATTEMPTS).fetchOne(0, Long.class).intValue();
        }
        upsert.execute();
        return ctx.select(ATTEMPTS).from(QUARANTINE).where(quarantineKey(ns, clientId, mutationId)).fetchOne(ATTEMPTS).intValue();
    }

    private static Condition quarantineKey(String ns, String clientId, String mutationId) {
        Condition c = ns == null ? DSL.trueCondition() : text("ns").eq(ns);
        if (clientId != null) {
            c = c.and(text("client_id").eq(clientId));
        }
        if (mutationId != null) {
            c = c.and(text("mutation_id").eq(mutationId));
        }
        return c;
    }

    @Override
    public void quarantine(String ns, String clientId, String mutationId) {
        ctx.update(QUARANTINE).set(DSL.field(DSL.name("quarantined"), Long.class), 1L)
                .where(quarantineKey(ns, clientId, mutationId)).execute();
    }

    @Override
    public List<Quarantined> quarantined(String ns, int limit) {
        List<Quarantined> out = new ArrayList<>();
        for (Record r : ctx.select(text("ns"), text("client_id"), text("mutation_id"), text("payload"), text("code"),
                        text("message"), ATTEMPTS, DSL.field(DSL.name("first_seen"), Long.class),
                        DSL.field(DSL.name("last_seen"), Long.class)).from(QUARANTINE)
                .where(quarantineKey(ns, null, null)).and(DSL.field(DSL.name("quarantined"), Long.class).eq(1L))
                .orderBy(DSL.field(DSL.name("last_seen")), text("ns"), text("client_id"), text("mutation_id"))
                .limit(limit).fetch()) {
            out.add(new Quarantined(r.get(0, String.class), r.get(1, String.class), r.get(2, String.class),
                    r.get(3, String.class), r.get(4, String.class), r.get(5, String.class), r.get(6, Long.class).intValue(),
                    r.get(7, Long.class), r.get(8, Long.class)));
        }
        return out;
    }

    @Override
    public int clearQuarantine(String ns, String clientId, String mutationId) {
        return ctx.deleteFrom(QUARANTINE).where(quarantineKey(ns, clientId, mutationId)).execute();
    }

    @Override
    public long countJoins(String ns, Relation relation) {
        return ctx.selectCount().from(joinTable(relation)).where(DSL.field(DSL.name(Columns.NS), String.class).eq(ns))
                .fetchOne(0, Long.class);
    }

    @Override
    public ObjectNode read(String ns, Resource resource, String id) {
        Record r = ctx.select(allColumns(resource)).from(table(resource)).where(key(ns, id)).fetchOne();
        return r == null ? null : row(resource, r);
    }

    /** {@code id} and every field column of a resource, in schema order. */
    private List<SelectField<?>> allColumns(Resource resource) {
        List<SelectField<?>> select = new ArrayList<>();
        select.add(text("id"));
        for (Field f : resource.fields()) {
            select.add(columns.column(f.name(), f.type()));
        }
        return select;
    }

    /** A record read with {@link #allColumns}, in wire form (which is also its storage form). */
    private static ObjectNode row(Resource resource, Record r) {
        ObjectNode out = Json.object();
        out.put("id", r.get(0, String.class));
        int i = 1;
        for (Field f : resource.fields()) {
            Object v = r.get(i++);
            out.set(f.name(), Columns.toWire(f.type(), v));
        }
        return out;
    }

    @Override
    public boolean markSeeded(String ns, long atMillis) {
        return ctx.insertInto(DSL.table(DSL.name(SqlNames.SEED)), text("ns"), DSL.field(DSL.name("created_at"), Long.class))
                .values(ns, atMillis).onConflictDoNothing().execute() > 0;
    }

    long[] prune(long changesBefore, long idempotencyBefore) {
        org.jooq.Field<Long> createdAt = DSL.field(DSL.name("created_at"), Long.class);
        long changes = changesBefore <= 0 ? 0
                : ctx.deleteFrom(DSL.table(DSL.name(SqlNames.CHANGES))).where(createdAt.lt(changesBefore)).execute();
        long idem = idempotencyBefore <= 0 ? 0
                : ctx.deleteFrom(DSL.table(DSL.name(SqlNames.IDEMPOTENCY))).where(createdAt.lt(idempotencyBefore)).execute();
        if (idempotencyBefore > 0) {
            // key locks (dialects without advisory locks) live as long as the idempotency records they guard
            ctx.deleteFrom(DSL.table(DSL.name(SqlNames.LOCKS))).where(createdAt.lt(idempotencyBefore)).execute();
        }
        return new long[]{changes, idem};
    }

    private static Condition idemKey(String ns, String clientId, String mutationId) {
        return text("ns").eq(ns).and(text("client_id").eq(clientId)).and(text("mutation_id").eq(mutationId));
    }

    @Override
    public StoredMutation idempotency(String ns, String clientId, String mutationId) {
        // A second request with the same key waits here until the first one's transaction ends, then reads its record
        // (READ COMMITTED: the next statement sees it). Without the wait it would run the mutation again and fail on
        // the first one's row (an insert's "Record already exists") instead of answering deduped.
        // (The lock and the read must be two statements: at READ COMMITTED a statement reads the snapshot taken when it
        // started, before it waited for the lock.)
        dialect.lockKey(ctx, "idempotency:" + ns.length() + ":" + ns + clientId.length() + ":" + clientId + mutationId);
        Record r = ctx.select(text("payload"), text("result")).from(DSL.table(DSL.name(SqlNames.IDEMPOTENCY)))
                .where(idemKey(ns, clientId, mutationId)).fetchOne();
        return r == null ? null : new StoredMutation(r.get(0, String.class), Json.parse(r.get(1, String.class)));
    }

    @Override
    public void saveIdempotency(String ns, String clientId, String mutationId, StoredMutation stored) {
        // the key is locked by idempotency() for this transaction, so an upsert cannot overwrite a concurrent request's
        // record: that request waits for this one and then reads what it stored
        ctx.insertInto(DSL.table(DSL.name(SqlNames.IDEMPOTENCY)), text("ns"), text("client_id"), text("mutation_id"),
                        text("payload"), text("result"), DSL.field(DSL.name("created_at"), Long.class))
                .values(ns, clientId, mutationId, stored.payload(), Json.text(stored.result()), System.currentTimeMillis())
                .onConflict(text("ns"), text("client_id"), text("mutation_id"))
                .doUpdate().set(text("payload"), DSL.excluded(DSL.field(DSL.name("payload"), String.class)))
                .set(text("result"), DSL.excluded(DSL.field(DSL.name("result"), String.class)))
                .set(DSL.field(DSL.name("created_at"), Long.class), DSL.excluded(DSL.field(DSL.name("created_at"), Long.class)))
                .execute();
    }
}
