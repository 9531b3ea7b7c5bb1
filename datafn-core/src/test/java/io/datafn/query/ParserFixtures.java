package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.schema.Schema;
import io.datafn.schema.SchemaParser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The schema the parser tests use (fixture F1 of the reference: goal, task, tag) and error assertions. */
final class ParserFixtures {
    private ParserFixtures() {
    }

    static final Schema SCHEMA = SchemaParser.parse(Json.parse("""
            {
              "resources": [
                {"name": "goal", "version": 1, "idPrefix": "goal:", "fields": [
                  {"name": "label", "type": "string", "required": true},
                  {"name": "status", "type": "string"},
                  {"name": "isArchived", "type": "boolean", "default": false}
                ]},
                {"name": "task", "version": 1, "idPrefix": "task:", "fields": [
                  {"name": "label", "type": "string", "required": true},
                  {"name": "title", "type": "string", "nullable": true},
                  {"name": "priority", "type": "number", "nullable": true},
                  {"name": "goalId", "type": "string", "nullable": true},
                  {"name": "isArchived", "type": "boolean", "default": false},
                  {"name": "updatedAt", "type": "string"},
                  {"name": "dueAt", "type": "date", "nullable": true},
                  {"name": "labels", "type": "array", "nullable": true},
                  {"name": "meta", "type": "json", "nullable": true},
                  {"name": "code", "type": "string", "unique": true, "nullable": true}
                ]},
                {"name": "tag", "version": 1, "idPrefix": "tag:", "fields": [
                  {"name": "label", "type": "string", "required": true}
                ]}
              ],
              "relations": [
                {"from": "task", "to": "goal", "type": "many-one", "relation": "goal", "inverse": "tasks", "fkField": "goalId"},
                {"from": "task", "to": "tag", "type": "many-many", "relation": "tags", "inverse": "tasks",
                 "metadata": [{"name": "order", "type": "number"}]}
              ]
            }
            """));

    static final QueryParser PARSER = new QueryParser(SCHEMA, Limits.defaults(),
            new io.datafn.search.SearchService(SCHEMA, null, null, Limits.defaults()));

    /** JSON written with single quotes, for readable test literals. */
    static JsonNode json(String singleQuoted) {
        return Json.parse(singleQuoted.replace('\'', '"'));
    }

    static Query parse(String singleQuoted) {
        return PARSER.parse(json(singleQuoted));
    }

    static void assertError(String singleQuoted, ErrorCode code, String path, String message) {
        assertThatThrownBy(() -> parse(singleQuoted)).as(singleQuoted)
                .isInstanceOfSatisfying(DatafnException.class, e -> {
                    assertThat(e.code()).as("code of %s", singleQuoted).isEqualTo(code);
                    assertThat(e.path()).as("path of %s", singleQuoted).isEqualTo(path);
                    if (message != null) {
                        assertThat(e.getMessage()).as("message of %s", singleQuoted)
                                .isEqualTo(message);
                    }
                });
    }
}
