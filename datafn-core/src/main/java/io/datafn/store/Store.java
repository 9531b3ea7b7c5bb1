package io.datafn.store;

import io.datafn.schema.Schema;

/**
 * The storage SPI: one transaction API over the database. Services run their work inside {@link #write} or
 * {@link #read}; everything the work does through its {@link StoreTx} commits together or not at all.
 * Implementations: {@code io.datafn.jdbc.JdbcStore} (PostgreSQL, SQLite).
 */
public interface Store extends AutoCloseable {

    /** Work run inside one database transaction. It may be run again when the database asks for a retry. */
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
     * Runs {@code work} in a read-write transaction. Row locks taken by the work are held until commit. On a
     * serialization failure or deadlock the work is run again (a few times) before the error reaches the caller.
     */
    default <T> T write(Work<T> work) {
        return writeTracked(work).value();
    }

    /**
     * Like {@link #write}, and reports the change rows the work recorded ({@link StoreTx#recordChange}) with the seqs
     * they received. Seqs are allocated at commit under the namespace's counter lock, so a change becomes visible only
     * after every lower seq of its namespace has committed (PROTOCOL.md "No lost changes").
     */
    <T> Written<T> writeTracked(Work<T> work);

    /** Registers a listener told about every committed write that recorded changes (e.g. the WebSocket hub). */
    void onCommit(java.util.function.Consumer<Written<?>> listener);

    /** Runs {@code work} in a read-only transaction (one consistent snapshot where the database offers one). */
    <T> T read(Work<T> work);

    /**
     * Deletes change rows recorded before {@code changesBefore} and idempotency records stored before
     * {@code idempotencyBefore} (epoch milliseconds; 0 keeps everything), in every namespace.
     *
     * @return the number of change rows and of idempotency records deleted
     */
    long[] prune(long changesBefore, long idempotencyBefore);

    /**
     * Takes serverSeq values from {@code primary} instead of the database counter; the database counter stays the
     * high-water mark and the fallback while the primary fails (see {@link SequenceStore}). Null restores the default.
     */
    void sequences(SequenceStore primary);

    /** True when the database answers. */
    boolean healthy();

    /** A short description for start-up logs, e.g. {@code postgresql 127.0.0.1:5432/test}. */
    String describe();

    @Override
    void close();
}
