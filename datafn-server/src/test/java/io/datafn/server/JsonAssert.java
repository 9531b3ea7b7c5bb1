package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.json.Json;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** JSON equality that ignores number representation (5 == 5.0) and key order. */
public final class JsonAssert {
    private JsonAssert() {
    }

    public static void assertJson(JsonNode actual, String expected) {
        assertThat(Json.canonical(actual)).isEqualTo(Json.canonical(Json.parse(expected)));
    }

    /** The ids of {@code result.data}, in order. */
    public static List<String> ids(JsonNode result) {
        List<String> out = new ArrayList<>();
        result.path("data").forEach(r -> out.add(r.path("id").asText()));
        return out;
    }
}
