package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;

/**
 * A query's answer: {@code {data, nextCursor, count?}} or, grouped, {@code {groups, nextCursor}}.
 *
 * @param count total matching rows before paging, or null when not asked for
 */
public record QueryResult(ArrayNode rows, JsonNode nextCursor, Long count, boolean grouped) {

    public ObjectNode toJson() {
        ObjectNode out = Json.object();
        out.set(grouped ? "groups" : "data", rows);
        out.set("nextCursor", nextCursor == null ? Json.NODES.nullNode() : nextCursor);
        if (count != null) {
            out.put("count", count);
        }
        return out;
    }
}
