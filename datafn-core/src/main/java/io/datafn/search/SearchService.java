package io.datafn.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.query.Filter;
import io.datafn.query.Operand;
import io.datafn.query.Query;
import io.datafn.query.Selection;
import io.datafn.query.Value;
import io.datafn.schema.FieldType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST search} and the {@code search} clause of a query (PROTOCOL.md "Search"): validation, the provider's
 * hits, and the records behind them.
 */
public final class SearchService {
    public static final int MAX_QUERY_LENGTH = 1000;
    public static final int MAX_FIELD_BOOSTS = 100;
    /** The largest field boost: scores are 32-bit floats, and a larger factor only overflows them. */
    public static final double MAX_BOOST = 1_000_000;
    /** How many hits a query's {@code search} clause considers before its own filters, sort and paging. */
    public static final int QUERY_HITS = 1000;
    private static final int DEFAULT_LIMIT = 20;

    private final Schema schema;
    private final Store store;
    private final SearchProvider provider;
    private final Limits limits;

    /** @param provider null when search is not configured (every search is then DFQL_UNSUPPORTED) */
    public SearchService(Schema schema, Store store, SearchProvider provider, Limits limits) {
        this.schema = schema;
        this.store = store;
        this.provider = provider;
        this.limits = limits;
    }

    public boolean enabled() {
        return provider != null;
    }

    private DatafnException notConfigured(String path) {
        return DatafnException.unsupported("No search provider configured and DB adapter has no native search support", path);
    }

