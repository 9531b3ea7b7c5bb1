package io.datafn.jdbc;

import io.datafn.json.Json;
import io.datafn.store.StoreTx;
import io.datafn.store.StoreTx.Quarantined;
import io.datafn.store.StoreTx.StoredMutation;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Table;
import org.jooq.impl.DSL;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static io.datafn.jdbc.TxScope.number;
import static io.datafn.jdbc.TxScope.text;

/**
 * {@link StoreTx.Keys} of one transaction: idempotency records ({@code datafn_idempotency}) and push attempts
 * ({@code datafn_quarantine}); the statements an operator runs over every namespace are here too.
 */
final class JdbcKeys implements StoreTx.Keys {
    private static final Table<?> IDEMPOTENCY = TxScope.table(SqlNames.IDEMPOTENCY);
    private static final Table<?> QUARANTINE = TxScope.table(SqlNames.QUARANTINE);
    private static final org.jooq.Field<Long> ATTEMPTS = number("attempts");

    private final TxScope s;
    private final Statements statements;

    JdbcKeys(TxScope scope, Statements statements) {
        this.s = scope;
        this.statements = statements;
    }

    private Condition idemKey(String clientId, String mutationId) {
        return s.inNsInternal().and(text("client_id").eq(clientId)).and(text("mutation_id").eq(mutationId));
    }

    /**
     * Keys {@link #claimAll} claimed in this transaction and their stored records (null: none); forgotten when the
     * transaction rolls back to a savepoint, which may undo a claim or a save.
     */
    private final Map<StoreTx.Key, StoredMutation> claimed = new HashMap<>();

    /** Forgets what {@link #claimAll} read (a rollback to a savepoint). */
    void forgetClaims() {
        claimed.clear();
    }

