package io.datafn.lucene;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaParser;
import io.datafn.search.SearchProvider.Hit;
import io.datafn.search.SearchRequest;
import io.datafn.store.ChangeRow;
import io.datafn.testing.Folders;
import io.datafn.testing.TestServices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Lucene provider on a real store (SQLite and PostgreSQL): built from the tables on the first search, then caught
 * up from the change log when a commit is announced. Writes here do what every write path does: change the row and
 * record the change. On disk, an index opened again resumes from its checkpoint; a deleted folder or a pruned log
 * rebuilds it from the tables.
 */
@ParameterizedClass
@ValueSource(strings = {"sqlite", "postgres"})
class LuceneSearchProviderTest {
    private static final Schema SCHEMA = SchemaParser.parse(Json.parse("""
            {"resources": [
              {"name": "note", "version": 1, "fields": [
                {"name": "title", "type": "string"}, {"name": "body", "type": "string"}, {"name": "stars", "type": "number"}]},
              {"name": "task", "version": 1, "fields": [{"name": "title", "type": "string"}]},
              {"name": "diary", "version": 1, "capabilities": ["audit", {"shareable": {"default": "private"}}],
               "fields": [{"name": "text", "type": "string"}]}]}
            """));

    @Parameter
    String database;

    @TempDir
    Path dir;

    String url;
    JdbcStore store;
    LuceneSearchProvider search;

    @BeforeEach
    void open() {
        url = database.equals("sqlite") ? TestServices.freshSqliteUrl() : TestServices.freshPostgresUrl();
        store = JdbcStore.open(url);
        store.migrate(SCHEMA);
        search = new LuceneSearchProvider();
        search.open(SCHEMA, store);
    }

    @AfterEach
    void close() {
        search.close();
        store.close();
    }

    /** Replaces the provider by one on {@code dir} (the one before is closed: its indexes are committed). */
    private void onDisk(int maxOpen) {
        search.close();
        search = new LuceneSearchProvider(dir, maxOpen);
        search.open(SCHEMA, store);
    }

    /** Deletes a row without recording a change: only an index rebuilt from the tables misses the record. */
    private void deleteUnlogged(String ns, String resource, String id) {
        store.write(ns, tx -> {
            tx.records().delete(SCHEMA.resource(resource), id);
            return null;
        });
    }

    private void insert(String ns, String resource, String id, String singleQuoted) {
        ObjectNode r = ((ObjectNode) Json.parse(singleQuoted.replace('\'', '"'))).put("id", id);
        store.write(ns, tx -> {
            tx.records().insert(SCHEMA.resource(resource), r);
            tx.changes().record(new ChangeRow(0, resource, id, ChangeRow.INSERT, r));
            return null;
        });
    }

    private void update(String ns, String resource, String id, String singleQuoted) {
        ObjectNode delta = (ObjectNode) Json.parse(singleQuoted.replace('\'', '"'));
        store.write(ns, tx -> {
            tx.records().update(SCHEMA.resource(resource), id, delta);
            tx.changes().record(new ChangeRow(0, resource, id, ChangeRow.MERGE, delta));
            return null;
        });
    }

    private void delete(String ns, String resource, String id) {
        store.write(ns, tx -> {
            tx.records().delete(SCHEMA.resource(resource), id);
            tx.changes().record(new ChangeRow(0, resource, id, ChangeRow.DELETE, null));
            return null;
        });
    }

    private List<String> find(String ns, String text, List<String> resources, boolean prefix, double fuzzy,
                              Map<String, Double> boosts, List<String> fields) {
        return search.search(ns, new SearchRequest(text, resources, 10, prefix, fuzzy, boosts, fields)).stream()
                .map(h -> h.resource() + ":" + h.id()).toList();
    }

    private List<String> find(String ns, String text) {
        return find(ns, text, List.of("note", "task", "diary"), false, 0, Map.of(), null);
    }

