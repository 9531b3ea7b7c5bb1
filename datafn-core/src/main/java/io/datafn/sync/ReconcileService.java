package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Schema;
import io.datafn.store.Store;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST reconcile} in both forms: the original's {@code {resources, includeJoins}} → {@code {counts,
 * joinCounts?, latestCursor}}, and the README's {@code {counts:{table:n}}}, which adds {@code drift}. All numbers
 * come from one snapshot.
 */
public final class ReconcileService {
    private final Schema schema;
    private final Store store;

    public ReconcileService(Schema schema, Store store) {
        this.schema = schema;
        this.store = store;
    }

    /** Counts of private resources are of the rows {@code viewer} may see (reference-sync.md §5). */
    public ObjectNode reconcile(String ns, String viewer, JsonNode body) {
        if (!body.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: reconcile body must be object", "$");
        }
        SyncRequests.clientId(body);
        JsonNode resources = body.get("resources");
        JsonNode counts = body.get("counts");
        boolean hasResources = resources != null && !resources.isNull();
        boolean hasCounts = counts != null && !counts.isNull();
        if (hasResources && !resources.isArray() || !hasResources && !hasCounts) {
            throw DatafnException.invalid("Invalid DFQL: resources must be array", "resources");
        }
        Set<String> tables = new LinkedHashSet<>();
        if (hasResources) {
            for (int i = 0; i < resources.size(); i++) {
                String r = resources.get(i).asText(null);
                if (r == null || schema.resource(r) == null) {
                    throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + resources.get(i).asText(), "resources[" + i + "]");
                }
                tables.add(r);
            }
        }
        Map<String, Long> client = new LinkedHashMap<>();
        if (hasCounts) {
            if (!counts.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: counts must be an object", "counts");
            }
            Iterator<Map.Entry<String, JsonNode>> it = counts.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                if (schema.resource(e.getKey()) == null) {
                    throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + e.getKey(), "counts." + e.getKey());
                }
                JsonNode v = e.getValue();
                if (!v.isNumber() || !v.canConvertToExactIntegral() || v.asLong() < 0) {
                    throw DatafnException.invalid("Invalid DFQL: counts." + e.getKey() + " must be a non-negative integer", "counts." + e.getKey());
                }
                client.put(e.getKey(), v.asLong());
                tables.add(e.getKey());
            }
        }
        boolean includeJoins = body.path("includeJoins").asBoolean(false);
        return store.read(ns, tx -> {
            ObjectNode result = Json.object();
            result.put("ok", true);
            ObjectNode out = result.putObject("counts");
            Map<String, Long> server = new LinkedHashMap<>();
            for (String t : tables) {
                long n = tx.records().count(schema.resource(t), viewer);
                server.put(t, n);
                out.put(t, n);
            }
            if (includeJoins) {
                ObjectNode joins = result.putObject("joinCounts");
                for (Relation rel : schema.relations()) {
                    if (rel.type() == RelationType.MANY_MANY && (tables.contains(rel.from()) || tables.contains(rel.to()))) {
                        joins.put(rel.joinKey(), tx.joins().count(rel));
                    }
                }
            }
            result.put("latestCursor", Long.toString(tx.changes().currentSeq()));
            if (hasCounts) {
                ObjectNode drift = result.putObject("drift");
                client.forEach((t, c) -> {
                    if (c.longValue() != server.get(t)) {
                        drift.putObject(t).put("client", c).put("server", server.get(t));
                    }
                });
            }
            return result;
        });
    }
}
