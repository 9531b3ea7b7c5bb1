package io.datafn.mutation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.query.Filter;
import io.datafn.query.FilterParser;
import io.datafn.schema.Field;
import io.datafn.schema.FieldValues;
import io.datafn.schema.Link;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Validates one mutation object (PROTOCOL.md "Mutation"; original §5.1). Paths carry the caller's base: {@code $},
 * {@code $[2]} in a batch, {@code steps[1].mutation} in transact.
 */
public final class MutationParser {
    /** The keys whose canonical JSON is compared on an idempotent replay (PROTOCOL.md "Idempotency"). */
    private static final List<String> PAYLOAD_KEYS = List.of("resource", "operation", "id", "record", "relations",
            "relation", "targetId", "metadata", "if", "scope", "shareWith");

    private final Schema schema;
    private final Limits limits;

    public MutationParser(Schema schema, Limits limits) {
        this.schema = schema;
        this.limits = limits;
    }

    public Schema schema() {
        return schema;
    }

    public Mutation parse(JsonNode m, String base) {
        if (m == null || !m.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: mutation must be object", base);
        }
        JsonNode resNode = m.get("resource");
        if (resNode == null || !resNode.isTextual()) {
            throw DatafnException.invalid("Invalid DFQL: resource must be string", base + ".resource");
        }
        Resource res = schema.resource(resNode.asText());
        if (res == null) {
            throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + resNode.asText(), base + ".resource");
        }
        JsonNode opNode = m.get("operation");
        if (opNode == null || !opNode.isTextual()) {
            throw DatafnException.invalid("Invalid DFQL: operation must be string", base + ".operation");
        }
        Operation op = Operation.parse(opNode.asText());
        if (op == null) {
            throw DatafnException.unsupported("Unsupported DFQL feature: mutation.operation." + opNode.asText(), base + ".operation");
        }
        if (op.capability() != null && !res.has(op.capability())) {
            // trash/restore need the trash capability, archive/unarchive archivable, share/unshare shareable
            throw DatafnException.unsupported("Unsupported DFQL feature: mutation.operation." + opNode.asText(), base + ".operation");
        }
        Mutation.Share share = op.isShare() ? share(res, m, base) : null;
        String clientId = key(m, "clientId", base);
        String mutationId = key(m, "mutationId", base);
        version(m.get("version"), base);
        JsonNode recNode = m.get("record");
        String id = share != null && share.resourceScope() ? null : id(m, res, op, recNode, base);
        ObjectNode record = null;
        if (op.needsRecord()) {
            if (recNode == null || recNode.isNull()) {
                throw DatafnException.invalid("Invalid DFQL: " + op.wireName() + " requires record", base + ".record");
            }
            record = record(res, recNode, op, base + ".record");
        } else if (recNode != null && !recNode.isNull() && !recNode.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: record must be object", base + ".record");
        }
        Filter guard = null;
        JsonNode ifNode = m.get("if");
        if (ifNode != null && !ifNode.isNull()) {
            if (!ifNode.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: if must be object", base + ".if");
            }
            guard = FilterParser.parse(schema, res, ifNode, base + ".if", FilterParser.Mode.GUARD);
        }
        List<Mutation.RelationChange> relations = op.isRelationOp() ? relations(res, m, base) : List.of();
        return new Mutation(res, op, id, record, guard, relations, share, clientId, mutationId, payloadHash(m));
    }

    /** {@code scope} ({@code record}, the default, or {@code resource}) and {@code shareWith: {principalId|userId, level?}}. */
    private Mutation.Share share(Resource res, JsonNode m, String base) {
        JsonNode scope = m.get("scope");
        boolean resourceScope = false;
        if (scope != null && !scope.isNull()) {
            if (!scope.isTextual() || !(scope.asText().equals("record") || scope.asText().equals("resource"))) {
                throw new DatafnException(ErrorCode.DFQL_SHARE_SCOPE_INVALID,
                        "Invalid DFQL: scope must be one of [record, resource]", base + ".scope");
            }
            resourceScope = scope.asText().equals("resource");
        }
        if (resourceScope && m.hasNonNull("id")) {
            throw new DatafnException(ErrorCode.DFQL_SHARE_SCOPE_INVALID,
                    "Invalid DFQL: a resource-scope share takes no id", base + ".id");
        }
        JsonNode with = m.get("shareWith");
        if (with == null || !with.isObject()) {
            throw new DatafnException(ErrorCode.DFQL_PRINCIPAL_INVALID, "Invalid DFQL: shareWith must be object", base + ".shareWith");
        }
        JsonNode principal = with.hasNonNull("principalId") ? with.get("principalId") : with.get("userId");
        String key = with.hasNonNull("principalId") ? "principalId" : "userId";
        if (principal == null || !principal.isTextual() || principal.asText().isEmpty()
                || principal.asText().length() > limits.maxIdLength()) {
            throw new DatafnException(ErrorCode.DFQL_PRINCIPAL_INVALID,
                    "Invalid DFQL: shareWith.principalId or shareWith.userId must be a non-empty string of at most "
                            + limits.maxIdLength() + " characters", base + ".shareWith." + key);
        }
        String level = res.sharing().levels().contains("viewer") ? "viewer" : res.sharing().levels().get(0);
        JsonNode lv = with.get("level");
        if (lv != null && !lv.isNull()) {
            if (!lv.isTextual() || !res.sharing().levels().contains(lv.asText())) {
                throw DatafnException.invalid("Invalid DFQL: shareWith.level must be one of " + res.sharing().levels(),
                        base + ".shareWith.level");
            }
            level = lv.asText();
        }
        return new Mutation.Share(principal.asText(), level, resourceScope);
    }

    private static String payloadHash(JsonNode m) {
        ObjectNode p = Json.object();
        for (String k : PAYLOAD_KEYS) {
            if (m.has(k)) {
                p.set(k, m.get(k));
            }
        }
        return Json.canonical(p);
    }

    private String key(JsonNode m, String name, String base) {
        JsonNode v = m.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw DatafnException.invalid("Invalid DFQL: " + name + " must be a non-empty string", base + "." + name);
        }
        if (v.asText().length() > limits.maxIdLength()) {
            throw DatafnException.invalid(name + " exceeds maximum length (" + limits.maxIdLength() + ")", base + "." + name);
        }
        return v.asText();
    }

    private static void version(JsonNode v, String base) {
        if (v == null || v.isNull()) {
            return;
        }
        boolean ok = (v.isNumber() && v.canConvertToExactIntegral() && v.asDouble() >= 1)
                || (v.isTextual() && v.asText().matches("[1-9][0-9]{0,9}"));
        if (!ok) {
            throw DatafnException.invalid("Invalid DFQL: version must be a positive integer", base + ".version");
        }
    }

    private String id(JsonNode m, Resource res, Operation op, JsonNode record, String base) {
        JsonNode v = m.get("id");
        if ((v == null || v.isNull()) && op == Operation.INSERT && record != null && record.path("id").isTextual()) {
            v = record.get("id");
        }
        if (v == null || v.isNull()) {
            if (op == Operation.INSERT) {
                return null; // the server generates one
            }
            throw DatafnException.invalid("Invalid DFQL: id must be string", base + ".id");
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw DatafnException.invalid("Invalid DFQL: id must be string", base + ".id");
        }
        String id = v.asText();
        if (id.length() > limits.maxIdLength()) {
            throw DatafnException.invalid("ID exceeds maximum length (" + limits.maxIdLength() + ")", base + ".id");
        }
        if (res.idPrefix() != null && !id.startsWith(res.idPrefix())) {
            throw DatafnException.invalid("Invalid id: must start with \"" + res.idPrefix() + "\"", base + ".id");
        }
        if (record != null && record.path("id").isTextual() && !record.get("id").asText().equals(id)) {
            throw DatafnException.invalid("Invalid DFQL: record.id must equal id", base + ".record.id");
        }
        return id;
    }

    private ObjectNode record(Resource res, JsonNode rec, Operation op, String path) {
        if (!rec.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: record must be object", path);
        }
        ObjectNode out = Json.object();
        Iterator<Map.Entry<String, JsonNode>> it = rec.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.equals("id")) {
                continue;
            }
            Field f = res.field(k);
            if (f != null && f.system()) {
                continue; // capability fields are written by the server only; the original drops them silently
            }
            if (f == null || !f.writable()) {
                throw DatafnException.unknownField("Unknown field: " + k + " on " + res.name(), path + "." + k);
            }
            out.set(k, FieldValues.checked(f, e.getValue(), path + "." + k));
        }
        if (op == Operation.INSERT || op == Operation.REPLACE) {
            for (Field f : res.fields()) {
                if (f.required() && !f.hasDefault() && f.writable()) {
                    JsonNode v = out.get(f.name());
                    if (v == null || (v.isNull() && !f.nullable())) {
                        throw DatafnException.invalid("Required field missing: " + f.name(), path + "." + f.name());
                    }
                }
            }
        }
        return out;
    }

    private List<Mutation.RelationChange> relations(Resource res, JsonNode m, String base) {
        List<Mutation.RelationChange> out = new ArrayList<>();
        JsonNode rels = m.get("relations");
        if (rels != null && !rels.isNull()) {
            if (!rels.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: relations must be object", base + ".relations");
            }
            Iterator<Map.Entry<String, JsonNode>> it = rels.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String path = base + ".relations." + e.getKey();
                Link link = res.link(e.getKey());
                if (link == null) {
                    throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RELATION, "Unknown relation: " + e.getKey(), path);
                }
                out.add(new Mutation.RelationChange(link, targets(link, e.getValue(), path), "relations." + e.getKey()));
            }
        }
        JsonNode relation = m.get("relation");
        if (relation != null && !relation.isNull()) {
            String path = base + ".relation";
            if (!relation.isTextual() || res.link(relation.asText()) == null) {
                throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RELATION, "Unknown relation: " + relation.asText(), path);
            }
            Link link = res.link(relation.asText());
            JsonNode target = m.get("targetId");
            if (target == null || !(target.isTextual() || target.isArray())) {
                throw DatafnException.invalid("Invalid DFQL: targetId must be string", base + ".targetId");
            }
            JsonNode payload = target;
            JsonNode meta = m.get("metadata");
            if (meta != null && !meta.isNull()) {
                if (!meta.isObject() || !target.isTextual()) {
                    throw DatafnException.invalid("Invalid DFQL: metadata must be object", base + ".metadata");
                }
                ObjectNode o = ((ObjectNode) meta).deepCopy();
                o.put("$ref", target.asText());
                payload = o;
            }
            out.add(new Mutation.RelationChange(link, targets(link, payload, base + ".metadata"), "relation"));
        }
        return out;
    }

    private List<Mutation.Target> targets(Link link, JsonNode payload, String path) {
        List<Mutation.Target> out = new ArrayList<>();
        if (payload.isArray()) {
            for (int i = 0; i < payload.size(); i++) {
                out.add(target(link, payload.get(i), path + "[" + i + "]"));
            }
        } else {
            out.add(target(link, payload, path));
        }
        return out;
    }

    private Mutation.Target target(Link link, JsonNode item, String path) {
        if (item.isTextual() && !item.asText().isEmpty()) {
            return new Mutation.Target(item.asText(), Json.object());
        }
        if (!item.isObject() || !item.path("$ref").isTextual() || item.get("$ref").asText().isEmpty()) {
            throw DatafnException.invalid("Invalid DFQL: relation target must be an id or {\"$ref\": id, ...metadata}", path);
        }
        ObjectNode meta = Json.object();
        Iterator<Map.Entry<String, JsonNode>> it = item.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("$ref")) {
                continue;
            }
            Field f = link.relation().metadataField(e.getKey());
            if (f == null) {
                throw DatafnException.unknownField("Unknown relation metadata key: " + e.getKey(), path + "." + e.getKey());
            }
            meta.set(f.name(), FieldValues.checked(nullable(f), e.getValue(), path + "." + e.getKey()));
        }
        return new Mutation.Target(item.get("$ref").asText(), meta);
    }

    /** Relation metadata values may be null unless declared otherwise. */
    private static Field nullable(Field f) {
        return f.nullable() || f.required() ? f : new Field(f.name(), f.type(), false, true, false, f.defaultValue(),
                false, f.enumValues(), f.min(), f.max(), f.minLength(), f.maxLength(), f.pattern(), false, false);
    }
}
