package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.auth.NamespaceProvider;
import io.datafn.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI's commands against a real database: {@code export} → {@code import} into an empty namespace → a client's
 * pull sees the records; {@code migrate --dry-run} lists an added column and a refused destructive change. In process
 * through picocli (as {@code main} runs it); {@link CliProcessTest} runs the real process.
 */
@ParameterizedClass
@EnumSource(value = TestDb.class, names = {"SQLITE", "POSTGRES"})
class CliTest {
    @Parameter
    TestDb db;

    @TempDir
    Path dir;

    TestServer s;

    /** The namespace is the {@code X-User} header (default {@code datafn}): pulls can read any namespace. */
    static final NamespaceProvider BY_USER = ctx -> ctx.header("X-User") == null ? "datafn" : ctx.header("X-User");

    record Run(int exit, String out, String err) {
    }

    static Run cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.commandLine(new Main(Map.of())).execute(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    @Test
    void exportThenImportIntoAnEmptyNamespace_aPullShowsTheRecords() throws Exception {
        db.assumeAvailable();
        Path schema = Path.of("../examples/tasks.schema.json");
        s = TestServer.start(db, Files.readString(schema), b -> b.namespaceProvider(BY_USER));
        s.mutate("{\"resource\":\"projects\",\"operation\":\"insert\",\"id\":\"project:1\",\"record\":{\"name\":\"Home\"}}");
        for (int i = 1; i <= 3; i++) {
            s.mutate("{\"resource\":\"tasks\",\"operation\":\"insert\",\"id\":\"task:" + i + "\",\"record\":{\"title\":\"T" + i
                    + "\",\"priority\":" + i + ",\"labels\":[\"a\",\"b\"],\"projectId\":\"project:1\"}}");
        }
        s.mutate("{\"resource\":\"tags\",\"operation\":\"insert\",\"id\":\"tag:1\",\"record\":{\"label\":\"urgent\"}}");
        s.mutate("{\"resource\":\"tasks\",\"operation\":\"relate\",\"id\":\"task:1\",\"relations\":{\"tags\":{\"$ref\":\"tag:1\",\"order\":2}}}");
        s.mutate("{\"resource\":\"tasks\",\"operation\":\"relate\",\"id\":\"task:3\",\"relations\":{\"tags\":\"tag:1\"}}");
        Path out = dir.resolve("backup");

        Run export = cli("--db", s.jdbcUrl, "--schema", schema.toString(), "export", "--out", out.toString());
        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out()).contains("exported 3 tasks to " + out.resolve("tasks.ndjson"))
                .contains("exported 2 links of tasks.tags to " + out.resolve("join_tasks_tags_tags.ndjson"))
                .contains("exported 5 records of namespace datafn");
        List<String> lines = Files.readAllLines(out.resolve("tasks.ndjson"));
        assertThat(lines).hasSize(3);
        assertThat(Json.parse(lines.get(0)).get("id").asText()).isEqualTo("task:1");
        assertThat(Json.parse(lines.get(0)).get("labels").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(export.err()).as("no progress bar without a terminal").isEmpty();

        Run imported = cli("--db", s.jdbcUrl, "--schema", schema.toString(), "import", "--namespace", "copy", out.toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
        assertThat(imported.out()).contains("imported 1 projects").contains("imported 3 tasks")
                .contains("imported 2 links of tasks.tags").contains("imported 7 records and links into namespace copy");

        JsonNode pull = s.postAs("copy", "pull", "{\"clientId\":\"c1\",\"cursors\":{\"tasks\":\"0\",\"projects\":\"0\","
                + "\"tags\":\"0\",\"join_tasks_tags_tags\":\"0\"},\"limit\":100,\"includeJoins\":true}").result();
        List<String> links = new ArrayList<>();
        pull.get("joins").get("join_tasks_tags_tags").get("upsert").forEach(j -> links.add(j.get("id").asText() + " order "
                + j.get("order")));
        assertThat(links).containsExactlyInAnyOrder("task:1:tag:1 order 2", "task:3:tag:1 order null");
        List<String> ids = new ArrayList<>();
        pull.get("records").get("tasks").forEach(r -> ids.add(r.get("id").asText()));
        assertThat(ids).containsExactlyInAnyOrder("task:1", "task:2", "task:3");
        JsonNode t2 = Json.MAPPER.createObjectNode();
        for (JsonNode r : pull.get("records").get("tasks")) {
            if (r.get("id").asText().equals("task:2")) {
                t2 = r;
            }
        }
        assertThat(t2.get("title").asText()).isEqualTo("T2");
        assertThat(t2.get("projectId").asText()).isEqualTo("project:1");
        assertThat(pull.get("records").get("projects").get(0).get("name").asText()).isEqualTo("Home");
        assertThat(s.postAs("datafn", "query", "{\"resource\":\"tasks\",\"count\":true}").result().get("count").asInt())
                .as("the source namespace is unchanged").isEqualTo(3);
    }

    @Test
    void import_badRecord_namesFileLineAndField_andExitsOne() throws Exception {
        db.assumeAvailable();
        Path schema = Path.of("../examples/tasks.schema.json");
        s = TestServer.start(db, Files.readString(schema), b -> b.namespaceProvider(BY_USER));
        Path file = dir.resolve("tasks.ndjson");
        Files.writeString(file, "{\"id\":\"task:1\",\"title\":\"ok\"}\n\n{\"id\":\"task:2\",\"title\":5}\n");
        Run r = cli("--db", s.jdbcUrl, "--schema", schema.toString(), "import", "--namespace", "bad", file.toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_FAILED);
        assertThat(r.err()).startsWith("datafn: " + file + " line 3 field title: DFQL_INVALID");
        assertThat(s.postAs("bad", "query", "{\"resource\":\"tasks\",\"count\":true}").result().get("count").asInt())
                .as("the batch is all or nothing").isZero();
    }

    @Test
    void migrateDryRun_listsAnAddedColumnAndARefusedChange_andAppliesNothing() throws Exception {
        db.assumeAvailable();
        String url = db.freshUrl();
        Path v1 = dir.resolve("v1.json");
        Files.writeString(v1, "{\"resources\":[{\"name\":\"note\",\"version\":1,\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                + "{\"name\":\"color\",\"type\":\"string\"}]}]}");
        Path v2 = dir.resolve("v2.json"); // adds pinned, drops color
        Files.writeString(v2, "{\"resources\":[{\"name\":\"note\",\"version\":2,\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                + "{\"name\":\"pinned\",\"type\":\"boolean\",\"nullable\":true}]}]}");
        Path v3 = dir.resolve("v3.json"); // adds pinned only
        Files.writeString(v3, "{\"resources\":[{\"name\":\"note\",\"version\":2,\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                + "{\"name\":\"color\",\"type\":\"string\"},{\"name\":\"pinned\",\"type\":\"boolean\",\"nullable\":true}]}]}");

        Run fresh = cli("--db", url, "migrate", "--dry-run", "--schema", v1.toString());
        assertThat(fresh.exit()).as(fresh.err()).isZero();
        assertThat(fresh.out()).contains("(fresh database: the DataFn system tables are created too)")
                .contains("add resource note (new table note)").contains("nothing applied (--dry-run)");
        assertThat(cli("--db", url, "migrate", "--schema", v1.toString()).exit()).isZero();

        Run plan = cli("--db", url, "--schema", v2.toString(), "migrate", "--dry-run");
        assertThat(plan.exit()).isEqualTo(Main.EXIT_SCHEMA);
        assertThat(plan.out()).contains("add column note.pinned (boolean)\n    alter table")
                .contains("refuse resources.note.fields: field 'note.color' was removed, but its column still holds data")
                .contains("1 change(s) refused: nothing would be applied");

        Run ok = cli("--db", url, "--schema", v3.toString(), "migrate", "--dry-run");
        assertThat(ok.exit()).isZero();
        assertThat(ok.out()).as("the refused plan changed nothing").contains("add column note.pinned (boolean)")
                .doesNotContain("refuse ");
        assertThat(cli("--db", url, "--schema", v3.toString(), "migrate").out()).contains("1 addition(s) applied");
        assertThat(cli("--db", url, "--schema", v3.toString(), "migrate", "--dry-run").out())
                .contains("nothing to add: the database is at this schema");
    }
}