    @Override
    public void claimAll(Collection<StoreTx.Key> keys) {
        // claimed as claim() claims one key, by inserting the rows, in key order: two pushes with overlapping keys take
        // them in the same order, so the later one waits for the earlier one's end instead of deadlocking with it
        List<StoreTx.Key> sorted = new ArrayList<>(new TreeSet<>(keys));
        if (sorted.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        int chunk = DeferredWrites.MAX_ROW_BINDS / 6;
        int inserted = 0;
        for (int from = 0; from < sorted.size(); from += chunk) {
            int n = Math.min(chunk, sorted.size() - from);
            String sql = statements.rendered(List.of("claim-keys", n), 6 * n, () -> {
                var insert = s.ctx().insertInto(IDEMPOTENCY, text("ns"), text("client_id"), text("mutation_id"),
                        text("payload"), text("result"), number("created_at"));
                for (int i = 0; i < n; i++) {
                    insert = insert.values("", "", "", "", "", 0L);
                }
                return insert.onConflictDoNothing();
            });
            Object[] binds = new Object[6 * n];
            for (int i = 0; i < n; i++) {
                StoreTx.Key k = sorted.get(from + i);
                System.arraycopy(new Object[]{s.ns(), k.clientId(), k.mutationId(), "", "", now}, 0, binds, 6 * i, 6);
            }
            inserted += statements.update(sql, binds);
        }
        for (StoreTx.Key k : sorted) {
            claimed.put(k, null);
        }
        if (inserted == sorted.size()) {
            return; // every key is new
        }
        // some keys were there: one read of the records of them all (READ COMMITTED: a new statement sees what a
        // transaction this one waited for committed); a row claimed but never saved holds no record
        Set<String> clients = new HashSet<>();
        Set<String> ids = new HashSet<>();
        for (StoreTx.Key k : sorted) {
            clients.add(k.clientId());
            ids.add(k.mutationId());
        }
        for (Record r : s.ctx().select(text("client_id"), text("mutation_id"), text("payload"), text("result"))
                .from(IDEMPOTENCY).where(s.inNsInternal()).and(text("client_id").in(clients))
                .and(text("mutation_id").in(ids)).fetch()) {
            StoreTx.Key k = new StoreTx.Key(r.get(0, String.class), r.get(1, String.class));
            String result = r.get(3, String.class);
            if (claimed.containsKey(k) && result != null && !result.isEmpty()) {
                claimed.put(k, new StoredMutation(r.get(2, String.class), Json.parse(result)));
            }
        }
    }

    @Override
    public StoredMutation claim(String clientId, String mutationId) {
        StoreTx.Key key = new StoreTx.Key(clientId, mutationId);
        if (claimed.containsKey(key)) {
            return claimed.get(key);
        }
        // The key is claimed by inserting its row (no answer yet). A second transaction claiming the same key waits on
        // the primary key until the first one ends: after a commit its insert does nothing and the next statement
        // reads what the first stored (READ COMMITTED: a new statement sees it); after a rollback its insert claims.
        // Without the wait it would run the mutation again and fail on the first one's row (an insert's "Record
        // already exists") instead of answering deduped.
        // (The claimed row's payload and result are empty until save(); nobody else ever reads them so.)
        String claim = statements.rendered("claim-key", 6, () -> s.ctx().insertInto(IDEMPOTENCY, text("ns"),
                        text("client_id"), text("mutation_id"), text("payload"), text("result"), number("created_at"))
                .values("", "", "", "", "", 0L).onConflictDoNothing());
        int claimed = statements.update(claim, s.ns(), clientId, mutationId, "", "", System.currentTimeMillis());
        if (claimed == 1) {
            return null;
        }
        Record r = s.ctx().select(text("payload"), text("result")).from(IDEMPOTENCY).where(idemKey(clientId, mutationId))
                .fetchOne();
        String result = r == null ? null : r.get(1, String.class);
        return result == null || result.isEmpty() ? null : new StoredMutation(r.get(0, String.class), Json.parse(result));
    }

    @Override
    public void save(String clientId, String mutationId, StoredMutation stored) {
        // the key's row was inserted by claim() in this transaction, which holds it until the end: no concurrent
        // request can store in between; a row claimed under a savepoint that was rolled back is inserted again
        String result = Json.text(stored.result());
        long now = System.currentTimeMillis();
        String update = statements.rendered("save-key", 6, () -> s.ctx().update(IDEMPOTENCY).set(text("payload"), "")
                .set(text("result"), "").set(number("created_at"), 0L)
                .where(text("ns").eq("")).and(text("client_id").eq("")).and(text("mutation_id").eq("")));
        StoreTx.Key key = new StoreTx.Key(clientId, mutationId);
        if (claimed.containsKey(key)) {
            claimed.put(key, stored);
        }
        Object[] binds = {stored.payload(), result, now, s.ns(), clientId, mutationId};
        if (statements.deferred().on()) {
            // the key was claimed in this transaction (no savepoint while deferring): its row is there to update
            statements.deferred().update(update, binds);
            return;
        }
        int n = statements.update(update, binds);
        if (n == 0) {
            s.ctx().insertInto(IDEMPOTENCY, text("ns"), text("client_id"), text("mutation_id"), text("payload"),
                    text("result"), number("created_at")).values(s.ns(), clientId, mutationId, stored.payload(), result, now)
                    .execute();
        }
    }

    @Override
    public int countAttempt(String clientId, String mutationId, Quarantined f) {
        // the mutation's idempotency key is claimed by this transaction, so attempts are counted one at a time per key
        var upsert = s.ctx().insertInto(QUARANTINE, text("ns"), text("client_id"), text("mutation_id"), text("payload"),
                        text("code"), text("message"), ATTEMPTS, number("quarantined"), number("first_seen"),
                        number("last_seen"))
                .values(s.ns(), clientId, mutationId, f.payload(), f.code(), f.message(), 1L, 0L, f.lastSeen(), f.lastSeen())
                .onConflict(text("ns"), text("client_id"), text("mutation_id"))
                .doUpdate().set(ATTEMPTS, DSL.field(DSL.name(SqlNames.QUARANTINE, "attempts"), Long.class).plus(1L))
                .set(text("payload"), DSL.excluded(text("payload")))
                .set(text("code"), DSL.excluded(text("code")))
                .set(text("message"), DSL.excluded(text("message")))
                .set(number("last_seen"), DSL.excluded(number("last_seen")));
        if (s.dialect().upsertReturning()) {
            return s.ctx().resultQuery("{0} returning {1}", upsert, ATTEMPTS).fetchOne(0, Long.class).intValue();
        }
        upsert.execute();
        return s.ctx().select(ATTEMPTS).from(QUARANTINE).where(quarantineKey(s.ns(), clientId, mutationId))
                .fetchOne(ATTEMPTS).intValue();
    }

    @Override
    public void quarantine(String clientId, String mutationId) {
        s.ctx().update(QUARANTINE).set(number("quarantined"), 1L).where(quarantineKey(s.ns(), clientId, mutationId)).execute();
    }

    /** The key of quarantine rows; each null part matches every value. */
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

    /** {@link io.datafn.store.Store#quarantined}. */
    static List<Quarantined> quarantined(DSLContext ctx, String ns, int limit) {
        List<Quarantined> out = new ArrayList<>();
        for (Record r : ctx.select(text("ns"), text("client_id"), text("mutation_id"), text("payload"), text("code"),
                        text("message"), ATTEMPTS, number("first_seen"), number("last_seen")).from(QUARANTINE)
                .where(quarantineKey(ns, null, null)).and(number("quarantined").eq(1L))
                .orderBy(number("last_seen"), text("ns"), text("client_id"), text("mutation_id"))
                .limit(limit).fetch()) {
            out.add(new Quarantined(r.get(0, String.class), r.get(1, String.class), r.get(2, String.class),
                    r.get(3, String.class), r.get(4, String.class), r.get(5, String.class), r.get(6, Long.class).intValue(),
                    r.get(7, Long.class), r.get(8, Long.class)));
        }
        return out;
    }

    /** {@link io.datafn.store.Store#clearQuarantine}. */
    static int clearQuarantine(DSLContext ctx, String ns, String clientId, String mutationId) {
        return ctx.deleteFrom(QUARANTINE).where(quarantineKey(ns, clientId, mutationId)).execute();
    }

    /** Deletes idempotency records stored before {@code before}. */
    static long prune(DSLContext ctx, long before) {
        return ctx.deleteFrom(IDEMPOTENCY).where(number("created_at").lt(before)).execute();
    }
}
