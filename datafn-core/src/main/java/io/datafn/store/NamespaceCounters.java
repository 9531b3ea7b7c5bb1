package io.datafn.store;

import java.util.List;
import java.util.Objects;

/**
 * An optional capability of a {@link Store}: the namespaces that have a serverSeq counter, with its value (the admin
 * console lists them). Kept apart from {@link StoreTx}, whose reads are all scoped to one namespace; this one reads
 * across namespaces and is for operators only.
 */
public interface NamespaceCounters {

    /** A namespace and the highest seq handed out in it. */
    record Counter(String namespace, long seq) {
        public Counter {
            Objects.requireNonNull(namespace, "namespace");
        }
    }

    /** The namespaces with a counter, ordered by namespace, at most {@code limit} (1 .. 10 000). */
    List<Counter> namespaceCounters(int limit);
}
