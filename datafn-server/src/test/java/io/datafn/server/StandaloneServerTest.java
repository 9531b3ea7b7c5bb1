package io.datafn.server;

import io.datafn.schema.SchemaException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The standalone server's start-up checks and the schema migration rules on restart. */
class StandaloneServerTest {

    private static int run(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf));
        try {
            int code = Main.run(args);
            lastError = buf.toString();
            return code;
        } finally {
            System.setErr(err);
        }
    }

    static String lastError;

    @Test
    void quarantineCommand_listsAndClearsGivenUpMutations() throws Exception {
        Path dir = Files.createTempDirectory("datafn-quarantine");
        String db = "jdbc:sqlite:" + dir.resolve("q.db");
        Path schema = Files.createTempFile("schema", ".json");
        Files.writeString(schema, "{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"string\"}]}]}");
        try (io.datafn.jdbc.JdbcStore store = io.datafn.jdbc.JdbcStore.open(db)) {
            store.migrate(io.datafn.schema.SchemaParser.parse(schema));
            store.write("ns1", tx -> {
                tx.keys().countAttempt("c1", "m1", new io.datafn.store.StoreTx.Quarantined("ns1", "c1", "m1", "{}",
                        "NOT_FOUND", "Record not found: t:1", 0, 5, 5));
                tx.keys().quarantine("c1", "m1");
                return null;
            });
        }
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf));
        try {
            assertThat(run("--db", db, "--schema", schema.toString(), "quarantine", "list")).isZero();
            assertThat(buf.toString()).contains("\"mutationId\":\"m1\"").contains("\"code\":\"NOT_FOUND\"");
            assertThat(run("--db", db, "--schema", schema.toString(), "quarantine", "clear")).isEqualTo(Main.EXIT_USAGE);
            buf.reset();
            assertThat(run("--db", db, "--schema", schema.toString(), "quarantine", "clear", "--namespace", "ns1")).isZero();
            assertThat(buf.toString()).contains("cleared 1");
        } finally {
            System.setOut(out);
        }
    }

    @Test
    void badSchema_exitsWithThreeAndNamesThePath() throws Exception {
        Path schema = Files.createTempFile("bad", ".json");
        Files.writeString(schema, "{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"nope\"}]}]}");
        assertThat(run("--schema", schema.toString(), "--port", "0")).isEqualTo(Main.EXIT_SCHEMA);
        assertThat(lastError).contains("resources[0].fields[0].type").doesNotContain("\n\tat ");
        assertThat(run("serve", "--schema", schema.toString(), "--port", "0")).as("serve is the default command")
                .isEqualTo(Main.EXIT_SCHEMA);
        assertThat(lastError).startsWith("datafn: schema " + schema + " is invalid: resources[0].fields[0].type");
    }

    @Test
    void unreachableDatabase_exitsWithFour() {
        assertThat(run("--schema", "../examples/tasks.schema.json", "--port", "0",
                "--db", "jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2")).isEqualTo(Main.EXIT_DATABASE);
        assertThat(lastError).startsWith("datafn: database");
        assertThat(lastError.trim().lines().count()).isEqualTo(1);
    }

    @Test
    void busyPort_exitsWithFive() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            assertThat(run("--schema", "../examples/tasks.schema.json", "--host", "127.0.0.1",
                    "--port", Integer.toString(taken.getLocalPort()))).isEqualTo(Main.EXIT_PORT);
        }
        assertThat(lastError).contains("already in use");
    }

    @Test
    void unknownOption_isAUsageError() {
        assertThat(run("--nope")).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void restart_addsNewResourcesAndNullableColumns_refusesDestructiveChanges() {
        String v1 = "{\"resources\":[{\"name\":\"note\",\"version\":1,\"fields\":[{\"name\":\"text\",\"type\":\"string\"}]}]}";
        String v2 = "{\"resources\":[{\"name\":\"note\",\"version\":2,\"fields\":[{\"name\":\"text\",\"type\":\"string\"},"
                + "{\"name\":\"pinned\",\"type\":\"boolean\",\"default\":false}]},"
                + "{\"name\":\"folder\",\"version\":1,\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}]}";
        String removed = "{\"resources\":[{\"name\":\"note\",\"version\":3,\"fields\":[{\"name\":\"pinned\",\"type\":\"boolean\"}]},"
                + "{\"name\":\"folder\",\"version\":1,\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}]}";
        String retyped = "{\"resources\":[{\"name\":\"note\",\"version\":3,\"fields\":[{\"name\":\"text\",\"type\":\"number\"},"
                + "{\"name\":\"pinned\",\"type\":\"boolean\"}]},{\"name\":\"folder\",\"version\":1,\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}]}";
        String url;
        try (TestServer s = TestServer.start(TestDb.SQLITE, v1)) {
            s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"id\":\"note:1\",\"record\":{\"text\":\"hello\"}}");
            url = s.jdbcUrl;
        }
        try (TestServer s = TestServer.startOn(url, v2, b -> b)) {
            assertThat(s.query("{\"resource\":\"note\"}").get("data").get(0).has("pinned")).isTrue();
            s.mutate("{\"resource\":\"folder\",\"operation\":\"insert\",\"id\":\"folder:1\",\"record\":{\"name\":\"f\"}}");
        }
        assertThatThrownBy(() -> TestServer.startOn(url, removed, b -> b)).isInstanceOf(SchemaException.class)
                .hasMessageContaining("field 'note.text' was removed");
        assertThatThrownBy(() -> TestServer.startOn(url, retyped, b -> b)).isInstanceOf(SchemaException.class)
                .hasMessageContaining("changed type from string to number");
        try (TestServer s = TestServer.startOn(url, v2, b -> b)) {
            assertThat(s.query("{\"resource\":\"note\"}").get("data").get(0).get("text").asText()).isEqualTo("hello");
        }
    }
}
