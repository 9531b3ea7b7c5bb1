package io.datafn.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.schema.Resource;
import io.datafn.store.ChangeRow;
import io.datafn.store.NamespaceCounters;
import io.datafn.store.SequenceStore;
import io.datafn.store.Store;
import io.datafn.store.Written;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store's units of work: commit and rollback, seqs allocated at commit, commit listeners, shutdown. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class JdbcStoreTest {
    @Parameter
    TestDatabase db;

    String url;
    JdbcStore store;
    Resource goal;

    @BeforeEach
    void open() {
        url = db.freshUrl();
        store = JdbcStore.open(url, null, null, 2);
        store.migrate(StoreFixture.SCHEMA);
        goal = StoreFixture.SCHEMA.resource("goal");
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** Inserts goals and records an insert change for each. */
    private Written<Void> insertGoals(String ns, String... ids) {
        return store.writeTracked(ns, tx -> {
            for (String id : ids) {
                ObjectNode r = Json.object().put("id", id).put("label", id);
                tx.records().insert(goal, r);
                tx.changes().record(new ChangeRow(0, "goal", id, ChangeRow.INSERT, r));
            }
            return null;
        });
    }

    private static List<Long> seqs(Written<?> w) {
        List<Long> out = new ArrayList<>();
        w.changes().forEach(c -> out.add(c.seq()));
        return out;
    }

    @Test
    void committedCounters_areEveryNamespacesCommittedValue_neverOneOfATransactionStillOpen() throws Exception {
        insertGoals("a", "g1", "g2");
        insertGoals("b", "g1");
        assertThat(store.committedCounters())
                .containsExactlyInAnyOrder(new NamespaceCounters.Counter("a", 2), new NamespaceCounters.Counter("b", 1));
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.executeUpdate("UPDATE datafn_seq SET value = 99 WHERE ns = 'a'"); // raised, not committed
            assertThat(store.committedCounters()).contains(new NamespaceCounters.Counter("a", 2));
            c.commit();
        }
        assertThat(store.committedCounters()).contains(new NamespaceCounters.Counter("a", 99));
    }

    @Test
    void committedCounters_ofADatabaseNotMigratedYet_areNone() throws Exception {
        try (JdbcStore fresh = JdbcStore.open(db.freshUrl(), null, null, 1)) {
            assertThat(fresh.committedCounters()).isEmpty();
        }
    }

    @Test
    void seqs_areConsecutivePerNamespace_inRecordingOrder() {
        Written<Void> w = insertGoals("a", "g1", "g2", "g3");
        assertThat(w.namespace()).isEqualTo("a");
        assertThat(seqs(w)).containsExactly(1L, 2L, 3L);
        assertThat(w.changes()).extracting(ChangeRow::recordId).containsExactly("g1", "g2", "g3");
        assertThat(seqs(insertGoals("b", "g1"))).containsExactly(1L);
        assertThat(seqs(insertGoals("a", "g4"))).containsExactly(4L);
        long current = store.read("a", tx -> tx.changes().currentSeq());
        assertThat(current).isEqualTo(4);
        List<ChangeRow> log = store.read("a", tx -> tx.changes().after(0, 10));
        assertThat(log).extracting(ChangeRow::seq).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aFailingUnitOfWork_leavesNothing_andTakesNoSeq() {
        assertThatThrownBy(() -> store.write("a", tx -> {
            tx.records().insert(goal, Json.object().put("id", "g1").put("label", "x"));
            tx.changes().record(new ChangeRow(0, "goal", "g1", ChangeRow.INSERT, Json.object()));
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        Object row = store.read("a", tx -> tx.records().read(goal, "g1"));
        assertThat(row).isNull();
        assertThat(seqs(insertGoals("a", "g2"))).containsExactly(1L);
    }

    /**
     * An Error (OutOfMemoryError, StackOverflowError) inside a unit of work rolls it back like an exception: the
     * connection goes back to the pool out of any transaction (SQLite's explicit BEGIN would otherwise stay open and
     * the next unit on that connection fail with "cannot start a transaction within a transaction").
     */
    @Test
    void anErrorInsideAUnitOfWork_rollsItBack_andEveryConnectionStaysUsable() {
        for (int i = 0; i < 3; i++) {
            String id = "g" + i;
            assertThatThrownBy(() -> store.write("a", tx -> {
                ObjectNode r = Json.object().put("id", id).put("label", id);
                tx.records().insert(goal, r);
                tx.changes().record(new ChangeRow(0, "goal", id, ChangeRow.INSERT, r));
                throw new OutOfMemoryError("simulated");
            })).isInstanceOf(OutOfMemoryError.class);
            // the reader pool has two connections: fail on more units than it has
            assertThatThrownBy(() -> store.read("a", tx -> {
                tx.records().read(goal, id);
                throw new StackOverflowError("simulated");
            })).isInstanceOf(StackOverflowError.class);
        }
        Object rolledBack = store.read("a", tx -> tx.records().read(goal, "g0"));
        assertThat(rolledBack).isNull();
        long seq = store.read("a", tx -> tx.changes().currentSeq());
        assertThat(seq).isZero();
        assertThat(seqs(insertGoals("a", "g1"))).containsExactly(1L);
        for (int i = 0; i < 4; i++) {
            Object row = store.read("a", tx -> tx.records().read(goal, "g1"));
            assertThat(row).isNotNull();
        }
    }

    @Test
    void commitListeners_hearWritesWithChangesOnly_andCannotBreakThem() {
        List<Long> heard = new ArrayList<>();
        store.onCommit(w -> heard.add(w.maxSeq()));
        store.onCommit(w -> {
            throw new IllegalStateException("a broken listener");
        });
        insertGoals("a", "g1", "g2");
        store.write("a", tx -> tx.records().read(goal, "g1"));   // no changes: nobody is told
        insertGoals("a", "g3");
        assertThat(heard).containsExactly(2L, 3L);
    }

    @Test
    void aPrimarySequenceStore_givesTheValues_andTheDatabaseServesWhenItFails() {
        Counter primary = new Counter();
        store.close();
        store = JdbcStore.at(url).poolSize(2).sequences(primary).open();
        store.migrate(StoreFixture.SCHEMA);
        primary.values.put("a", 100L);                  // above the database's high-water mark: used as it is
        assertThat(seqs(insertGoals("a", "g1", "g2"))).containsExactly(101L, 102L);
        primary.down = true;
        assertThat(seqs(insertGoals("a", "g3"))).containsExactly(103L);   // the database counter kept the mark
        primary.down = false;
        primary.values.put("a", 0L);                    // lost its value: raised to the mark before use
        assertThat(seqs(insertGoals("a", "g4"))).containsExactly(104L);
        assertThat(primary.values.get("a")).isEqualTo(104L);
    }

    @Test
    void prune_deletesOldChangeRows() {
        insertGoals("a", "g1", "g2");
        Store.Pruned deleted = store.prune(System.currentTimeMillis() + 60_000, 0);
        assertThat(deleted).isEqualTo(new Store.Pruned(2, 0));
        List<ChangeRow> left = store.read("a", tx -> tx.changes().after(0, 10));
        assertThat(left).isEmpty();
        assertThat(seqs(insertGoals("a", "g3"))).containsExactly(3L);   // the counter is not the log
    }

    @Test
    void afterClose_unitsOfWorkAre503_andTheStoreIsUnhealthy() {
        assertThat(store.healthy()).isTrue();
        store.close();
        assertThat(store.healthy()).isFalse();
        assertThatThrownBy(() -> store.read("a", tx -> null)).isInstanceOfSatisfying(DatafnException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.SERVICE_UNAVAILABLE));
    }

    @Test
    void open_refusesBadPoolSizesAndUnknownDatabases() {
        assertThatThrownBy(() -> JdbcStore.open("jdbc:sqlite:x.db", null, null, 0)).hasMessageContaining("1..200");
        assertThatThrownBy(() -> JdbcStore.open("jdbc:h2:mem:x")).isInstanceOf(IllegalArgumentException.class);
        // an unreachable database (IllegalStateException "database: cannot connect ...") takes seconds to find out:
        // StandaloneServerTest.unreachableDatabase_exitsWithFour covers it
    }

    /**
     * A write announced as larger than a group's share ({@code writeTracked(ns, mutations, work)} with more than
     * {@link JdbcStore#GROUPED_UP_TO}, as a push of a large batch) runs in its own transaction, beside the others of its
     * namespace, and still gets its seqs in one gap-free run; on SQLite, one writer at a time, it still joins a group.
     */
    @Test
    void largeWrites_runInTransactionsOfTheirOwn_withGapFreeSeqs() throws Exception {
        int writers = 4;
        int perWriter = 5;
        int size = JdbcStore.GROUPED_UP_TO + 1;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        List<java.util.concurrent.Future<List<Written<Void>>>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            futures.add(pool.submit(() -> {
                List<Written<Void>> out = new ArrayList<>();
                for (int i = 0; i < perWriter; i++) {
                    String prefix = "w" + writer + "-" + i + "-";
                    out.add(store.writeTracked("a", size, tx -> {
                        for (int k = 0; k < size; k++) {
                            ObjectNode r = Json.object().put("id", prefix + k).put("label", "x");
                            tx.records().insert(goal, r);
                            tx.changes().record(new ChangeRow(0, "goal", prefix + k, ChangeRow.INSERT, r));
                        }
                        return null;
                    }));
                }
                return out;
            }));
        }
        List<Long> all = new ArrayList<>();
        for (var f : futures) {
            for (Written<Void> w : f.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                List<Long> seqs = seqs(w);
                assertThat(seqs).hasSize(size);
                assertThat(seqs.get(size - 1) - seqs.get(0)).isEqualTo(size - 1);
                all.addAll(seqs);
            }
        }
        pool.shutdown();
        assertThat(all.stream().sorted().toList())
                .isEqualTo(java.util.stream.LongStream.rangeClosed(1, (long) writers * perWriter * size).boxed().toList());
        if (db != TestDatabase.SQLITE) {
            assertThat(store.groupedWrites()).as("writes that shared a commit").isZero();
        }
        long rows = store.read("a", tx -> tx.records().count(goal, null));
        assertThat(rows).isEqualTo((long) writers * perWriter * size);
    }

    /**
     * Group commit: concurrent writes of one namespace (and of several) each get their own changes with their own seqs,
     * the seqs of a namespace are 1..n without gaps or repeats, every acknowledged write is there, and a write that
     * fails inside a group (a unique clash, an exception) is answered on its own while the others commit.
     */
    @Test
    void concurrentWrites_groupCommit_eachAnsweredWithItsOwnSeqs_andFailuresStayTheirOwn() throws Exception {
        int writers = 16;
        int perWriter = 25;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(writers);
        List<java.util.concurrent.Future<List<Written<?>>>> futures = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger failedAsAsked = new java.util.concurrent.atomic.AtomicInteger();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            futures.add(pool.submit(() -> {
                List<Written<?>> out = new ArrayList<>();
                for (int i = 0; i < perWriter; i++) {
                    String ns = i % 5 == 0 ? "b" : "a";
                    out.add(insertGoals(ns, "w" + writer + "-" + i, "w" + writer + "-" + i + "x"));
                    try {
                        store.write(ns, tx -> {
                            tx.records().insert(goal, Json.object().put("id", "doomed" + writer).put("label", "x"));
                            tx.changes().record(new ChangeRow(0, "goal", "doomed" + writer, ChangeRow.INSERT, Json.object()));
                            throw new IllegalStateException("asked to fail");
                        });
                    } catch (IllegalStateException e) {
                        failedAsAsked.incrementAndGet();
                    }
                }
                return out;
            }));
        }
        Map<String, List<Long>> seqsByNs = new java.util.TreeMap<>();
        for (var f : futures) {
            for (Written<?> w : f.get(60, java.util.concurrent.TimeUnit.SECONDS)) {
                assertThat(w.changes()).hasSize(2);
                assertThat(w.changes().get(1).seq()).isEqualTo(w.changes().get(0).seq() + 1);
                assertThat(w.changes().get(1).recordId()).isEqualTo(w.changes().get(0).recordId() + "x");
                seqsByNs.computeIfAbsent(w.namespace(), k -> new ArrayList<>()).addAll(seqs(w));
            }
        }
        pool.shutdown();
        assertThat(failedAsAsked.get()).isEqualTo(writers * perWriter);
        assertThat(store.groupedWrites()).as("writes that shared a commit").isPositive();
        for (var e : seqsByNs.entrySet()) {
            List<Long> sorted = e.getValue().stream().sorted().toList();
            List<Long> expected = java.util.stream.LongStream.rangeClosed(1, sorted.size()).boxed().toList();
            assertThat(sorted).as("seqs of " + e.getKey()).isEqualTo(expected);
            List<ChangeRow> log = store.read(e.getKey(), tx -> tx.changes().after(0, 10_000));
            assertThat(log).extracting(ChangeRow::seq).isEqualTo(expected);
            long rows = store.read(e.getKey(), tx -> tx.records().count(goal, null));
            assertThat(rows).isEqualTo(sorted.size());
        }
        assertThat(seqsByNs.get("a")).hasSize(writers * perWriter * 2 * 4 / 5);
        ObjectNode doomed = store.read("a", tx -> tx.records().read(goal, "doomed0"));
        assertThat(doomed).isNull();
    }

    /** A primary sequence store in memory that can be made to fail. */
    static final class Counter implements SequenceStore {
        final Map<String, Long> values = new ConcurrentHashMap<>();
        volatile boolean down;

        private void check() {
            if (down) {
                throw new IllegalStateException("down");
            }
        }

        @Override
        public long reserve(String namespace, int count) {
            check();
            return values.merge(namespace, (long) count, Long::sum);
        }

        @Override
        public long current(String namespace) {
            return values.getOrDefault(namespace, 0L);
        }

        @Override
        public void ensureAtLeast(String namespace, long value) {
            check();
            values.merge(namespace, value, Math::max);
        }

        @Override
        public boolean healthy() {
            return !down;
        }

        @Override
        public String name() {
            return "counter";
        }
    }
}
