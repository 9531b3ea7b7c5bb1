package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.schema.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Schemas as the DataFn client writes them (issue: client-valid schemas): {@code indices} as {@code string[]} or
 * {@code {base, search, vector}}, the project's example schema taken without a warning and generating the ids the
 * client generates, and warnings naming the path of what the client would refuse. On SQLite and PostgreSQL.
 */
@ParameterizedClass
@EnumSource(TestDb.class)
class SchemaFormsBlackBoxTest {
    @Parameter
    TestDb db;

    TestServer s;

    @AfterEach
    void stop() {
        if (s != null) {
            s.close();
        }
    }

    @Test
    void indicesAsBaseSearchVector_serveLikeAnyOther() {
        s = TestServer.start(db, """
                {"resources":[{"name":"note","version":1,"idPrefix":"note",
                  "fields":[{"name":"title","type":"string"},{"name":"status","type":"string"}],
                  "indices":{"base":["status"],"search":["title"],"vector":[]}}]}
                """);
        assertThat(s.server.schema().warnings()).isEmpty();
        s.mutate("{\"resource\":\"note\",\"operation\":\"insert\",\"record\":{\"title\":\"a\",\"status\":\"open\"}}");
        JsonNode r = s.query("{\"resource\":\"note\",\"filters\":{\"status\":\"open\"}}");
        assertThat(r.get("data")).hasSize(1);
        assertThat(r.get("data").get(0).get("id").asText()).matches("note:[0-9a-f-]{36}");
    }

    @Test
    void exampleSchema_isTakenWithoutWarning_andIdsHaveTheClientsForm() throws Exception {
        s = TestServer.start(db, Files.readString(Path.of("../examples/tasks.schema.json")));
        assertThat(s.server.schema().warnings()).isEmpty();
        JsonNode m = s.mutate("{\"resource\":\"tasks\",\"operation\":\"insert\",\"record\":{\"title\":\"Buy milk\"}}");
        // the client writes "<idPrefix>:<uuid>": the server's own ids look the same
        assertThat(m.get("affectedIds").get(0).asText()).matches("task:[0-9a-f-]{36}");
    }

    @Test
    void whatTheClientRefuses_isWarnedWithItsPath_andStillServed() {
        s = TestServer.start(db, """
                {"resources":[{"name":"task","version":1,"idPrefix":"task:",
                  "fields":[{"name":"a","type":"string"},{"name":"b","type":"number"}],
                  "indices":["a",["a","b"]]}]}
                """);
        assertThat(s.server.schema().warnings()).extracting(Schema.Warning::path)
                .containsExactly("resources[0].idPrefix", "resources[0].indices[1]");
        JsonNode m = s.mutate("{\"resource\":\"task\",\"operation\":\"insert\",\"record\":{\"a\":\"x\",\"b\":1}}");
        assertThat(m.get("affectedIds").get(0).asText()).startsWith("task:");
    }
}
