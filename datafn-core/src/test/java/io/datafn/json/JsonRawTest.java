package io.datafn.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Json#raw} (JSON text written as it is) and {@link Json#resolveRaw} (raw nodes back into trees). */
class JsonRawTest {

    @Test
    void aRawNode_isWrittenCharacterForCharacter() {
        ObjectNode n = Json.object();
        n.putArray("items").add(Json.raw("{\"id\":\"a\",\"n\":1.5,\"s\":\"é\\n\"}")).add(Json.raw("null"));
        assertThat(new String(Json.bytes(n), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"items\":[{\"id\":\"a\",\"n\":1.5,\"s\":\"é\\n\"},null]}");
    }

    @Test
    void resolveRaw_parsesRawNodesInPlace_andLeavesTheRest() {
        ObjectNode n = Json.object();
        n.put("ok", true);
        n.putObject("records").putArray("items").add(Json.raw("{\"id\":\"a\",\"tags\":[1,2]}"));
        JsonNode items = n.path("records").path("items");
        assertThat(Json.resolveRaw(n)).isSameAs(n);
        assertThat(n.path("records").path("items")).isSameAs(items);
        assertThat(items.get(0).isObject()).isTrue();
        assertThat(items.get(0).path("tags").get(1).asInt()).isEqualTo(2);
        assertThat(Json.text(n)).isEqualTo("{\"ok\":true,\"records\":{\"items\":[{\"id\":\"a\",\"tags\":[1,2]}]}}");
    }

    @Test
    void resolveRaw_ofARawNode_isItsTree() {
        assertThat(Json.resolveRaw(Json.raw("[1,{\"a\":null}]"))).isEqualTo(Json.parse("[1,{\"a\":null}]"));
    }
}
