package io.datafn.store;

import java.util.Objects;

/**
 * A {@link SequenceStore} over any key-value store with an atomic increment (the README's {@code kvStore} with
 * {@code incr()}), keyed {@code serverSeq:<namespace>}.
 */
public final class KvSequenceStore implements SequenceStore {

    /** The operations a KV store must offer. */
    public interface AtomicKv {
        /** Atomically adds {@code by} to the number at {@code key} (0 when absent) and returns the new value. */
        long incrementBy(String key, long by);

        /** The number at {@code key}, 0 when absent. */
        long get(String key);

        /** True when the store answers. */
        default boolean healthy() {
            return true;
        }
    }

    private final AtomicKv kv;

    public KvSequenceStore(AtomicKv kv) {
        this.kv = Objects.requireNonNull(kv, "kvStore");
    }

    static String key(String namespace) {
        return "serverSeq:" + namespace;
    }

    @Override
    public long reserve(String namespace, int count) {
        return kv.incrementBy(key(namespace), SequenceStore.checkCount(count));
    }

    @Override
    public long current(String namespace) {
        return kv.get(key(namespace));
    }

    @Override
    public void ensureAtLeast(String namespace, long value) {
        long cur = kv.get(key(namespace));
        if (cur < value) {
            // increments only: safe against a concurrent increment; overshooting leaves a gap, which is allowed
            kv.incrementBy(key(namespace), value - cur);
        }
    }

    @Override
    public boolean healthy() {
        try {
            return kv.healthy();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "kv";
    }
}
