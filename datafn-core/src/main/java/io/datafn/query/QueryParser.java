package io.datafn.query;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.query.Operand.FieldRef;
import io.datafn.query.Query.Aggregate;
import io.datafn.query.Query.AggregateOp;
import io.datafn.query.Query.Aggregation;
import io.datafn.query.Query.Cursor;
import io.datafn.query.Query.GroupKey;
import io.datafn.query.Query.SortTerm;
import io.datafn.query.Selection.Mode;
import io.datafn.query.Selection.RelationSelection;
import io.datafn.schema.FieldType;
import io.datafn.schema.Link;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.search.SearchRequest;
import io.datafn.search.SearchService;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Validates a DFQL query object and turns it into a {@link Query} (PROTOCOL.md "Query"). Error paths follow the
 * original's query convention: no {@code $} prefix ({@code select[1]}, {@code filters.title.wat}), except the type
 * error on {@code resource} ({@code $.resource}).
 */
public final class QueryParser {
    private final Schema schema;
    private final Limits limits;
    private final SearchService search;

    /** @param search parses {@code search} clauses (and refuses them when no provider is configured) */
    public QueryParser(Schema schema, Limits limits, SearchService search) {
        this.schema = schema;
        this.limits = limits;
        this.search = search;
    }

    public Query parse(JsonNode q) {
        if (q == null || !q.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: expected object or array", "$");
        }
        Resource res = resource(q);
        if (q.hasNonNull("temporal")) {
            throw DatafnException.unsupported("Unsupported DFQL feature: temporal", "temporal");
        }
        Filter anchor = relationAnchor(q, res);
        if (anchor != null) {
            res = schema.resource(res.link(q.get("relation").asText()).target());
        }
        int limit = limit(q.get("limit"));
        int offset = nonNegative(q.get("offset"), "offset");
        boolean count = false;
        if (q.has("count")) {
            if (!q.get("count").isBoolean()) {
                throw DatafnException.invalid("Invalid DFQL: count must be boolean", "count");
            }
            count = q.get("count").asBoolean();
        }
        Filter filter = q.hasNonNull("filters")
                ? FilterParser.parse(schema, res, q.get("filters"), "filters", FilterParser.Mode.QUERY)
                : new Filter.Const(true);
        if (anchor != null) {
            filter = Filter.and(List.of(anchor, filter));
        }
        Selection select = select(res, q.get("select"));
        Set<String> omit = omit(res, q.get("omit"));
        Aggregate aggregate = aggregate(res, q);
        if (aggregate != null && !select.relations().isEmpty()) {
            throw DatafnException.unsupported("Relation expansion not allowed with groupBy",
                    "select[" + firstRelationToken(q.get("select"), res) + "]");
        }
        List<SortTerm> sort = sort(res, q.get("sort"), aggregate);
        Cursor cursor = cursor(q.get("cursor"), sort, aggregate);
        SearchRequest searchClause = q.hasNonNull("search") ? search.parseClause(res, q.get("search")) : null;
        filter = lifecycleFilter(res, q.get("metadata"), filter);
        return new Query(res, select, omit, filter, sort, limit, offset, cursor, count, aggregate, searchClause, null);
    }

