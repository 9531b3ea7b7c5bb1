package io.datafn.schema;

import io.datafn.json.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaParserTest {
    static Schema parse(String json) {
        return SchemaParser.parse(Json.parse(json));
    }

    static SchemaException problems(String json) {
        try {
            parse(json);
        } catch (SchemaException e) {
            return e;
        }
        throw new AssertionError("schema was accepted: " + json);
    }

    @Test
    void validSchema_addsKvCapabilityFieldsAndLinks() {
        Schema s = parse("""
                {"capabilities":["timestamps"],"resources":[
                  {"name":"task","version":1,"fields":[{"name":"title","type":"string","required":true}]},
                  {"name":"goal","version":1,"fields":[{"name":"label","type":"string"}],"capabilities":["audit"]}],
                 "relations":[{"from":"task","to":"goal","type":"many-one","relation":"goal","inverse":"tasks"}]}
                """);
        assertThat(s.resource("kv").field("value").type()).isEqualTo(FieldType.JSON);
        assertThat(s.resource("task").field("createdAt").system()).isTrue();
        assertThat(s.resource("goal").field("createdBy")).isNotNull();
        assertThat(s.resource("task").field("goalId").implicit()).isTrue();
        assertThat(s.resource("task").link("goal").kind()).isEqualTo(Link.Kind.FK_ON_SOURCE);
        assertThat(s.resource("goal").link("tasks").kind()).isEqualTo(Link.Kind.FK_ON_TARGET);
        assertThat(s.hash()).matches("sha256:[0-9a-f]{64}");
    }

    @Test
    void hash_isStableAndChangesWithTheSchema() {
        String a = "{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"string\"}]}]}";
        String reordered = "{\"resources\":[{\"fields\":[{\"type\":\"string\",\"name\":\"x\"}],\"version\":1,\"name\":\"t\"}]}";
        String b = "{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"number\"}]}]}";
        assertThat(parse(a).hash()).isEqualTo(parse(reordered).hash()).isNotEqualTo(parse(b).hash());
    }

    @Test
    void problems_nameTheirJsonPaths() {
        SchemaException e = problems("""
                {"resources":[
                  {"name":"task","version":"one","fields":[{"name":"title","type":"text"},{"name":"title","type":"string"}]},
                  {"name":"task","version":1,"fields":[]}],
                 "relations":[{"from":"task","to":"nope","type":"many-one","relation":"x"},
                              {"from":"task","to":"task","type":"htree","relation":"parent"}]}
                """);
        assertThat(e.problems()).extracting(SchemaException.Problem::path).contains(
                "resources[0].version", "resources[0].fields[0].type", "resources[1].name", "relations[0].to", "relations[1].type");
        assertThat(e.getMessage()).contains("htree relations are not supported");
    }

    @Test
    void unsupportedCapability_isRefusedByName() {
        assertThat(problems("{\"capabilities\":[\"teleport\"],\"resources\":[]}").getMessage())
                .contains("capabilities[0]").contains("'teleport' is not supported");
    }

    @Test
    void capabilities_trashArchivableShareable_injectTheirFields() {
        Schema s = SchemaParser.parse(io.datafn.json.Json.parse("{\"resources\":[{\"name\":\"t\",\"version\":1,"
                + "\"capabilities\":[\"trash\",\"archivable\",\"audit\",{\"shareable\":{\"default\":\"shared\"}}],"
                + "\"fields\":[]}]}"));
        Resource t = s.resource("t");
        assertThat(t.field("trashedAt").type()).isEqualTo(FieldType.DATE);
        assertThat(t.field("trashedAt").writable()).isFalse();
        assertThat(t.field("trashedBy").writable()).isFalse();
        assertThat(t.field("isArchived").writable()).isTrue();
        assertThat(t.field("isArchived").defaultValue().asBoolean(true)).isFalse();
        assertThat(t.field("visibility").writable()).isFalse();
        assertThat(t.field("visibility").system()).isFalse(); // refused when written, not dropped
        assertThat(t.sharing().defaultVisibility()).isEqualTo("shared");
        assertThat(t.isPrivate()).isFalse();
    }

    @Test
    void shareable_withoutAudit_isACapabilityDependencyProblem() {
        assertThat(problems("{\"resources\":[{\"name\":\"t\",\"version\":1,\"capabilities\":[\"shareable\"],\"fields\":[]}]}")
                .getMessage()).contains("resources[0].capabilities").contains("CAPABILITY_DEPENDENCY");
        assertThat(problems("{\"resources\":[{\"name\":\"t\",\"version\":1,\"capabilities\":[\"audit\","
                + "{\"shareable\":{\"levels\":[\"boss\"],\"default\":\"open\"}}],\"fields\":[]}]}").getMessage())
                .contains("levels[0]").contains("default must be private or shared");
    }

    @Test
    void capabilityFieldCollision_isRefused() {
        assertThat(problems("{\"resources\":[{\"name\":\"t\",\"version\":1,\"capabilities\":[\"timestamps\"],\"fields\":[{\"name\":\"createdAt\",\"type\":\"number\"}]}]}")
                .getMessage()).contains("createdAt");
    }

    @Test
    void missingResources_isRefused() {
        assertThatThrownBy(() -> parse("{}")).isInstanceOf(SchemaException.class).hasMessageContaining("resources");
    }

    @Test
    void incompatibleKv_isRefused() {
        assertThat(problems("{\"resources\":[{\"name\":\"kv\",\"version\":1,\"fields\":[{\"name\":\"value\",\"type\":\"string\"}]}]}")
                .getMessage()).contains("kv");
    }
}
