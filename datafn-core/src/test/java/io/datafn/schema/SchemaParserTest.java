package io.datafn.schema;

import io.datafn.json.Json;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

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

    @Test
    void builtIns_kvThenTimezoneChange_areAppendedAfterTheSchemasResources() {
        Schema s = parse("{\"resources\":[{\"name\":\"task\",\"version\":1,\"fields\":[]}]}");
        assertThat(s.resources()).extracting(Resource::name).containsExactly("task", "kv", "datafnTimezoneChange");
        Resource tz = s.resource("datafnTimezoneChange");
        assertThat(tz.version()).isEqualTo(1);
        assertThat(tz.idPrefix()).isEqualTo("timezoneChange");
        assertThat(tz.fields()).extracting(Field::name).containsExactly("timezone", "effectiveFrom", "recordedAt", "source");
        assertThat(tz.fields()).extracting(Field::type)
                .containsExactly(FieldType.STRING, FieldType.NUMBER, FieldType.NUMBER, FieldType.STRING);
        assertThat(tz.fields()).extracting(Field::required).containsExactly(true, true, true, false);
        assertThat(tz.indices()).containsExactly(List.of("effectiveFrom"), List.of("timezone"));
        assertThat(tz.capabilities()).isEmpty();
        assertThat(s.normalized().path("resources").get(2).path("name").asText()).isEqualTo("datafnTimezoneChange");
        assertThat(s.warnings()).isEmpty();
    }

    @Test
    void builtIns_doNotTakeTheSchemasCapabilities() {
        Schema s = parse("{\"capabilities\":[\"timestamps\"],\"resources\":[]}");
        assertThat(s.resource("datafnTimezoneChange").field("createdAt")).isNull();
        assertThat(s.resource("kv").field("createdAt")).isNull();
    }

    @Test
    void userDefinedTimezoneChange_compatibleIsKept_incompatibleIsRefusedAtItsPath() {
        Schema s = parse("""
                {"resources":[{"name":"datafnTimezoneChange","version":1,"idPrefix":"timezoneChange","fields":[
                  {"name":"timezone","type":"string","required":true},{"name":"effectiveFrom","type":"number","required":true},
                  {"name":"recordedAt","type":"number","required":true},{"name":"source","type":"string"}]}]}
                """);
        assertThat(s.resources()).extracting(Resource::name).containsExactly("datafnTimezoneChange", "kv");
        SchemaException e = problems("""
                {"resources":[{"name":"task","version":1,"fields":[]},{"name":"datafnTimezoneChange","version":1,"fields":[
                  {"name":"timezone","type":"string"},{"name":"effectiveFrom","type":"date"}]}]}
                """);
        assertThat(e.problems()).extracting(SchemaException.Problem::path).containsExactly("resources[1]");
        assertThat(e.getMessage()).contains("a user-defined 'datafnTimezoneChange' resource must be compatible with the built-in one"
                + " (fields id, timezone: string, effectiveFrom: number, recordedAt: number, source: string)");
    }

    @Test
    void hash_coversTheTimezoneChangeResource() {
        String own = """
                {"resources":[{"name":"datafnTimezoneChange","version":%d,"idPrefix":"timezoneChange","fields":[
                  {"name":"timezone","type":"string","required":true},{"name":"effectiveFrom","type":"number","required":true},
                  {"name":"recordedAt","type":"number","required":true},{"name":"source","type":"string","nullable":true}]}]}
                """;
        assertThat(parse(own.formatted(1)).normalized().toString()).contains("\"name\":\"datafnTimezoneChange\"");
        assertThat(parse(own.formatted(2)).hash()).isNotEqualTo(parse(own.formatted(1)).hash());
    }

    @Test
    void indices_clientObjectForm_baseIsIndexedSearchAndVectorAreKept() {
        Schema s = parse("""
                {"resources":[{"name":"note","version":1,"fields":[{"name":"title","type":"string"},{"name":"body","type":"string"},
                  {"name":"embedding","type":"array"}],"indices":{"base":["title"],"search":["title","body"],"vector":["embedding"]}}]}
                """);
        Resource note = s.resource("note");
        assertThat(note.indices()).containsExactly(List.of("title"));
        assertThat(note.searchIndices()).containsExactly("title", "body");
        assertThat(note.vectorIndices()).containsExactly("embedding");
        assertThat(s.normalized().path("resources").get(0).path("searchIndices").toString()).isEqualTo("[\"title\",\"body\"]");
        assertThat(s.warnings()).isEmpty();
        assertThat(parse("{\"resources\":[{\"name\":\"note\",\"version\":1,\"fields\":[{\"name\":\"t\",\"type\":\"string\"}],"
                + "\"indices\":{\"search\":[\"t\"]}}]}").resource("note").indices()).isEmpty();
    }

    @Test
    void indices_clientObjectForm_unknownOrNonStringFieldsAreRefusedAtTheirPath() {
        SchemaException e = problems("""
                {"resources":[{"name":"note","version":1,"fields":[{"name":"title","type":"string"}],
                  "indices":{"base":["nope"],"search":["title",3],"vector":["missing"]}}]}
                """);
        assertThat(e.problems()).extracting(SchemaException.Problem::path).containsExactly(
                "resources[0].indices.base[0]", "resources[0].indices.search[1]", "resources[0].indices.vector[0]");
        assertThat(problems("{\"resources\":[{\"name\":\"n\",\"version\":1,\"fields\":[],\"indices\":{\"search\":\"x\"}}]}")
                .problems()).extracting(SchemaException.Problem::path).containsExactly("resources[0].indices.search");
    }

    @Test
    void warnings_compositeIndices_areServedButNamedAsRefusedByTheClient() {
        Schema s = parse("""
                {"resources":[{"name":"tag","version":1,"fields":[]},
                  {"name":"task","version":1,"fields":[{"name":"status","type":"string"},{"name":"priority","type":"number"}],
                   "indices":["status",["status","priority"],{"fields":["priority","status"]}]}]}
                """);
        assertThat(s.resource("task").indices())
                .containsExactly(List.of("status"), List.of("status", "priority"), List.of("priority", "status"));
        assertThat(s.warnings()).extracting(Schema.Warning::toString).containsExactly(
                "resources[1].indices[1]: the DataFn client refuses non-string index definitions (index definitions must be string[])",
                "resources[1].indices[2]: the DataFn client refuses non-string index definitions (index definitions must be string[])");
        assertThat(parse("{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"a\",\"type\":\"string\"}],"
                + "\"indices\":{\"base\":[[\"a\",\"id\"]]}}]}").warnings())
                .extracting(Schema.Warning::path).containsExactly("resources[0].indices.base[0]");
    }

    @Test
    void warnings_idPrefixEndingInColon_namesTheIdsTheClientWouldWrite() {
        Schema s = parse("{\"resources\":[{\"name\":\"task\",\"version\":1,\"idPrefix\":\"task:\",\"fields\":[]}]}");
        assertThat(s.warnings()).extracting(Schema.Warning::toString).containsExactly(
                "resources[0].idPrefix: \"task:\" ends with ':'; the DataFn client generates ids as \"<idPrefix>:<uuid>\","
                        + " so its ids would be \"task::<uuid>\" while this server generates \"task:<uuid>\"");
        assertThat(parse("{\"resources\":[{\"name\":\"task\",\"version\":1,\"idPrefix\":\"task-\",\"fields\":[]}]}").warnings())
                .extracting(Schema.Warning::path).containsExactly("resources[0].idPrefix");
        assertThat(parse("{\"resources\":[{\"name\":\"task\",\"version\":1,\"idPrefix\":\"task\",\"fields\":[]}]}").warnings())
                .isEmpty();
    }

    @Test
    void warnings_idPrefixesEqualOnceNormalised_andAnIdIndexWithoutAnIdField() {
        Schema s = parse("""
                {"resources":[{"name":"task","version":1,"fields":[],"indices":["id"]},
                  {"name":"chore","version":1,"idPrefix":"task","fields":[]},
                  {"name":"note","version":1,"idPrefix":":","fields":[]},
                  {"name":"item","version":1,"fields":[{"name":"id","type":"string"}],"indices":["id"]}]}
                """);
        assertThat(s.warnings()).extracting(Schema.Warning::path)
                .containsExactly("resources[0].indices[0]", "resources[2].idPrefix", "resources[1].idPrefix", "resources[2].idPrefix");
        assertThat(s.warnings().get(2).message()).contains("resource 'task' has the same id prefix \"task\"");
        assertThat(s.warnings().get(3).message()).contains("empty");
    }

    @Test
    void warnings_dateBoundsTheClientRefuses_andADefaultBreakingItsRuleIsAProblem() {
        Schema s = parse("""
                {"resources":[{"name":"e","version":1,"fields":[
                  {"name":"a","type":"date","min":10,"max":5},
                  {"name":"c","type":"date","min":0,"max":1767225600000,"default":"2026-01-01"}]}]}
                """);
        assertThat(s.warnings()).extracting(Schema.Warning::path).containsExactly("resources[0].fields[0].min");
        assertThat(s.resource("e").field("c").defaultValue().asLong()).isEqualTo(1767225600000L); // storage form, once
        assertThat(problems("""
                {"resources":[{"name":"e","version":1,"fields":[
                  {"name":"b","type":"date","min":1767225600000,"default":"2025-12-31"},
                  {"name":"s","type":"string","enum":["x"],"default":"y"}]}]}
                """).getMessage()).contains("resources[0].fields[0].default").contains("must be on or after")
                .contains("resources[0].fields[1].default").contains("must be one of");
    }

    @Test
    void exampleSchema_isOneTheClientTakesUnchanged() {
        Schema s = SchemaParser.parse(Path.of("../examples/tasks.schema.json"));
        assertThat(s.warnings()).isEmpty();
        assertThat(s.resource("tasks").indices()).containsExactly(List.of("projectId"), List.of("status"), List.of("priority"));
    }
}