    /** {@code POST search}: {@code {results:[{resource, id, score, data}]}} ordered by score. */
    public JsonNode handle(String ns, JsonNode body) {
        if (!body.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: search body must be object", "$");
        }
        if (provider == null) {
            throw notConfigured("$");
        }
        List<String> resources = new ArrayList<>();
        JsonNode r = body.get("resources");
        if (r == null || r.isNull()) {
            schema.resources().forEach(res -> resources.add(res.name()));
        } else {
            if (!r.isArray()) {
                throw DatafnException.invalid("Invalid DFQL: resources must be array", "resources");
            }
            for (int i = 0; i < r.size(); i++) {
                String name = r.get(i).asText(null);
                if (name == null || schema.resource(name) == null) {
                    throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + r.get(i).asText(), "resources[" + i + "]");
                }
                if (!resources.contains(name)) { // a name repeated a thousand times is still one resource
                    resources.add(name);
                }
            }
        }
        JsonNode l = body.get("limit");
        int limit = DEFAULT_LIMIT;
        if (l != null && !l.isNull()) {
            if (!l.isNumber() || !l.canConvertToExactIntegral() || l.asDouble() < 1) {
                throw DatafnException.invalid("Invalid DFQL: limit must be a positive integer", "limit");
            }
            if (l.asDouble() > limits.maxLimit()) {
                throw DatafnException.limit("Limit exceeded: limit>" + limits.maxLimit(), "limit");
            }
            limit = l.asInt();
        }
        SearchRequest req = request(body, "", resources, limit, null);
        List<SearchProvider.Hit> hits = provider.search(ns, req);
        ArrayNode results = Json.array();
        Map<String, Map<String, ObjectNode>> rows = store.read(ns, tx -> records(tx, hits));
        for (SearchProvider.Hit h : hits) {
            ObjectNode data = rows.getOrDefault(h.resource(), Map.of()).get(h.id());
            if (data != null) {
                results.addObject().put("resource", h.resource()).put("id", h.id()).put("score", h.score()).set("data", data);
            }
        }
        ObjectNode out = Json.object();
        out.set("results", results);
        return out;
    }

    private Map<String, Map<String, ObjectNode>> records(StoreTx tx, List<SearchProvider.Hit> hits) {
        Map<String, List<String>> byResource = new LinkedHashMap<>();
        hits.forEach(h -> byResource.computeIfAbsent(h.resource(), k -> new ArrayList<>()).add(h.id()));
        Map<String, Map<String, ObjectNode>> out = new HashMap<>();
        byResource.forEach((resource, ids) -> {
            Resource res = schema.resource(resource);
            Query q = new Query(res, Selection.all(), Set.of(), idIn(ids),
                    List.of(new Query.SortTerm("id", Operand.FieldRef.of("id", FieldType.STRING), false)),
                    ids.size(), 0, null, false, null, null, null);
            Map<String, ObjectNode> byId = new HashMap<>();
            tx.records().query(q).rows().forEach(row -> byId.put(row.get("id").asText(), (ObjectNode) row));
            out.put(resource, byId);
        });
        return out;
    }

    /**
     * Parses a query's {@code search} clause (paths {@code search.*}); the search runs when the query does, see
     * {@link #apply}.
     */
    public SearchRequest parseClause(Resource res, JsonNode clause) {
        if (!clause.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: search must be object", "search");
        }
        if (provider == null) {
            throw notConfigured("search");
        }
        List<String> fields = null;
        JsonNode f = clause.get("fields");
        if (f != null && !f.isNull()) {
            if (!f.isArray()) {
                throw DatafnException.invalid("Invalid DFQL: search.fields must be array", "search.fields");
            }
            fields = new ArrayList<>();
            for (int i = 0; i < f.size(); i++) {
                String name = f.get(i).asText(null);
                if (name == null || !res.readable(name)) {
                    throw DatafnException.unknownField("Unknown field: search.fields[" + i + "]", "search.fields[" + i + "]");
                }
                fields.add(name);
            }
        }
        JsonNode type = clause.get("type");
        if (type != null && !type.isNull() && !"fullText".equals(type.asText())) {
            throw DatafnException.unsupported("Unsupported DFQL feature: search.type." + type.asText(), "search.type");
        }
        return request(clause, "search.", List.of(res.name()), QUERY_HITS, fields);
    }

    /** A query whose {@code search} clause is replaced by the ids the provider found (pushed down as {@code id IN}). */
    public Query apply(String ns, Query q) {
        if (q.search() == null) {
            return q;
        }
        List<String> ids = new ArrayList<>();
        provider.search(ns, q.search()).forEach(h -> ids.add(h.id()));
        Filter matched = ids.isEmpty() ? new Filter.Const(false) : idIn(ids);
        return q.withFilter(new Filter.And(List.of(matched, q.filter())));
    }

    /** {@code id IN (ids)}; {@code ids} is not empty. */
    private static Filter idIn(List<String> ids) {
        List<Value> values = new ArrayList<>();
        ids.forEach(id -> values.add(new Value.Text(id)));
        return new Filter.Compare(Operand.FieldRef.of("id", FieldType.STRING), Filter.Op.IN, values);
    }

    private SearchRequest request(JsonNode body, String prefix, List<String> resources, int limit, List<String> fields) {
        JsonNode query = body.get("query");
        if (query == null || !query.isTextual()) {
            throw DatafnException.invalid("Invalid DFQL: " + prefix + "query must be string", prefix + "query");
        }
        if (query.asText().length() > MAX_QUERY_LENGTH) {
            throw DatafnException.limit("Search query exceeds maximum length", prefix + "query");
        }
        boolean pre = false;
        JsonNode p = body.get("prefix");
        if (p != null && !p.isNull()) {
            if (!p.isBoolean()) {
                throw DatafnException.invalid("Invalid DFQL: " + prefix + "prefix must be boolean", prefix + "prefix");
            }
            pre = p.asBoolean();
        }
        double fuzzy = 0;
        JsonNode fz = body.get("fuzzy");
        if (fz != null && !fz.isNull()) {
            if (fz.isBoolean()) {
                fuzzy = fz.asBoolean() ? 0.2 : 0;
            } else if (fz.isNumber() && Double.isFinite(fz.asDouble()) && fz.asDouble() >= 0) {
                fuzzy = fz.asDouble();
            } else {
                throw DatafnException.invalid("Invalid DFQL: " + prefix + "fuzzy must be boolean or a number >= 0", prefix + "fuzzy");
            }
        }
        Map<String, Double> boosts = new LinkedHashMap<>();
        JsonNode fb = body.get("fieldBoosts");
        if (fb != null && !fb.isNull()) {
            if (!fb.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: " + prefix + "fieldBoosts must be object", prefix + "fieldBoosts");
            }
            if (fb.size() > MAX_FIELD_BOOSTS) {
                throw DatafnException.limit("Field boosts exceed limit: " + fb.size() + " (max " + MAX_FIELD_BOOSTS + ")", prefix + "fieldBoosts");
            }
            Iterator<Map.Entry<String, JsonNode>> it = fb.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                double v = e.getValue().asDouble(Double.NaN);
                if (!e.getValue().isNumber() || !Double.isFinite(v) || v <= 0 || v > MAX_BOOST) {
                    throw DatafnException.invalid("Invalid DFQL: " + prefix + "fieldBoosts." + e.getKey()
                            + " must be a positive number of at most " + (long) MAX_BOOST, prefix + "fieldBoosts." + e.getKey());
                }
                boosts.put(e.getKey(), v);
            }
        }
        return new SearchRequest(query.asText(), resources, limit, pre, fuzzy, boosts, fields);
    }
}
