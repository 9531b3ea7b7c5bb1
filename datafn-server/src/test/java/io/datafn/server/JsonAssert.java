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

    /**
     * Asserts an error envelope: the HTTP status, {@code ok:false}, the code, the message (skipped when null) and
     * {@code details.path}.
     */
    public static void assertError(TestServer.Reply r, int status, String code, String message, String path) {
        assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
        assertThat(r.body().path("ok").asBoolean(true)).as("ok of %s", r.body()).isFalse();
        assertThat(r.body().has("result")).as("result of %s", r.body()).isFalse();
        assertThat(r.code()).as("code of %s", r.body()).isEqualTo(code);
        if (message != null) {
            assertThat(r.message()).as("message of %s", r.body()).isEqualTo(message);
        }
        assertThat(r.path()).as("details.path of %s", r.body()).isEqualTo(path);
    }

    /** The ids of {@code result.data}, in order. */
    public static List<String> ids(JsonNode result) {
        List<String> out = new ArrayList<>();
        result.path("data").forEach(r -> out.add(r.path("id").asText()));
        return out;
    }
}