    /**
     * Validates {@code metadata} (reference-query-mutation.md §4.2) and adds the capability auto-filters: trashed rows
     * ({@code trashedAt} set) are hidden unless {@code includeTrashed}, archived rows unless {@code includeArchived}.
     */
    private Filter lifecycleFilter(Resource res, JsonNode meta, Filter filter) {
        boolean includeTrashed = false;
        boolean includeArchived = false;
        if (meta != null && !meta.isNull()) {
            if (!meta.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: metadata must be object", "metadata");
            }
            includeTrashed = flag(meta, "includeTrashed");
            includeArchived = flag(meta, "includeArchived");
            JsonNode mode = meta.get("accessMode");
            if (mode != null && !mode.isNull()) {
                if (!mode.isTextual() || !(mode.asText().equals("namespace") || mode.asText().equals("sharedWithMe"))) {
                    throw DatafnException.invalid("Invalid DFQL: metadata.accessMode must be one of [namespace, sharedWithMe]",
                            "metadata.accessMode");
                }
                if (mode.asText().equals("sharedWithMe")) {
                    // grants live inside a namespace here (docs/PROTOCOL-NOTES.md "Sharing"): what is shared with the
                    // actor is already part of what "namespace" shows; reading other namespaces is never allowed
                    throw DatafnException.unsupported("Unsupported DFQL feature: metadata.accessMode.sharedWithMe",
                            "metadata.accessMode");
                }
            }
            if (meta.has("namespaceFilter")) {
                JsonNode nf = meta.get("namespaceFilter");
                if (!nf.isArray()) {
                    throw DatafnException.invalid("Invalid DFQL: metadata.namespaceFilter must be array", "metadata.namespaceFilter");
                }
                throw DatafnException.invalid("Invalid DFQL: metadata.namespaceFilter requires metadata.accessMode=\"sharedWithMe\"",
                        "metadata.namespaceFilter");
            }
        }
        List<Filter> all = new ArrayList<>(List.of(filter));
        if (res.has("trash") && !includeTrashed) {
            all.add(new Filter.Compare(new FieldRef(List.of(), "trashedAt", FieldType.DATE, List.of()), Filter.Op.IS_NULL));
        }
        if (res.has("archivable") && !includeArchived) {
            // "is not true": rows written before the capability was added have no value and count as not archived
            all.add(new Filter.Compare(new FieldRef(List.of(), "isArchived", FieldType.BOOLEAN, List.of()), Filter.Op.NE,
                    new Value.Bool(true)));
        }
        return Filter.and(all);
    }

