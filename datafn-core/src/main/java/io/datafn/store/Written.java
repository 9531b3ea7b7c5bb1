package io.datafn.store;

import java.util.List;

/**
 * The outcome of a committed write: the work's value and the change rows it recorded, with the seqs they were given
 * at commit, per namespace in seq order.
 */
public record Written<T>(T value, String namespace, List<ChangeRow> changes) {
    public Written {
        changes = List.copyOf(changes);
    }

    /** Highest seq this write assigned, or 0. */
    public long maxSeq() {
        return changes.isEmpty() ? 0 : changes.get(changes.size() - 1).seq();
    }
}
