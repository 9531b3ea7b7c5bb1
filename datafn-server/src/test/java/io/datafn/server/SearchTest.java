package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.lucene.LuceneSearchProvider;
import io.datafn.testing.Folders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST search} and the query {@code search} clause with the default (Lucene) provider; on disk across restarts,
 * and on two nodes sharing a database, each with its own index folder.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class SearchTest {
    @Parameter
    TestDb db;

    TestServer s;
    TestServer other;

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
        if (other != null) {
            other.close();
        }
    }

    void start() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.searchProvider(new LuceneSearchProvider()));
        s.mutate("""
                [{"resource":"task","operation":"insert","id":"task:1","record":{"label":"Buy milk","title":"groceries"}},
                 {"resource":"task","operation":"insert","id":"task:2","record":{"label":"Walk the dog"}},
                 {"resource":"task","operation":"insert","id":"task:3","record":{"label":"Milk the cow","title":"farm"}},
                 {"resource":"goal","operation":"insert","id":"goal:1","record":{"label":"Milkshake recipes"}},
                 {"resource":"tag","operation":"insert","id":"tag:1","record":{"label":"dog"}}]
                """);
    }

    static List<String> ids(JsonNode result) {
        List<String> out = new ArrayList<>();
        result.get("results").forEach(r -> out.add(r.get("resource").asText() + "/" + r.get("id").asText()));
        return out;
    }

    @Test
    void search_findsWordsAcrossResourcesOrderedByScore() {
        start();
        JsonNode r = s.post("search", "{\"query\":\"milk\",\"resources\":[\"task\",\"goal\"]}").result();
        assertThat(ids(r)).containsExactlyInAnyOrder("task/task:1", "task/task:3");
        JsonNode first = r.get("results").get(0);
        assertThat(first.get("score").asDouble()).isPositive();
        assertThat(first.get("data").get("label").asText()).containsIgnoringCase("milk");
        assertThat(ids(s.post("search", "{\"query\":\"milk\",\"prefix\":true}").result())).contains("goal/goal:1");
        assertThat(ids(s.post("search", "{\"query\":\"mlik\",\"fuzzy\":1}").result())).contains("task/task:1", "task/task:3");
        assertThat(ids(s.post("search", "{\"query\":\"dog\",\"resources\":[\"tag\"]}").result())).containsExactly("tag/tag:1");
        JsonNode boosted = s.post("search", "{\"query\":\"milk farm\",\"resources\":[\"task\"],\"fieldBoosts\":{\"title\":10}}").result();
        assertThat(boosted.get("results").get(0).get("id").asText()).isEqualTo("task:3");
    }

    @Test
    void search_seesLaterWrites() {
        start();
        s.mutate("{\"resource\":\"task\",\"operation\":\"merge\",\"id\":\"task:2\",\"record\":{\"label\":\"Walk the milkman\"}}");
        s.mutate("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:1\"}");
        assertThat(ids(s.post("search", "{\"query\":\"milkman walk\",\"resources\":[\"task\"]}").result())).containsExactly("task/task:2");
        assertThat(ids(s.post("search", "{\"query\":\"groceries\"}").result())).isEmpty();
    }

    @Test
    void queryWithSearchClause_combinesWithFiltersSortAndPaging() {
        start();
        JsonNode r = s.query("{\"resource\":\"task\",\"search\":{\"query\":\"milk\"},\"filters\":{\"title\":{\"ne\":\"farm\"}},\"select\":[\"id\"]}");
        assertThat(JsonAssert.ids(r)).containsExactly("task:1");
        assertThat(s.get("status").result().get("capabilities").toString()).contains("dfql.search");
    }

    @Test
    void searchErrors() {
        start();
        TestServer.Reply r = s.post("search", "{\"query\":\"" + "x".repeat(1001) + "\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("LIMIT_EXCEEDED");
        assertThat(r.path()).isEqualTo("query");
        r = s.post("query", "{\"resource\":\"task\",\"search\":{\"query\":\"" + "x".repeat(1001) + "\"}}");
        assertThat(r.path()).isEqualTo("search.query");
        r = s.post("search", "{\"query\":\"x\",\"resources\":[\"nope\"]}");
        assertThat(r.code()).isEqualTo("DFQL_UNKNOWN_RESOURCE");
        StringBuilder boosts = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            boosts.append(i == 0 ? "" : ",").append("\"f").append(i).append("\":1");
        }
        r = s.post("search", "{\"query\":\"x\",\"fieldBoosts\":{" + boosts + "}}");
        assertThat(r.code()).isEqualTo("LIMIT_EXCEEDED");
        r = s.post("search", "{\"query\":\"x\",\"fieldBoosts\":{\"label\":-1}}");
        assertThat(r.code()).isEqualTo("DFQL_INVALID");
    }

    @Test
    void withoutProvider_searchIsUnsupported() {
        s = TestServer.start(db, Fixtures.F1_SCHEMA);
        TestServer.Reply r = s.post("query", "{\"resource\":\"task\",\"search\":{\"query\":\"x\",\"type\":\"fullText\"}}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.code()).isEqualTo("DFQL_UNSUPPORTED");
        assertThat(r.message()).isEqualTo("No search provider configured and DB adapter has no native search support");
        assertThat(r.path()).isEqualTo("search");
        assertThat(s.post("search", "{\"query\":\"x\"}").code()).isEqualTo("DFQL_UNSUPPORTED");
        assertThat(s.get("status").result().get("capabilities").toString()).doesNotContain("dfql.search");
    }

    @Test
    void onDisk_whatWasWrittenIsFoundAfterARestart_andAfterTheFolderIsDeleted() {
        Path folder = dir.resolve("search");
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.searchProvider(new LuceneSearchProvider(folder, 10)));
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"Buy milk\"}}");
        assertThat(ids(s.post("search", "{\"query\":\"milk\"}").result())).containsExactly("task/task:1");
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:2\",\"record\":{\"label\":\"Milk the cow\"}}");
        String url = s.jdbcUrl;
        s.close();
        s = TestServer.startOn(url, Fixtures.F1_SCHEMA, b -> b.searchProvider(new LuceneSearchProvider(folder, 10)));
        assertThat(ids(s.post("search", "{\"query\":\"milk\"}").result())).containsExactlyInAnyOrder("task/task:1", "task/task:2");
        s.mutate("{\"resource\":\"task\",\"operation\":\"delete\",\"id\":\"task:1\"}");
        s.close();
        Folders.delete(folder);
        s = TestServer.startOn(url, Fixtures.F1_SCHEMA, b -> b.searchProvider(new LuceneSearchProvider(folder, 10)));
        assertThat(ids(s.post("search", "{\"query\":\"milk\"}").result())).containsExactly("task/task:2");
    }

    @Test
    void onDisk_concurrentSearchesOverMoreNamespacesThanMayBeOpen_allAnswer() throws Exception {
        s = TestServer.start(db, Fixtures.F1_SCHEMA, b -> b.namespaceProvider(ctx -> ctx.header("X-User"))
                .searchProvider(new LuceneSearchProvider(dir.resolve("search"), 2)));
        int namespaces = 12;
        for (int n = 0; n < namespaces; n++) {
            assertThat(s.postAs("u" + n, "mutation", "{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\","
                    + "\"record\":{\"label\":\"word" + n + "\"}}").status()).isEqualTo(200);
        }
        List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 25; i++) {
                    int n = java.util.concurrent.ThreadLocalRandom.current().nextInt(namespaces);
                    TestServer.Reply r = s.postAs("u" + n, "search", "{\"query\":\"word" + n + "\"}");
                    if (r.status() != 200 || !ids(r.result()).equals(List.of("task/task:1"))) {
                        wrong.add(r.status() + " " + r.body());
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void twoNodes_aWriteOnOneIsFoundOnTheOther_toldByTheBus() throws InterruptedException {
        // PostgreSQL: LISTEN/NOTIFY; MariaDB and SQLite (two stores on one file): each node polls the seq counters
        s = TestServer.startNode(db.freshUrl(), Fixtures.F1_SCHEMA,
                b -> b.searchProvider(new LuceneSearchProvider(dir.resolve("a"), 10)));
        other = TestServer.startNode(s.jdbcUrl, Fixtures.F1_SCHEMA,
                b -> b.searchProvider(new LuceneSearchProvider(dir.resolve("b"), 10)));
        assertThat(ids(other.post("search", "{\"query\":\"milk\"}").result())).isEmpty(); // B's index is open and current
        Thread.sleep(500); // both listeners connected
        s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"id\":\"task:1\",\"record\":{\"label\":\"Buy milk\"}}");
        List<String> found = List.of();
        for (int i = 0; i < 50 && found.isEmpty(); i++) { // the bus delivers within 200 ms; B reads its log every 5 s
            Thread.sleep(20);
            found = ids(other.post("search", "{\"query\":\"milk\"}").result());
        }
        assertThat(found).containsExactly("task/task:1");
    }

    @Test
    void searchDir_defaultsBesideTheSqliteFile_elseDataSearch() {
        assertThat(Main.searchFolder(null, "jdbc:sqlite:data/datafn.db"))
                .isEqualTo(Path.of("data/datafn-search").toAbsolutePath());
        assertThat(Main.searchFolder(null, "jdbc:sqlite:file:/srv/app/tasks.db?journal_mode=WAL"))
                .isEqualTo(Path.of("/srv/app/tasks-search"));
        assertThat(Main.searchFolder(null, "jdbc:postgresql://db/app")).isEqualTo(Path.of("data", "search"));
        assertThat(Main.searchFolder(null, "jdbc:sqlite::memory:")).isEqualTo(Path.of("data", "search"));
        assertThat(Main.searchFolder("/var/lib/datafn/search", "jdbc:sqlite:data/datafn.db"))
                .isEqualTo(Path.of("/var/lib/datafn/search"));
    }
}