    @Test
    void firstSearch_indexesWhatTheTablesHold_wordsLowerCased() {
        insert("a", "note", "n1", "{'title':'Quick-Brown Fox','body':'jumps'}");
        insert("a", "task", "t1", "{'title':'brown paper'}");
        assertThat(find("a", "BROWN")).containsExactlyInAnyOrder("note:n1", "task:t1");
        assertThat(find("a", "jumps")).containsExactly("note:n1");
        assertThat(find("a", "   ")).isEmpty();
    }

    @Test
    void laterWrites_areCaughtUpFromTheChangeLogBeforeTheNextSearch() {
        insert("a", "note", "n1", "{'title':'old words'}");
        assertThat(find("a", "old")).containsExactly("note:n1");
        insert("a", "note", "n2", "{'title':'fresh words'}");
        update("a", "note", "n1", "{'title':'renamed'}");        // a merge carries a delta: the row is read again
        assertThat(find("a", "words")).containsExactly("note:n2");
        assertThat(find("a", "renamed")).containsExactly("note:n1");
        delete("a", "note", "n2");
        assertThat(find("a", "fresh")).isEmpty();
    }

    @Test
    void namespaces_andPrivateResources_areNotSearchedIntoEachOther() {
        insert("a", "note", "n1", "{'title':'shared secret'}");
        insert("b", "note", "n1", "{'title':'other tenant'}");
        insert("a", "diary", "d1", "{'text':'secret diary','createdBy':'u1'}");
        assertThat(find("a", "secret")).containsExactly("note:n1");   // a private resource has no indexed fields
        assertThat(find("b", "secret")).isEmpty();
        assertThat(find("b", "tenant")).containsExactly("note:n1");
    }

    @Test
    void resourcesFieldsPrefixFuzzyAndBoosts() {
        insert("a", "note", "n1", "{'title':'apple','body':'banana'}");
        insert("a", "note", "n2", "{'title':'banana','body':'apple'}");
        insert("a", "task", "t1", "{'title':'apple'}");
        assertThat(find("a", "apple", List.of("task"), false, 0, Map.of(), null)).containsExactly("task:t1");
        assertThat(find("a", "apple", List.of("note"), false, 0, Map.of(), List.of("title"))).containsExactly("note:n1");
        assertThat(find("a", "appl", List.of("task"), false, 0, Map.of(), null)).isEmpty();
        assertThat(find("a", "appl", List.of("task"), true, 0, Map.of(), null)).containsExactly("task:t1");
        assertThat(find("a", "apxle", List.of("task"), false, 1, Map.of(), null)).containsExactly("task:t1");
        assertThat(find("a", "apple", List.of("note"), false, 0, Map.of("body", 10.0), null)).containsExactly("note:n2", "note:n1");
        assertThat(find("a", "apple", List.of("note"), false, 0, Map.of("title", 10.0), null)).containsExactly("note:n1", "note:n2");
    }

    @Test
    void edits_areAFractionOfTheTermBelowOne_aCountFromOne_atMostTwo() {
        assertThat(LuceneSearchProvider.edits(0, "anything")).isZero();
        assertThat(LuceneSearchProvider.edits(0.25, "abcdefgh")).isEqualTo(2);
        assertThat(LuceneSearchProvider.edits(0.2, "abcd")).isEqualTo(1);
        assertThat(LuceneSearchProvider.edits(1, "ab")).isEqualTo(1);
        assertThat(LuceneSearchProvider.edits(5, "abcdef")).isEqualTo(2);
    }

    @Test
    void hits_carryAScore_bestFirst() {
        insert("a", "note", "n1", "{'title':'cat','body':'cat cat cat'}");
        insert("a", "note", "n2", "{'title':'dog','body':'a cat'}");
        List<Hit> hits = search.search("a", new SearchRequest("cat", List.of("note"), 10, false, 0, Map.of(), null));
        assertThat(hits).extracting(Hit::id).containsExactly("n1", "n2");
        assertThat(hits.get(0).score()).isGreaterThan(hits.get(1).score());
    }

