package io.datafn.lucene;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaParser;
import io.datafn.search.SearchRequest;
import io.datafn.store.ChangeRow;
import io.datafn.testing.TestServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads searching many more namespaces than may be open at once: every search evicts and reopens indexes,
 * often the one another thread is still closing. No search may fail (an index reopened while an older instance of
 * the same namespace still holds the folder's write lock would), a write is found by the first search after it,
 * and the open set stays within its bound.
 */
class LuceneEvictionStressTest {
    private static final Schema SCHEMA = SchemaParser.parse(Json.parse("""
            {"resources": [{"name": "note", "version": 1, "fields": [{"name": "title", "type": "string"}]}]}
            """));
    private static final int NAMESPACES = Integer.getInteger("stress.ns", 40);
    private static final int MAX_OPEN = Integer.getInteger("stress.open", 3);
    private static final int THREADS = 16;
    private static final int SEARCHES = Integer.getInteger("stress.searches", 80);

    @TempDir
    Path dir;

    JdbcStore store;
    LuceneSearchProvider search;

    @BeforeEach
    void open() {
        store = JdbcStore.open(TestServices.freshSqliteUrl());
        store.migrate(SCHEMA);
        for (int n = 0; n < NAMESPACES; n++) {
            ObjectNode r = ((ObjectNode) Json.parse("{\"title\":\"word" + n + " common\"}")).put("id", "n1");
            store.write("ns" + n, tx -> {
                tx.records().insert(SCHEMA.resource("note"), r);
                tx.changes().record(new ChangeRow(0, "note", "n1", ChangeRow.INSERT, r));
                return null;
            });
        }
        search = new LuceneSearchProvider(dir, MAX_OPEN);
        search.open(SCHEMA, store);
    }

    @AfterEach
    void close() {
        search.close();
        store.close();
    }

    @Test
    void concurrentSearchesOverMoreNamespacesThanMayBeOpen_neverFail() throws Exception {
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger maxOpen = new AtomicInteger();
        AtomicInteger maxLive = new AtomicInteger();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < SEARCHES / 4; i++) {
                String ns = "ns" + ThreadLocalRandom.current().nextInt(NAMESPACES);
                String id = "w" + i;
                ObjectNode r = ((ObjectNode) Json.parse("{\"title\":\"fresh" + i + "\"}")).put("id", id);
                store.write(ns, tx -> {
                    tx.records().insert(SCHEMA.resource("note"), r);
                    tx.changes().record(new ChangeRow(0, "note", id, ChangeRow.INSERT, r));
                    return null;
                });
                try {
                    if (search.search(ns, new SearchRequest("fresh" + i, List.of("note"), 10, false, 0, Map.of(), null)).size() != 1) {
                        wrong.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        });
        writer.start();
        Thread[] threads = new Thread[THREADS];
        for (int t = 0; t < THREADS; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < SEARCHES; i++) {
                    int n = ThreadLocalRandom.current().nextInt(NAMESPACES);
                    try {
                        List<?> hits = search.search("ns" + n,
                                new SearchRequest("word" + n, List.of("note"), 10, false, 0, Map.of(), null));
                        if (hits.size() != 1) {
                            wrong.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                    maxOpen.accumulateAndGet(search.openNamespaces().size(), Math::max);
                    maxLive.accumulateAndGet(search.liveIndexes(), Math::max);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        writer.join();
        failures.stream().limit(3).forEach(Throwable::printStackTrace);
        assertThat(failures).isEmpty();
        assertThat(wrong).hasValue(0);
        assertThat(maxOpen.get()).isLessThanOrEqualTo(MAX_OPEN);
        // beyond the open ones, per searching thread (and the writer's) at most one evicted under its search and one
        // it is closing
        assertThat(maxLive.get()).isLessThanOrEqualTo(MAX_OPEN + 2 * (THREADS + 1));
        assertThat(search.liveIndexes()).isLessThanOrEqualTo(MAX_OPEN);
    }
}
