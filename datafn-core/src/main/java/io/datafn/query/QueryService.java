package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.datafn.error.DatafnException;
import io.datafn.json.Json;
import io.datafn.plugin.PluginChain;
import io.datafn.router.RequestContext;
import io.datafn.search.SearchService;
import io.datafn.store.Store;

import java.util.ArrayList;
import java.util.List;

/** {@code POST query}: plugins, validation (fail-fast over a batch), execution in one read transaction. */
public final class QueryService {
    private final QueryParser parser;
    private final Store store;
    private final PluginChain plugins;
    private final SearchService search;
    private final io.datafn.sharing.PermissionsQuery permissions;

    public QueryService(QueryParser parser, Store store, PluginChain plugins, SearchService search) {
        this.parser = parser;
        this.store = store;
        this.plugins = plugins;
        this.search = search;
        this.permissions = new io.datafn.sharing.PermissionsQuery(store);
    }

    /** @param actor who asks: private (shareable) resources show it only what it may see */
    public JsonNode handle(RequestContext ctx, String ns, String actor, JsonNode body) {
        body = plugins.beforeQuery(ctx, body);
        if (body == null || !(body.isObject() || body.isArray())) {
            throw DatafnException.invalid("Invalid DFQL: expected object or array", "$");
        }
        if (body.isObject() && body.has("operation")) {
            return plugins.afterQuery(ctx, body, permissions.handle(ns, actor, parser.resource(body), body));
        }
        List<Query> queries = new ArrayList<>();
        if (body.isArray()) {
            for (int i = 0; i < body.size(); i++) {
                try {
                    queries.add(parser.parse(body.get(i)));
                } catch (DatafnException e) {
                    throw e.withDetail("index", i);
                }
            }
        } else {
            queries.add(parser.parse(body));
        }
        List<Query> resolved = new ArrayList<>();
        queries.forEach(q -> resolved.add(search.apply(ns, q).withViewer(actor)));
        List<JsonNode> results = store.read(tx -> {
            List<JsonNode> out = new ArrayList<>();
            for (Query q : resolved) {
                out.add(tx.query(ns, q).toJson());
            }
            return out;
        });
        JsonNode result;
        if (body.isArray()) {
            ArrayNode arr = Json.array();
            results.forEach(arr::add);
            result = arr;
        } else {
            result = results.get(0);
        }
        return plugins.afterQuery(ctx, body, result);
    }
}
