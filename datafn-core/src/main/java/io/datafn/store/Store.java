package io.datafn.store;

import io.datafn.schema.Schema;

import java.util.List;
import java.util.function.Consumer;

/**
 * The storage SPI: one transaction API over the database. Services run their work inside {@link #write},
 * {@link #read} or {@link #stream}, each bound to one namespace; everything the work does through its
 * {@link StoreTx} commits together or not at all. Implementations: {@code io.datafn.jdbc.JdbcStore} (PostgreSQL,
 * MariaDB/MySQL, SQLite). Where serverSeq values come from ({@link SequenceStore}) is the implementation's
 * construction-time choice.
 */
public interface Store extends AutoCloseable {

    /** Work run inside one database transaction. {@link #write} and {@link #read} may run it again on a retry. */
    @FunctionalInterface
    interface Work<T> {
        T run(StoreTx tx);
    }

    /**
     * Creates or migrates the tables of {@code schema}: new resources and new nullable columns are added, anything
     * destructive is refused with a {@link io.datafn.schema.SchemaException} that names it.
     */
    void migrate(Schema schema);

    /**
     * Runs {@code work} in a read-write transaction of namespace {@code ns}. Row locks taken by the work are held until
     * commit. On a serialization failure or deadlock the work is run again (a few times) before the error reaches the
     * caller, so the work must not have effects outside the transaction.
     */
    default <T> T write(String ns, Work<T> work) {
        return writeTracked(ns, work).value();
    }

    /**
     * Like {@link #write}, and reports the change rows the work recorded ({@link StoreTx.Changes#record}) with the seqs
     * they received. Seqs are allocated at commit under the namespace's counter lock, so a change becomes visible only
     * after every lower seq of its namespace has committed (PROTOCOL.md "No lost changes").
     */
    <T> Written<T> writeTracked(String ns, Work<T> work);

    /**
     * Like {@link #writeTracked}, for work of about {@code mutations} mutations (a push's batch): a store that commits
     * concurrent small writes together may run large work in a transaction of its own, so that large writes of one
     * namespace keep running side by side instead of queueing behind each other's groups.
     */
    default <T> Written<T> writeTracked(String ns, int mutations, Work<T> work) {
        return writeTracked(ns, work);
    }

    /** Registers a listener told about every committed write that recorded changes (e.g. the WebSocket hub). */
    void onCommit(Consumer<Written<?>> listener);

    /**
     * Runs {@code work} in a read-only transaction of namespace {@code ns} (one consistent snapshot where the database
     * offers one); it may be run again after a lost connection.
     */
    <T> T read(String ns, Work<T> work);

    /**
     * Like {@link #read}, for work that issues a single statement (a query without {@code count} or related data,
     * {@link io.datafn.query.Query#singleStatement}): one statement reads one snapshot by itself, so a store may run it
     * outside a transaction and save the round trips of beginning and ending one. A store that does so refuses a
     * second statement of the work (an {@link IllegalStateException}: the caller's promise was wrong).
     */
    default <T> T readSingle(String ns, Work<T> work) {
        return read(ns, work);
    }

    /**
     * Like {@link #read}, but runs {@code work} once whatever happens: for work that sends what it reads as it goes
     * (a streamed clone), which must never send the same bytes twice.
     */
    <T> T stream(String ns, Work<T> work);

    /**
     * Deletes change rows recorded before {@code changesBefore} and idempotency records stored before
     * {@code idempotencyBefore} (epoch milliseconds; 0 keeps everything), in every namespace.
     */
    Pruned prune(long changesBefore, long idempotencyBefore);

    /** What {@link #prune} deleted. */
    record Pruned(long changes, long idempotencyRecords) {
    }

    /** The pushed mutations given up ({@link StoreTx.Keys#quarantine}), oldest first; {@code ns} null for all namespaces. */
    List<StoreTx.Quarantined> quarantined(String ns, int limit);

    /**
     * Forgets given-up mutations: one ({@code clientId} and {@code mutationId}), a client's, a namespace's or all
     * ({@code null}s); returns how many.
     */
    int clearQuarantine(String ns, String clientId, String mutationId);

    /** True when the database answers. */
    boolean healthy();

    /** A short description for start-up logs, e.g. {@code postgresql 127.0.0.1:5432/test}. */
    String describe();

    @Override
    void close();
}
