package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.plugin.PluginChain;
import io.datafn.router.RequestContext;
import io.datafn.search.SearchService;
import io.datafn.store.Store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code POST query}: plugins, validation (fail-fast over a batch), execution in one read transaction. */
public final class QueryService {
    private final QueryParser parser;
    private final Store store;
    private final PluginChain plugins;
    private final SearchService search;
    private final io.datafn.sharing.PermissionsQuery permissions;
    private final Limits limits;

    public QueryService(QueryParser parser, Store store, PluginChain plugins, SearchService search, Limits limits) {
        this.parser = parser;
        this.limits = limits;
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
            if (body.size() > limits.maxBatchSize()) {
                throw new DatafnException(ErrorCode.LIMIT_EXCEEDED, "Query batch exceeds maximum size", "$", 400,
                        Map.of("max", limits.maxBatchSize()), null);
            }
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
        boolean batch = body.isArray();
        Store.Work<List<JsonNode>> work = tx -> {
            // the answers' bytes are counted as each is made: past maxResultBytes the request fails before it holds more
            ResultBudget budget = new ResultBudget(limits.maxResultBytes());
            List<JsonNode> out = new ArrayList<>();
            for (int i = 0; i < resolved.size(); i++) {
                JsonNode answer = tx.records().query(resolved.get(i)).toJson();
                try {
                    budget.add(answer, "$");
                } catch (DatafnException e) {
                    throw batch ? e.withDetail("index", i) : e;
                }
                out.add(answer);
            }
            return out;
        };
        // a single statement reads one snapshot by itself; several (a batch, a count, related data) share one
        List<JsonNode> results = resolved.size() == 1 && resolved.get(0).singleStatement()
                ? store.readSingle(ns, work) : store.read(ns, work);
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
