package io.datafn.sharing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.schema.Resource;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;

/**
 * The query operation {@code {"resource", "operation": "getPermissions", "id"}} (reference-query-mutation.md §4.2):
 * the grants on a record of a shareable resource, for its owner only. Each entry is
 * {@code {principalId, userId, level, grantKind ("record" | "resource"), sourceRef, grantedBy, grantedAt}}.
 */
public final class PermissionsQuery {
    private final Store store;

    public PermissionsQuery(Store store) {
        this.store = store;
    }

    /** @param res the resource the query names (already checked) */
    public JsonNode handle(String ns, String actor, Resource res, JsonNode body) {
        JsonNode op = body.get("operation");
        if (!op.isTextual() || !op.asText().equals("getPermissions")) {
            throw DatafnException.unsupported("Unsupported DFQL feature: query.operation." + op.asText(), "operation");
        }
        if (!res.has("shareable")) {
            throw DatafnException.unsupported("Unsupported DFQL feature: query.operation.getPermissions", "operation");
        }
        JsonNode id = body.get("id");
        if (id == null || !id.isTextual() || id.asText().isEmpty()) {
            throw DatafnException.invalid("Invalid DFQL: id must be string", "$.id");
        }
        return store.read(ns, tx -> {
            ObjectNode current = tx.records().read(res, id.asText());
            if (Access.levelOf(tx, res, id.asText(), current, actor) != Access.Level.OWNER) {
                throw new DatafnException(ErrorCode.FORBIDDEN, "Authorization denied", "operation");
            }
            ArrayNode out = Json.array();
            for (StoreTx.Grant g : tx.grants().of(res.name(), id.asText(), current.path("createdBy").asText(null))) {
                ObjectNode n = out.addObject();
                n.put("principalId", g.principal());
                n.put("userId", g.principal());
                n.put("level", g.level());
                n.put("grantKind", g.recordId().isEmpty() ? "resource" : "record");
                n.putNull("sourceRef");
                n.put("grantedBy", g.grantedBy());
                n.put("grantedAt", g.grantedAt());
            }
            return out;
        });
    }
}
