package io.datafn.lucene;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaParser;
import io.datafn.search.SearchProvider.Hit;
import io.datafn.store.ChangeRow;
import io.datafn.store.Store;
import io.datafn.testing.TestServices;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The instances of one namespace's index take its folder one after the other (Lucene lets one writer hold it): an
 * index opened after an eviction waits for the evicted one to close, even across an instance closed before it ever
 * opened, and an index whose opening failed lets go of the folder at once.
 */
class NamespaceIndexFolderTest {
    private static final Schema SCHEMA = SchemaParser.parse(Json.parse("""
            {"resources": [{"name": "note", "version": 1, "fields": [{"name": "title", "type": "string"}]}]}
            """));
    private static final Query APPLE = new TermQuery(new Term("title", "apple"));

    @TempDir
    Path dir;

    String url;
    JdbcStore store;
    final FolderGate gate = new FolderGate();

    @BeforeEach
    void open() {
        url = TestServices.freshSqliteUrl();
        store = JdbcStore.open(url);
        store.migrate(SCHEMA);
        ObjectNode r = ((ObjectNode) Json.parse("{\"title\":\"apple\"}")).put("id", "n1");
        store.write("a", tx -> {
            tx.records().insert(SCHEMA.resource("note"), r);
            tx.changes().record(new ChangeRow(0, "note", "n1", ChangeRow.INSERT, r));
            return null;
        });
    }

    @AfterEach
    void close() {
        store.close();
    }

    private NamespaceIndex index(Store on) {
        NamespaceIndex.Source src = new NamespaceIndex.Source(SCHEMA, on, new StandardAnalyzer(),
                Map.of(SCHEMA.resource("note"), List.of("title")), "note[title];", Duration.ofSeconds(5).toNanos());
        Supplier<Directory> folder = () -> {
            try {
                return FSDirectory.open(dir.resolve("a"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        return new NamespaceIndex("a", src, folder, gate);
    }

    private static List<String> ids(List<Hit> hits) {
        return hits.stream().map(Hit::id).toList();
    }

    @Test
    void aReopenedIndexWaitsForTheEvictedOne_evenAcrossOneClosedBeforeItOpened() throws Exception {
        NamespaceIndex first = index(store);
        assertThat(ids(first.search(APPLE, 10))).containsExactly("n1"); // holds the folder's write lock
        NamespaceIndex second = index(store);
        second.close(true);                                             // evicted before its first search
        NamespaceIndex third = index(store);
        CompletableFuture<List<Hit>> found = CompletableFuture.supplyAsync(() -> {
            try {
                return third.search(APPLE, 10);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Thread.sleep(300);
        assertThat(found).isNotDone();                                  // waits instead of failing on the lock
        first.close(true);
        assertThat(ids(found.get())).containsExactly("n1");
        third.close(true);
    }

    @Test
    void anIndexWhoseOpeningFailed_letsGoOfTheFolder() throws Exception {
        JdbcStore gone = JdbcStore.open(url);
        gone.close();
        NamespaceIndex broken = index(gone);
        assertThatThrownBy(() -> broken.search(APPLE, 10)).isInstanceOf(RuntimeException.class);
        NamespaceIndex next = index(store);                            // the broken one is not closed yet
        assertThat(ids(CompletableFuture.supplyAsync(() -> {
            try {
                return next.search(APPLE, 10);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).get(10, java.util.concurrent.TimeUnit.SECONDS))).containsExactly("n1");
        next.close(true);
        broken.close(true);
    }
}
