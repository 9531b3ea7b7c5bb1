package io.datafn.search;

import io.datafn.schema.Schema;
import io.datafn.store.Store;

import java.util.List;

/**
 * The search SPI (PROTOCOL.md "Search"): cross-resource full-text search over the records of a namespace. The
 * default provider ({@code io.datafn.lucene.LuceneSearchProvider}) needs no extra service.
 */
public interface SearchProvider extends AutoCloseable {

    /** One matching record. */
    record Hit(String resource, String id, double score) {
    }

    /** Called once when the server is built, before any search. */
    void open(Schema schema, Store store);

    /** The best hits, highest score first, reflecting every change committed before the call. */
    List<Hit> search(String namespace, SearchRequest request);

    /**
     * Told by the cluster bus that {@code namespace} committed changes up to {@code seq} on some node (this one
     * included). A provider that keeps an index may use it, with {@link Store#onCommit} of the store it was opened
     * with, to know when the index is behind instead of asking the change log before every search.
     */
    default void committed(String namespace, long seq) {
    }

    @Override
    default void close() {
    }
}