    @Test
    void onDisk_aReopenedIndexResumesFromItsCheckpoint_aDeletedFolderIsRebuiltFromTheTables() {
        onDisk(10);
        insert("a", "note", "n1", "{'title':'kept words'}");
        assertThat(find("a", "kept")).containsExactly("note:n1");
        insert("a", "note", "n2", "{'title':'kept later'}");
        deleteUnlogged("a", "note", "n1");
        onDisk(10);
        // n1 is still indexed: the index resumed at its checkpoint and applied only the change log after it
        assertThat(find("a", "kept")).containsExactlyInAnyOrder("note:n1", "note:n2");
        search.close();
        Folders.delete(dir);
        onDisk(10);
        assertThat(find("a", "kept")).containsExactly("note:n2");
        assertThat(Files.isDirectory(dir.resolve("a"))).isTrue();
    }

    @Test
    void onDisk_changesPrunedBeforeTheyWereIndexed_rebuildTheIndex() {
        onDisk(10);
        insert("a", "note", "n1", "{'title':'kept words'}");
        assertThat(find("a", "kept")).containsExactly("note:n1");
        search.close();
        insert("a", "note", "n2", "{'title':'kept later'}");
        deleteUnlogged("a", "note", "n1");
        store.prune(System.currentTimeMillis() + 60_000, 0);
        onDisk(10);
        assertThat(find("a", "kept")).containsExactly("note:n2");
    }

    @Test
    void onDisk_atMostMaxOpenIndexes_anEvictedOneCatchesUpWhenSearchedAgain() {
        onDisk(1);
        insert("a", "note", "n1", "{'title':'apple'}");
        insert("b", "note", "n1", "{'title':'apple'}");
        assertThat(find("a", "apple")).containsExactly("note:n1");
        assertThat(find("b", "apple")).containsExactly("note:n1");
        assertThat(search.openNamespaces()).containsExactly("b"); // the least recently searched was closed
        insert("a", "note", "n2", "{'title':'apple pie'}");
        assertThat(find("a", "pie")).containsExactly("note:n2");
        assertThat(search.openNamespaces()).containsExactly("a");
        assertThat(find("b", "pie")).isEmpty();
        assertThat(search.openNamespaces()).containsExactly("b");
    }

    @Test
    void onDisk_anIndexReopenedFromItsCommit_findsTheWritesAfterIt() {
        onDisk(10);
        insert("a", "note", "n1", "{'title':'first words'}");
        assertThat(find("a", "first")).containsExactly("note:n1");
        onDisk(10);                                                // searched from its commit, no writer yet
        assertThat(find("a", "first")).containsExactly("note:n1");
        insert("a", "note", "n2", "{'title':'second words'}");    // the writer opens to index it
        assertThat(find("a", "words")).containsExactlyInAnyOrder("note:n1", "note:n2");
        delete("a", "note", "n1");
        assertThat(find("a", "words")).containsExactly("note:n2");
    }

    @Test
    void aCommitOfAnotherNode_isFoundOnceTheBusAnnouncesIt() {
        assertThat(find("a", "far")).isEmpty(); // the index is open and current
        try (JdbcStore otherNode = JdbcStore.open(url)) {
            otherNode.migrate(SCHEMA);
            ObjectNode r = ((ObjectNode) Json.parse("{\"title\":\"far away\"}")).put("id", "n9");
            long seq = otherNode.writeTracked("a", tx -> {
                tx.records().insert(SCHEMA.resource("note"), r);
                tx.changes().record(new ChangeRow(0, "note", "n9", ChangeRow.INSERT, r));
                return null;
            }).maxSeq();
            search.committed("a", seq);
        }
        assertThat(find("a", "far")).containsExactly("note:n9");
    }

    @Test
    void folderNames_areTheNamespaceWhenPlain_otherwiseAHash() {
        assertThat(LuceneSearchProvider.folderName("tenant-1_a")).isEqualTo("tenant-1_a");
        assertThat(LuceneSearchProvider.folderName("Tenant")).startsWith("ns-").hasSize(67);
        assertThat(LuceneSearchProvider.folderName("../x")).startsWith("ns-").hasSize(67);
        assertThat(LuceneSearchProvider.folderName("Tenant")).isNotEqualTo(LuceneSearchProvider.folderName("tenant"));
    }
}