    private static boolean flag(JsonNode meta, String key) {
        JsonNode v = meta.get(key);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw DatafnException.invalid("Invalid DFQL: metadata." + key + " must be boolean", "metadata." + key);
        }
        return v.asBoolean();
    }

    /** The query's {@code resource}, which must name a resource of the schema. */
    public Resource resource(JsonNode q) {
        JsonNode r = q.get("resource");
        if (r == null || !r.isTextual()) {
            throw DatafnException.invalid("Invalid DFQL: resource must be string", "$.resource");
        }
        Resource res = schema.resource(r.asText());
        if (res == null) {
            throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + r.asText(), "resource");
        }
        return res;
    }

    private int limit(JsonNode v) {
        if (v == null || v.isNull()) {
            return limits.maxLimit();
        }
        if (!v.isNumber() || !v.canConvertToExactIntegral() || v.asDouble() < 0) {
            throw DatafnException.invalid("Invalid DFQL: limit must be a non-negative integer", "limit");
        }
        if (v.asDouble() > limits.maxLimit()) {
            throw DatafnException.limit("Limit exceeded: limit>" + limits.maxLimit(), "limit");
        }
        return v.asInt();
    }

    private static int nonNegative(JsonNode v, String path) {
        if (v == null || v.isNull()) {
            return 0;
        }
        if (!v.isNumber() || !v.canConvertToExactIntegral() || v.asDouble() < 0 || v.asDouble() > Integer.MAX_VALUE) {
            throw DatafnException.invalid("Invalid DFQL: " + path + " must be a non-negative integer", path);
        }
        return v.asInt();
    }

    /** Relation-query mode ({@code relation} + {@code id}): the related records of one anchor record. */
    private Filter relationAnchor(JsonNode q, Resource res) {
        if (!q.has("relation")) {
            return null;
        }
        JsonNode rel = q.get("relation");
        if (!rel.isTextual() || res.link(rel.asText()) == null) {
            throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RELATION, "Unknown relation: " + rel.asText(), "$.relation");
        }
        JsonNode id = q.get("id");
        if (id == null || !id.isTextual() || id.asText().isEmpty()) {
            throw DatafnException.invalid("Invalid DFQL: id must be a non-empty string", "$.id");
        }
        for (String k : List.of("search", "groupBy", "aggregations", "having", "cursor")) {
            if (q.hasNonNull(k)) {
                throw DatafnException.unsupported("Unsupported DFQL feature for relation query: " + k, "$." + k);
            }
        }
        Link link = res.link(rel.asText());
        Link back = reverse(link);
        return new Filter.Quantified(back, Filter.Quantifier.ANY,
                new Filter.Compare(FieldRef.of("id", FieldType.STRING), Filter.Op.EQ, new Value.Text(id.asText())));
    }

    /** The same relation seen from the other end (used when the schema declares no inverse name). */
    static Link reverse(Link l) {
        Link.Kind kind = switch (l.kind()) {
            case FK_ON_SOURCE -> Link.Kind.FK_ON_TARGET;
            case FK_ON_TARGET -> Link.Kind.FK_ON_SOURCE;
            case JOIN -> Link.Kind.JOIN;
        };
        return new Link("~" + l.name(), l.target(), l.source(), kind, l.fkField(), l.relation(), !l.forward());
    }

    // ---------------------------------------------------------------------------------------------- select / omit

    private static final class SelectionDraft {
        boolean allFields;
        final Set<String> fields = new LinkedHashSet<>();
        final Map<String, RelDraft> relations = new LinkedHashMap<>();

        Selection build() {
            Map<String, RelationSelection> rels = new LinkedHashMap<>();
            relations.forEach((k, v) -> rels.put(k, new RelationSelection(v.link, v.mode, v.nested.build())));
            return new Selection(allFields, new ArrayList<>(fields), rels);
        }
    }

    private static final class RelDraft {
        Link link;
        Mode mode;
        SelectionDraft nested = new SelectionDraft();
    }

    private Selection select(Resource res, JsonNode select) {
        if (select == null || select.isNull()) {
            return Selection.all();
        }
        if (!select.isArray()) {
            throw DatafnException.invalid("Invalid DFQL: select must be an array", "select");
        }
        if (select.size() > Limits.MAX_SELECT_TOKENS) {
            throw DatafnException.invalid("Select exceeds limit: " + select.size() + " tokens (max " + Limits.MAX_SELECT_TOKENS + ")", "select");
        }
        SelectionDraft draft = new SelectionDraft();
        boolean any = false;
        for (int i = 0; i < select.size(); i++) {
            JsonNode t = select.get(i);
            if (!t.isTextual()) {
                continue; // the original skips non-string tokens
            }
            any = true;
            String path = "select[" + i + "]";
            String token = t.asText();
            if (relationDepth(res, token) > Limits.MAX_RELATION_DEPTH) {
                throw DatafnException.limit("Relation nesting depth exceeds limit (" + Limits.MAX_RELATION_DEPTH + ")", "select");
            }
            token(res, token, draft, path);
        }
        if (!any) {
            return Selection.all();
        }
        return draft.build();
    }

    private int relationDepth(Resource res, String token) {
        int depth = 0;
        Resource cur = res;
        for (String seg : token.split("\\.")) {
            Link l = cur == null ? null : cur.link(seg);
            if (l == null) {
                break;
            }
            depth++;
            cur = schema.resource(l.target());
        }
        return depth;
    }

    private void token(Resource res, String token, SelectionDraft draft, String path) {
        int dot = token.indexOf('.');
        if (dot < 0) {
            if (token.equals("*")) {
                draft.allFields = true;
            } else if (res.readable(token)) {
                draft.fields.add(token);
            } else if (res.link(token) != null) {
                relation(draft, res.link(token), Mode.IDS);
            } else {
                throw DatafnException.unknownField("Unknown field: " + path, path);
            }
            return;
        }
        String head = token.substring(0, dot);
        String rest = token.substring(dot + 1);
        Link link = res.link(head);
        if (link == null || rest.isEmpty()) {
            throw FilterParser.unknownRelation(path);
        }
        Resource target = schema.resource(link.target());
        switch (rest) {
            case "*" -> relation(draft, link, Mode.RECORDS).nested.allFields = true;
            case "#", "*#" -> {
                if (!link.isManyMany()) {
                    throw DatafnException.unsupported("Unsupported DFQL feature: " + path + " ('" + rest
                            + "' needs a many-many relation)", path);
                }
                RelDraft r = relation(draft, link, rest.equals("#") ? Mode.JOIN_ROWS : Mode.RECORDS_WITH_METADATA);
                r.nested.allFields = true;
            }
            default -> token(target, rest, relation(draft, link, Mode.RECORDS).nested, path);
        }
    }

    private static RelDraft relation(SelectionDraft draft, Link link, Mode mode) {
        RelDraft r = draft.relations.computeIfAbsent(link.name(), k -> {
            RelDraft d = new RelDraft();
            d.link = link;
            d.mode = mode;
            return d;
        });
        if (mode.ordinal() > r.mode.ordinal()) {
            r.mode = mode; // the richer form wins: records over ids, records with metadata over records
        }
        return r;
    }

    private static int firstRelationToken(JsonNode select, Resource res) {
        for (int i = 0; i < select.size(); i++) {
            String t = select.get(i).asText("");
            String head = t.contains(".") ? t.substring(0, t.indexOf('.')) : t;
            if (res.link(head) != null) {
                return i;
            }
        }
        return 0;
    }

    private static Set<String> omit(Resource res, JsonNode omit) {
        Set<String> out = new HashSet<>();
        if (omit == null || omit.isNull()) {
            return out;
        }
        if (!omit.isArray()) {
            throw DatafnException.invalid("Invalid DFQL: omit must be an array", "omit");
        }
        for (int i = 0; i < omit.size(); i++) {
            String f = omit.get(i).asText(null);
            if (f == null || !res.readable(f)) {
                throw DatafnException.unknownField("Unknown field: omit[" + i + "]", "omit[" + i + "]");
            }
            if (!f.equals("id")) {
                out.add(f);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------------ sort

    private List<SortTerm> sort(Resource res, JsonNode sort, Aggregate aggregate) {
        List<SortTerm> terms = new ArrayList<>();
        if (sort != null && !sort.isNull()) {
            if (sort.isTextual()) {
                sort = io.datafn.json.Json.array().add(sort);
            }
            if (!sort.isArray()) {
                throw DatafnException.invalid("Invalid DFQL: sort must be an array", "sort");
            }
            if (sort.size() > Limits.MAX_SORT_FIELDS) {
                throw DatafnException.invalid("Sort fields exceed limit: " + sort.size() + " (max " + Limits.MAX_SORT_FIELDS + ")", "sort");
            }
            for (int i = 0; i < sort.size(); i++) {
                terms.add(sortTerm(res, sort.get(i), "sort[" + i + "]", aggregate));
            }
        }
        Set<String> keys = new HashSet<>();
        terms.forEach(t -> keys.add(t.key()));
        if (aggregate == null) {
            if (!keys.contains("id")) {
                terms.add(new SortTerm("id", FieldRef.of("id", FieldType.STRING), false));
            }
        } else {
            for (GroupKey g : aggregate.groupBy()) {
                if (!keys.contains(g.key())) {
                    terms.add(new SortTerm(g.key(), new Operand.AliasRef(g.key()), false));
                }
            }
        }
        return terms;
    }

    private SortTerm sortTerm(Resource res, JsonNode t, String path, Aggregate aggregate) {
        String field;
        boolean desc;
        if (t.isTextual()) {
            String s = t.asText();
            if (s.startsWith("-")) {
                field = s.substring(1);
                desc = true;
            } else if (s.contains(":")) {
                field = s.substring(0, s.lastIndexOf(':'));
                String dir = s.substring(s.lastIndexOf(':') + 1).toLowerCase(Locale.ROOT);
                if (!dir.equals("asc") && !dir.equals("desc")) {
                    throw DatafnException.invalid("Invalid sort format: " + path, path);
                }
                desc = dir.equals("desc");
            } else {
                field = s;
                desc = false;
            }
        } else if (t.isObject() && t.path("field").isTextual()) {
            field = t.get("field").asText();
            String dir = t.path("direction").asText("asc").toLowerCase(Locale.ROOT);
            if (!dir.equals("asc") && !dir.equals("desc")) {
                throw DatafnException.invalid("Invalid sort format: " + path, path);
            }
            desc = dir.equals("desc");
        } else {
            throw DatafnException.invalid("Invalid sort format: " + path, path);
        }
        if (field.isEmpty()) {
            throw DatafnException.invalid("Invalid sort format: " + path, path);
        }
        if (aggregate != null) {
            boolean known = aggregate.aggregations().containsKey(field)
                    || aggregate.groupBy().stream().anyMatch(g -> g.key().equals(field));
            if (!known) {
                throw DatafnException.unknownField("Unknown field: " + path, path);
            }
            return new SortTerm(field, new Operand.AliasRef(field), desc);
        }
        FieldRef ref = toOnePath(res, field);
        if (ref == null) {
            throw DatafnException.unknownField("Unknown field: " + path, path);
        }
        return new SortTerm(field, ref, desc);
    }

    /** {@code field} or {@code rel.rel2.field} through to-one relations only; null when it is not one. */
    private FieldRef toOnePath(Resource res, String path) {
        List<Link> hops = new ArrayList<>();
        Resource cur = res;
        String[] parts = path.split("\\.", -1);
        for (int i = 0; i < parts.length - 1; i++) {
            Link l = cur.link(parts[i]);
            if (l == null || !l.toOne()) {
                return null;
            }
            hops.add(l);
            cur = schema.resource(l.target());
        }
        String last = parts[parts.length - 1];
        if (!cur.readable(last)) {
            return null;
        }
        FieldType type = last.equals("id") ? FieldType.STRING : cur.field(last).type();
        return new FieldRef(hops, last, type, List.of());
    }

    // ---------------------------------------------------------------------------------------------------- cursor

    private static Cursor cursor(JsonNode c, List<SortTerm> sort, Aggregate aggregate) {
        if (c == null || c.isNull()) {
            return null;
        }
        if (!c.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: cursor must be object", "cursor");
        }
        JsonNode after = c.get("after");
        JsonNode before = c.get("before");
        boolean hasAfter = after != null && !after.isNull();
        boolean hasBefore = before != null && !before.isNull();
        if (hasAfter && hasBefore) {
            throw DatafnException.invalid("Invalid DFQL: cursor takes after or before, not both", "cursor");
        }
        if (!hasAfter && !hasBefore) {
            return null;
        }
        String side = hasAfter ? "after" : "before";
        JsonNode b = hasAfter ? after : before;
        if (!b.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: cursor." + side + " must be object", "cursor." + side);
        }
        Map<String, Value> values = new LinkedHashMap<>();
        for (SortTerm t : sort) {
            String path = "cursor." + side + "." + t.key();
            if (!b.has(t.key())) {
                throw DatafnException.invalid("Invalid DFQL: cursor." + side + " is missing '" + t.key()
                        + "' (send back the nextCursor of the same sort)", path);
            }
            JsonNode v = b.get(t.key());
            FieldType type = t.operand() instanceof FieldRef f ? f.valueType()
                    : aggregate.typeOf(((Operand.AliasRef) t.operand()).alias());
            Value n = Value.of(type, v);
            if (n == null || (type == FieldType.JSON && !v.isValueNode())) {
                throw DatafnException.invalid("Invalid DFQL: " + path + " expects a " + type.wireName() + " value", path);
            }
            values.put(t.key(), n);
        }
        return new Cursor(hasBefore, values);
    }

    // ------------------------------------------------------------------------------------------------ aggregates

    private Aggregate aggregate(Resource res, JsonNode q) {
        JsonNode groupBy = q.get("groupBy");
        JsonNode aggs = q.get("aggregations");
        boolean hasGroup = groupBy != null && !groupBy.isNull();
        boolean hasAggs = aggs != null && !aggs.isNull();
        if (!hasGroup && !hasAggs) {
            if (q.hasNonNull("having")) {
                throw DatafnException.invalid("Invalid DFQL: having needs groupBy or aggregations", "having");
            }
            return null;
        }
        List<GroupKey> keys = new ArrayList<>();
        if (hasGroup) {
            if (!groupBy.isArray()) {
                throw DatafnException.invalid("Invalid DFQL: groupBy must be an array", "groupBy");
            }
            for (int i = 0; i < groupBy.size(); i++) {
                String path = "groupBy[" + i + "]";
                if (!groupBy.get(i).isTextual()) {
                    throw DatafnException.invalid("Invalid DFQL: groupBy element must be string", path);
                }
                String key = groupBy.get(i).asText();
                FieldRef ref = toOnePath(res, key);
                if (ref == null) {
                    throw DatafnException.unknownField("Unknown field: " + path, path);
                }
                if (keys.stream().noneMatch(k -> k.key().equals(key))) {
                    keys.add(new GroupKey(key, ref));
                }
            }
        }
        Map<String, Aggregation> out = new LinkedHashMap<>();
        if (hasAggs) {
            if (!aggs.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: aggregations must be an object", "aggregations");
            }
            if (aggs.size() > Limits.MAX_AGGREGATIONS) {
                throw DatafnException.invalid("Aggregations exceed limit: " + aggs.size() + " (max " + Limits.MAX_AGGREGATIONS + ")", "aggregations");
            }
            Iterator<Map.Entry<String, JsonNode>> it = aggs.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String alias = e.getKey();
                String path = "aggregations." + alias;
                if (keys.stream().anyMatch(k -> k.key().equals(alias))) {
                    throw DatafnException.invalid("Invalid DFQL: aggregation alias '" + alias + "' is also a groupBy key", path);
                }
                out.put(alias, aggregation(res, e.getValue(), path));
            }
        }
        Filter having = null;
        if (q.hasNonNull("having")) {
            if (!q.get("having").isObject()) {
                throw DatafnException.invalid("Invalid DFQL: having must be object", "having");
            }
            Map<String, FieldType> types = new LinkedHashMap<>();
            keys.forEach(k -> types.put(k.key(), k.ref().type()));
            out.forEach((alias, a) -> types.put(alias, a.resultType()));
            having = FilterParser.parseHaving(schema, res, q.get("having"), types);
        }
        return new Aggregate(keys, out, having);
    }

    private Aggregation aggregation(Resource res, JsonNode def, String path) {
        if (!def.isObject()) {
            throw DatafnException.invalid("Invalid aggregation definition", path);
        }
        JsonNode opNode = def.has("op") ? def.get("op") : def.get("fn");
        String opPath = path + (def.has("op") ? ".op" : ".fn");
        if (opNode == null || !opNode.isTextual()) {
            throw DatafnException.invalid("Invalid aggregation definition", path);
        }
        AggregateOp op;
        try {
            op = AggregateOp.valueOf(opNode.asText().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw DatafnException.invalid("Invalid aggregation operator: " + opNode.asText(), opPath);
        }
        JsonNode field = def.get("field");
        if (field == null || field.isNull() || (field.isTextual() && field.asText().equals("*"))) {
            if (op != AggregateOp.COUNT) {
                throw DatafnException.invalid("Aggregation field must be string", path + ".field");
            }
            return new Aggregation(op, null);
        }
        if (!field.isTextual()) {
            throw DatafnException.invalid("Aggregation field must be string", path + ".field");
        }
        FieldRef ref = toOnePath(res, field.asText());
        if (ref == null) {
            throw DatafnException.unknownField("Unknown field: " + field.asText(), path + ".field");
        }
        if ((op == AggregateOp.SUM || op == AggregateOp.AVG) && ref.type() != FieldType.NUMBER) {
            throw DatafnException.invalid("Aggregation " + op.name().toLowerCase(Locale.ROOT)
                    + " needs a number field, '" + field.asText() + "' is " + ref.type().wireName(), path + ".field");
        }
        if ((op == AggregateOp.MIN || op == AggregateOp.MAX) && ref.type().isJson()) {
            throw DatafnException.invalid("Aggregation " + op.name().toLowerCase(Locale.ROOT)
                    + " cannot compare " + ref.type().wireName() + " values", path + ".field");
        }
        return new Aggregation(op, ref);
    }
}
