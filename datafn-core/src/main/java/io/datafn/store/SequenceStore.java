package io.datafn.store;

/**
 * Where serverSeq values come from (PROTOCOL.md "Sequence stores"): the database counter (the default, built into the
 * store) or an external atomic counter such as Redis ({@code INCRBY serverSeq:<ns>}) or a KV store.
 *
 * <p>The store calls {@link #reserve} while it holds the namespace's counter row lock in the committing transaction,
 * so seqs still become visible in order; the database row keeps the high-water mark, so a primary that lost its
 * value (a Redis restart) or that was bypassed while it was down is raised before it is used again and never repeats a
 * seq. When the primary fails, the store falls back to the database counter for that commit.
 */
public interface SequenceStore extends AutoCloseable {

    /** Reserves {@code count} (1..1000) consecutive values and returns the highest of them. */
    long reserve(String namespace, int count);

    /** The last value handed out for the namespace, 0 when none. */
    long current(String namespace);

    /** Raises the namespace's counter to at least {@code value}. */
    void ensureAtLeast(String namespace, long value);

    /** True when the backend answers. */
    boolean healthy();

    /** A short name for logs ({@code redis}, {@code kv}). */
    String name();

    @Override
    default void close() {
    }

    /** Checks a {@link #reserve} count (1..1000, as the original) and returns it. */
    static int checkCount(int count) {
        if (count < 1 || count > 1000) {
            throw new IllegalArgumentException("count must be a positive integer between 1 and 1000, got " + count);
        }
        return count;
    }
}
