package io.datafn.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.json.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Loads and validates a DataFn schema document (PROTOCOL.md "Schema"), adds the built-in {@code kv} and
 * {@code datafnTimezoneChange} resources and the capability fields, and derives relation links. Every problem is
 * collected with its JSON path; any problem means {@link SchemaException}. What this server accepts but the DataFn
 * client would refuse is collected too, as {@link Schema#warnings()}.
 */
public final class SchemaParser {
    /** Capabilities this server implements; anything else is refused at start-up until it is built. */
    public static final Set<String> SUPPORTED_CAPABILITIES = Set.of("timestamps", "audit", "trash", "archivable", "shareable");
    private static final Set<String> SHARE_LEVELS = Set.of("viewer", "editor", "owner");
    public static final int MAX_RESOURCES = 100;
    public static final int MAX_FIELDS = 200;

    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,62}");
    private static final Set<FieldType> METADATA_TYPES = Set.of(FieldType.STRING, FieldType.NUMBER, FieldType.BOOLEAN,
            FieldType.DATE, FieldType.OBJECT, FieldType.JSON);

    /**
     * The built-in resources of the original (reference-query-mutation.md §2.8), appended in this order when the
     * schema does not define them; parsed like any resource, without capabilities.
     */
    private static final List<String> BUILT_INS = List.of("""
            {"name":"kv","version":1,"idPrefix":"kv","fields":[{"name":"id","type":"string","required":true},
             {"name":"value","type":"json","required":false,"nullable":true}],"indices":["id"]}""", """
            {"name":"datafnTimezoneChange","version":1,"idPrefix":"timezoneChange","fields":[
             {"name":"id","type":"string","required":true},{"name":"timezone","type":"string","required":true},
             {"name":"effectiveFrom","type":"number","required":true},{"name":"recordedAt","type":"number","required":true},
             {"name":"source","type":"string","required":false,"nullable":true}],"indices":["id","effectiveFrom","timezone"]}""");

    private final List<SchemaException.Problem> problems = new ArrayList<>();
    private final List<Schema.Warning> warnings = new ArrayList<>();

    private SchemaParser() {
    }

    public static Schema parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new SchemaException(List.of(new SchemaException.Problem("$", "cannot read " + file + ": " + e.getMessage())));
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new SchemaException(List.of(new SchemaException.Problem("$", "not valid JSON: " + e.getMessage())));
        }
        return parse(node);
    }

    public static Schema parse(JsonNode doc) {
        return new SchemaParser().run(doc);
    }

    private void problem(String path, String message) {
        problems.add(new SchemaException.Problem(path, message));
    }

    private void warn(String path, String message) {
        warnings.add(new Schema.Warning(path, message));
    }

    private Schema run(JsonNode doc) {
        if (doc == null || !doc.isObject()) {
            problem("$", "the schema must be a JSON object");
            throw new SchemaException(problems);
        }
        if (!doc.path("resources").isArray()) {
            problem("resources", "Invalid schema: missing resources (an array is required)");
            throw new SchemaException(problems);
        }
        Set<String> globalCaps = capabilityList(doc.get("capabilities"), "capabilities");
        Sharing globalSharing = sharing(doc.get("capabilities"), "capabilities");
        ArrayNode resNodes = (ArrayNode) doc.get("resources");
        if (resNodes.size() > MAX_RESOURCES) {
            problem("resources", "at most " + MAX_RESOURCES + " resources are allowed, got " + resNodes.size());
        }
        Map<String, ResourceDraft> drafts = new LinkedHashMap<>();
        for (int i = 0; i < resNodes.size(); i++) {
            ResourceDraft d = resource(resNodes.get(i), "resources[" + i + "]", globalCaps, globalSharing);
            if (d == null) {
                continue;
            }
            if (drafts.containsKey(d.name)) {
                problem("resources[" + i + "].name", "duplicate resource name '" + d.name + "'");
            } else {
                drafts.put(d.name, d);
            }
        }
        warnSharedIdPrefixes(drafts.values());
        for (String builtIn : BUILT_INS) {
            addBuiltIn(drafts, Json.parse(builtIn));
        }
        List<Relation> relations = relations(doc.get("relations"), drafts);
        if (!problems.isEmpty()) {
            throw new SchemaException(problems);
        }
        List<Resource> resources = new ArrayList<>();
        for (ResourceDraft d : drafts.values()) {
            resources.add(new Resource(d.name, d.version, d.idPrefix, d.fields, d.indices, d.caps, d.links, d.search,
                    d.vector, d.caps.contains("shareable") ? d.sharing : null));
        }
        return new Schema(resources, relations, globalCaps, normalized(resources, relations, globalCaps), warnings);
    }

    private static final class ResourceDraft {
        String name;
        int version;
        String idPrefix;
        List<Field> fields = new ArrayList<>();
        List<List<String>> indices = new ArrayList<>();
        List<String> search = new ArrayList<>();
        List<String> vector = new ArrayList<>();
        boolean idDeclared;
        Set<String> caps = new TreeSet<>();
        Map<String, Link> links = new LinkedHashMap<>();
        Sharing sharing;
        String path;

        Field field(String n) {
            for (Field f : fields) {
                if (f.name().equals(n)) {
                    return f;
                }
            }
            return null;
        }
    }

    private Set<String> capabilityList(JsonNode node, String path) {
        Set<String> caps = new TreeSet<>();
        if (node == null || node.isNull()) {
            return caps;
        }
        if (!node.isArray()) {
            problem(path, "capabilities must be an array of names (or {\"exclude\": [...]} on a resource)");
            return caps;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode c = node.get(i);
            String name = c.isTextual() ? c.asText() : c.isObject() && c.size() == 1 ? c.fieldNames().next() : null;
            if (name == null) {
                problem(path + "[" + i + "]", "a capability must be a name");
            } else if (!SUPPORTED_CAPABILITIES.contains(name)) {
                problem(path + "[" + i + "]", "capability '" + name + "' is not supported by this server"
                        + " (supported: archivable, audit, shareable, timestamps, trash)");
            } else {
                caps.add(name);
            }
        }
        return caps;
    }

    /**
     * The {@code shareable} configuration among capability entries ({@code {"shareable": {levels, default}}} or the
     * bare name), or null when the list has none. Levels default to viewer, editor, owner; visibility to private.
     */
    private Sharing sharing(JsonNode caps, String path) {
        if (caps == null || !caps.isArray()) {
            return null;
        }
        for (int i = 0; i < caps.size(); i++) {
            JsonNode c = caps.get(i);
            if (c.isTextual() && c.asText().equals("shareable")) {
                return Sharing.DEFAULT;
            }
            if (c.isObject() && c.has("shareable")) {
                return sharingConfig(c.get("shareable"), path + "[" + i + "].shareable");
            }
        }
        return null;
    }

    private Sharing sharingConfig(JsonNode cfg, String path) {
        if (cfg == null || cfg.isNull() || cfg.isBoolean()) {
            return Sharing.DEFAULT;
        }
        if (!cfg.isObject()) {
            problem(path, "the shareable configuration must be an object");
            return Sharing.DEFAULT;
        }
        List<String> levels = new ArrayList<>(Sharing.DEFAULT.levels());
        JsonNode lv = cfg.get("levels");
        if (lv != null && !lv.isNull()) {
            levels.clear();
            if (!lv.isArray() || lv.isEmpty()) {
                problem(path + ".levels", "levels must be a non-empty array of viewer, editor, owner");
            } else {
                for (int i = 0; i < lv.size(); i++) {
                    if (!lv.get(i).isTextual() || !SHARE_LEVELS.contains(lv.get(i).asText())) {
                        problem(path + ".levels[" + i + "]", "a share level is one of viewer, editor, owner");
                    } else {
                        levels.add(lv.get(i).asText());
                    }
                }
            }
        }
        String dflt = Sharing.DEFAULT.defaultVisibility();
        JsonNode dv = cfg.get("default");
        if (dv != null && !dv.isNull()) {
            if (!dv.isTextual() || !(dv.asText().equals("private") || dv.asText().equals("shared"))) {
                problem(path + ".default", "default must be private or shared");
            } else {
                dflt = dv.asText();
            }
        }
        return new Sharing(levels, dflt);
    }

    private ResourceDraft resource(JsonNode node, String path, Set<String> globalCaps, Sharing globalSharing) {
        if (!node.isObject()) {
            problem(path, "a resource must be an object");
            return null;
        }
        ResourceDraft d = new ResourceDraft();
        d.path = path;
        JsonNode name = node.get("name");
        if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
            problem(path + ".name", "resource name must match [A-Za-z][A-Za-z0-9_]{0,62}");
            return null;
        }
        d.name = name.asText();
        if (d.name.startsWith("datafn_")) {
            problem(path + ".name", "resource names starting with 'datafn_' are reserved");
        }
        JsonNode version = node.get("version");
        if (version == null || !version.canConvertToExactIntegral() || !version.isNumber()) {
            problem(path + ".version", "version must be an integer");
        } else {
            d.version = version.asInt();
        }
        JsonNode prefix = node.get("idPrefix");
        if (prefix != null && !prefix.isNull()) {
            if (!prefix.isTextual() || prefix.asText().isEmpty()) {
                problem(path + ".idPrefix", "idPrefix must be a non-empty string");
            } else {
                d.idPrefix = prefix.asText();
                if (d.idPrefix.endsWith(":") || d.idPrefix.endsWith("-")) {
                    // the server generates <idPrefix><uuid> then (PROTOCOL.md "Generated ids"): the two id forms differ
                    warn(path + ".idPrefix", "\"" + d.idPrefix + "\" ends with '" + d.idPrefix.charAt(d.idPrefix.length() - 1)
                            + "'; the DataFn client generates ids as \"<idPrefix>:<uuid>\", so its ids would be \""
                            + d.idPrefix + ":<uuid>\" while this server generates \"" + d.idPrefix + "<uuid>\"");
                }
            }
        }
        JsonNode caps = node.get("capabilities");
        d.sharing = globalSharing;
        Sharing own = sharing(caps, path + ".capabilities");
        if (own != null) {
            d.sharing = own;
        }
        if (caps != null && caps.isObject()) {
            Set<String> exclude = new HashSet<>();
            caps.path("exclude").forEach(e -> exclude.add(e.asText()));
            for (String c : globalCaps) {
                if (!exclude.contains(c)) {
                    d.caps.add(c);
                }
            }
        } else {
            d.caps.addAll(globalCaps);
            d.caps.addAll(capabilityList(caps, path + ".capabilities"));
        }
        if (d.caps.contains("shareable") && !d.caps.contains("audit")) {
            // the owner of a private record is its createdBy, which only the audit capability records
            problem(path + ".capabilities", "CAPABILITY_DEPENDENCY: capability 'shareable' requires 'audit' on " + d.name);
        }
        JsonNode fields = node.get("fields");
        if (fields == null || !fields.isArray()) {
            problem(path + ".fields", "fields must be an array");
            return d;
        }
        if (fields.size() > MAX_FIELDS) {
            problem(path + ".fields", "at most " + MAX_FIELDS + " fields are allowed, got " + fields.size());
        }
        for (int i = 0; i < fields.size(); i++) {
            String fp = path + ".fields[" + i + "]";
            Field f = field(fields.get(i), fp, false);
            if (f == null) {
                continue;
            }
            if (f.name().equals("id")) {
                d.idDeclared = true;
                if (f.type() != FieldType.STRING) {
                    problem(fp + ".type", "the id field must be of type string");
                }
                continue;
            }
            if (d.field(f.name()) != null) {
                problem(fp + ".name", "duplicate field name '" + f.name() + "'");
                continue;
            }
            d.fields.add(f);
        }
        addCapabilityFields(d, path);
        indices(node.get("indices"), d, path + ".indices");
        return d;
    }

    private void addCapabilityFields(ResourceDraft d, String path) {
        List<Field> injected = new ArrayList<>();
        if (d.caps.contains("timestamps")) {
            // The original writes epoch-millisecond numbers (Date.now()) into these fields.
            injected.add(Field.simple("createdAt", FieldType.NUMBER, true));
            injected.add(Field.simple("updatedAt", FieldType.NUMBER, true));
        }
        if (d.caps.contains("audit")) {
            injected.add(Field.simple("createdBy", FieldType.STRING, true));
            injected.add(Field.simple("updatedBy", FieldType.STRING, true));
        }
        if (d.caps.contains("trash")) {
            injected.add(Field.simple("trashedAt", FieldType.DATE, true));
            injected.add(Field.simple("trashedBy", FieldType.STRING, true));
        }
        if (d.caps.contains("archivable")) {
            // writable by clients (the original's one writable capability field), never null
            injected.add(new Field("isArchived", FieldType.BOOLEAN, false, false, false, Json.NODES.booleanNode(false),
                    false, List.of(), null, null, null, null, null, false, false));
        }
        if (d.caps.contains("shareable")) {
            // read-only but not silently dropped: a client that writes it gets DFQL_UNKNOWN_FIELD, as the original
            injected.add(new Field("visibility", FieldType.STRING, false, true, false, null, true, List.of(), null, null,
                    null, null, null, false, false));
        }
        for (Field f : injected) {
            if (d.field(f.name()) != null) {
                problem(path + ".fields", "CAPABILITY_FIELD_COLLISION: field '" + f.name()
                        + "' collides with a field of a capability of the resource");
            } else {
                d.fields.add(f);
            }
        }
    }

    private Field field(JsonNode node, String path, boolean metadata) {
        if (!node.isObject()) {
            problem(path, "a field must be an object");
            return null;
        }
        JsonNode name = node.get("name");
        if (name == null || !name.isTextual() || !NAME.matcher(name.asText()).matches()) {
            problem(path + ".name", "field name must match [A-Za-z][A-Za-z0-9_]{0,62}");
            return null;
        }
        String n = name.asText();
        FieldType type = FieldType.parse(node.path("type").asText(null));
        if (type == null || (metadata && !METADATA_TYPES.contains(type))) {
            problem(path + ".type", "invalid type '" + node.path("type").asText("") + "'"
                    + (metadata ? " (metadata types: string, number, boolean, date, object, json)"
                    : " (types: string, number, boolean, object, array, date, file, json)"));
            return null;
        }
        boolean required = bool(node, "required", n.equals("id"), path);
        boolean nullable = bool(node, "nullable", false, path);
        boolean unique = bool(node, "unique", false, path);
        boolean readonly = bool(node, "readonly", false, path);
        JsonNode def = node.get("default");
        if (def != null && !(def.isNull() && nullable) && !FieldValues.matches(type, def)) {
            problem(path + ".default", "default does not match type " + type.wireName());
        }
        List<JsonNode> enumValues = new ArrayList<>();
        JsonNode en = node.get("enum");
        if (en != null && !en.isNull()) {
            if (!en.isArray()) {
                problem(path + ".enum", "enum must be an array");
            } else {
                en.forEach(enumValues::add);
            }
        }
        Double min = number(node, "min", path);
        Double max = number(node, "max", path);
        if (type == FieldType.DATE) {
            warnDateBounds(min, max, path);
        }
        Double minLength = number(node, "minLength", path);
        Double maxLength = number(node, "maxLength", path);
        String pattern = null;
        JsonNode pat = node.get("pattern");
        if (pat != null && !pat.isNull()) {
            if (!pat.isTextual()) {
                problem(path + ".pattern", "pattern must be a string");
            } else {
                try {
                    Pattern.compile(pat.asText());
                    pattern = pat.asText();
                } catch (PatternSyntaxException e) {
                    problem(path + ".pattern", "pattern is not a valid regular expression: " + e.getDescription());
                }
            }
        }
        Field f = new Field(n, type, required, nullable, unique, def, readonly, enumValues, min, max,
                minLength == null ? null : minLength.intValue(), maxLength == null ? null : maxLength.intValue(),
                pattern, false, false);
        return def == null || def.isNull() || !FieldValues.matches(type, def) ? f : withStoredDefault(f, path);
    }

    /**
     * The field with its default checked against its own rules and kept in storage form (dates as epoch
     * milliseconds), once, so that writes copy it as it is.
     */
    private Field withStoredDefault(Field f, String path) {
        try {
            JsonNode stored = FieldValues.checked(f, f.defaultValue(), path + ".default");
            return new Field(f.name(), f.type(), f.required(), f.nullable(), f.unique(), stored, f.readonly(),
                    f.enumValues(), f.min(), f.max(), f.minLength(), f.maxLength(), f.pattern(), f.system(), f.implicit());
        } catch (io.datafn.error.DatafnException e) {
            problem(path + ".default", "the default breaks the field's own rule: " + e.getMessage());
            return f;
        }
    }

    /**
     * The client refuses date bounds out of order. (A default outside its bounds breaks the field's own rule: that
     * is a problem here, see {@link #withStoredDefault}.)
     */
    private void warnDateBounds(Double min, Double max, String path) {
        if (min != null && max != null && min > max) {
            warn(path + ".min", "the DataFn client refuses a date field whose min exceeds its max");
        }
    }

    private boolean bool(JsonNode node, String key, boolean dflt, String path) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            problem(path + "." + key, key + " must be a boolean");
            return dflt;
        }
        return v.asBoolean();
    }

    private Double number(JsonNode node, String key, String path) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            problem(path + "." + key, key + " must be a number");
            return null;
        }
        return v.asDouble();
    }

    /**
     * {@code indices}: an array (the base indices) or the client's {@code {base, search, vector}}. A base entry is a
     * field name, or (our extension, which the client refuses) an array of names or {@code {fields:[...]}} for a
     * composite index; search and vector entries are field names, kept as declared.
     */
    private void indices(JsonNode node, ResourceDraft d, String path) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            baseIndices(node, d, path);
            return;
        }
        baseIndices(node.get("base"), d, path + ".base");
        for (String kind : List.of("search", "vector")) {
            JsonNode list = node.get(kind);
            if (list == null || list.isNull()) {
                continue;
            }
            if (!list.isArray()) {
                problem(path + "." + kind, "indices." + kind + " must be an array of field names");
                continue;
            }
            for (int i = 0; i < list.size(); i++) {
                String ip = path + "." + kind + "[" + i + "]";
                if (!list.get(i).isTextual()) {
                    problem(ip, "a " + kind + " index is a field name");
                } else if (indexField(list.get(i).asText(), d, ip, true)) {
                    (kind.equals("search") ? d.search : d.vector).add(list.get(i).asText());
                }
            }
        }
    }

    private void baseIndices(JsonNode node, ResourceDraft d, String path) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isArray()) {
            problem(path, "indices must be an array");
            return;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode idx = node.get(i);
            String ip = path + "[" + i + "]";
            List<String> cols = new ArrayList<>();
            if (idx.isTextual()) {
                cols.add(idx.asText());
            } else if (idx.isArray() || (idx.isObject() && idx.path("fields").isArray())) {
                (idx.isArray() ? idx : idx.get("fields")).forEach(c -> cols.add(c.asText()));
                warn(ip, "the DataFn client refuses non-string index definitions (index definitions must be string[])");
            } else {
                problem(ip, "an index is a field name or an array of field names");
                continue;
            }
            boolean ok = !cols.isEmpty();
            for (String c : cols) {
                ok &= indexField(c, d, ip, idx.isTextual());
            }
            if (ok && !(cols.size() == 1 && cols.get(0).equals("id"))) {
                d.indices.add(cols);
            }
        }
    }

    /**
     * Whether {@code c} may be indexed: {@code id} or a field of the resource (a problem otherwise). The client only
     * knows {@code id} as an index field when the resource declares it among its fields.
     */
    private boolean indexField(String c, ResourceDraft d, String path, boolean warnUndeclaredId) {
        if (c.equals("id")) {
            if (!d.idDeclared && warnUndeclaredId) {
                warn(path, "the DataFn client refuses index fields that are not declared fields ('id' is not among"
                        + " the fields of " + d.name + ")");
            }
            return true;
        }
        if (d.field(c) == null) {
            problem(path, "index field '" + c + "' is not a field of " + d.name);
            return false;
        }
        return true;
    }

    /**
     * The client refuses two resources whose id prefixes are equal once a trailing ':' is dropped (a resource without
     * {@code idPrefix} has its name as prefix), and a prefix that is empty then.
     */
    private void warnSharedIdPrefixes(Iterable<ResourceDraft> drafts) {
        Map<String, String> owners = new HashMap<>();
        for (ResourceDraft d : drafts) {
            String p = d.idPrefix == null ? d.name
                    : d.idPrefix.endsWith(":") ? d.idPrefix.substring(0, d.idPrefix.length() - 1) : d.idPrefix;
            String other = owners.putIfAbsent(p, d.name);
            if (p.isEmpty()) {
                warn(d.path + ".idPrefix", "the DataFn client refuses an idPrefix that is empty without its trailing ':'");
            } else if (other != null) {
                warn(d.path + ".idPrefix", "the DataFn client refuses it: resource '" + other + "' has the same id prefix \""
                        + p + "\" (a trailing ':' dropped, the name when there is no idPrefix)");
            }
        }
    }

    /**
     * Appends a built-in resource, or checks that the schema's resource of that name is compatible with it: the same
     * fields with the same types (capability fields aside), so that clients of the original can use it.
     */
    private void addBuiltIn(Map<String, ResourceDraft> drafts, JsonNode definition) {
        String name = definition.get("name").asText();
        ResourceDraft builtIn = resource(definition, name, Set.of(), null);
        ResourceDraft existing = drafts.get(name);
        if (existing == null) {
            drafts.put(name, builtIn);
            return;
        }
        boolean compatible = existing.fields.stream().allMatch(f -> f.system() || builtIn.field(f.name()) != null);
        StringBuilder fields = new StringBuilder("id");
        for (Field f : builtIn.fields) {
            Field mine = existing.field(f.name());
            compatible &= mine != null && mine.type() == f.type();
            fields.append(", ").append(f.name()).append(": ").append(f.type().wireName());
        }
        if (!compatible) {
            problem(existing.path, "a user-defined '" + name + "' resource must be compatible with the built-in one (fields "
                    + fields + ")");
        }
    }

    private List<Relation> relations(JsonNode node, Map<String, ResourceDraft> drafts) {
        List<Relation> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            problem("relations", "relations must be an array");
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            String path = "relations[" + i + "]";
            JsonNode r = node.get(i);
            if (!r.isObject()) {
                problem(path, "a relation must be an object");
                continue;
            }
            if (r.path("from").isArray() || r.path("to").isArray()) {
                problem(path, "polymorphic relations (from/to arrays) are not supported by this server yet");
                continue;
            }
            String from = r.path("from").asText(null);
            String to = r.path("to").asText(null);
            ResourceDraft src = from == null ? null : drafts.get(from);
            ResourceDraft dst = to == null ? null : drafts.get(to);
            if (src == null) {
                problem(path + ".from", "from must name a resource, got " + r.path("from"));
            }
            if (dst == null) {
                problem(path + ".to", "to must name a resource, got " + r.path("to"));
            }
            String typeName = r.path("type").asText("");
            RelationType type = RelationType.parse(typeName);
            if (type == null) {
                problem(path + ".type", typeName.equals("htree")
                        ? "htree relations are not supported by this server yet"
                        : "type must be one-many, many-one or many-many");
            }
            String name = r.path("relation").asText(null);
            if (name == null || !NAME.matcher(name).matches()) {
                problem(path + ".relation", "relation must be a name matching [A-Za-z][A-Za-z0-9_]{0,62}");
            }
            String inverse = r.hasNonNull("inverse") ? r.get("inverse").asText() : null;
            if (inverse != null && !NAME.matcher(inverse).matches()) {
                problem(path + ".inverse", "inverse must be a name matching [A-Za-z][A-Za-z0-9_]{0,62}");
            }
            OnDelete onDelete = r.path("onDelete").isTextual() ? OnDelete.parse(r.get("onDelete").asText())
                    : r.hasNonNull("onDelete") ? null : OnDelete.NONE;
            if (onDelete == null) {
                problem(path + ".onDelete", "onDelete must be one of restrict, cascade, setNull, detach");
            }
            List<Field> metadata = new ArrayList<>();
            JsonNode meta = r.get("metadata");
            if (meta != null && !meta.isNull()) {
                if (!meta.isArray()) {
                    problem(path + ".metadata", "metadata must be an array of fields");
                } else if (type != RelationType.MANY_MANY) {
                    problem(path + ".metadata", "metadata is only allowed on many-many relations");
                } else {
                    for (int m = 0; m < meta.size(); m++) {
                        Field f = field(meta.get(m), path + ".metadata[" + m + "]", true);
                        if (f != null) {
                            if (f.name().equals("from") || f.name().equals("to") || f.name().equals("id")) {
                                problem(path + ".metadata[" + m + "].name", "metadata may not be named from, to or id");
                            } else {
                                metadata.add(f);
                            }
                        }
                    }
                }
            }
            if (src == null || dst == null || type == null || name == null || onDelete == null) {
                continue;
            }
            String fk = r.hasNonNull("fkField") ? r.get("fkField").asText()
                    : r.hasNonNull("foreignKey") ? r.get("foreignKey").asText() : null;
            ResourceDraft fkOwner = null;
            if (type == RelationType.MANY_ONE) {
                fk = fk != null ? fk : name + "Id";
                fkOwner = src;
            } else if (type == RelationType.ONE_MANY) {
                fk = fk != null ? fk : (inverse != null ? inverse : from) + "Id";
                fkOwner = dst;
            } else {
                fk = null;
            }
            if (fkOwner != null) {
                Field existing = fkOwner.field(fk);
                if (existing == null) {
                    fkOwner.fields.add(Field.simple(fk, FieldType.STRING, false));
                } else if (existing.type() != FieldType.STRING) {
                    problem(path + ".fkField", "foreign key field '" + fk + "' of " + fkOwner.name + " must be a string");
                }
            }
            Relation rel = new Relation(from, to, type, name, inverse, fk, metadata, onDelete);
            out.add(rel);
            Link forward = switch (type) {
                case MANY_ONE -> new Link(name, from, to, Link.Kind.FK_ON_SOURCE, fk, rel, true);
                case ONE_MANY -> new Link(name, from, to, Link.Kind.FK_ON_TARGET, fk, rel, true);
                case MANY_MANY -> new Link(name, from, to, Link.Kind.JOIN, null, rel, true);
            };
            addLink(src, forward, path + ".relation");
            if (inverse != null) {
                Link back = switch (type) {
                    case MANY_ONE -> new Link(inverse, to, from, Link.Kind.FK_ON_TARGET, fk, rel, false);
                    case ONE_MANY -> new Link(inverse, to, from, Link.Kind.FK_ON_SOURCE, fk, rel, false);
                    case MANY_MANY -> new Link(inverse, to, from, Link.Kind.JOIN, null, rel, false);
                };
                addLink(dst, back, path + ".inverse");
            }
        }
        return out;
    }

    private void addLink(ResourceDraft owner, Link link, String path) {
        if (owner.links.containsKey(link.name()) || owner.field(link.name()) != null || link.name().equals("id")) {
            problem(path, "'" + link.name() + "' is already a field or relation of " + owner.name);
            return;
        }
        owner.links.put(link.name(), link);
    }

    private static ObjectNode normalized(List<Resource> resources, List<Relation> relations, Set<String> caps) {
        ObjectNode root = Json.object();
        ArrayNode capNode = root.putArray("capabilities");
        new TreeSet<>(caps).forEach(capNode::add);
        ArrayNode res = root.putArray("resources");
        for (Resource r : resources) {
            ObjectNode rn = res.addObject();
            rn.put("name", r.name());
            rn.put("version", r.version());
            if (r.idPrefix() != null) {
                rn.put("idPrefix", r.idPrefix());
            }
            ArrayNode rc = rn.putArray("capabilities");
            new TreeSet<>(r.capabilities()).forEach(rc::add);
            if (r.sharing() != null) {
                ObjectNode sh = rn.putObject("shareable");
                r.sharing().levels().forEach(sh.putArray("levels")::add);
                sh.put("default", r.sharing().defaultVisibility());
            }
            ArrayNode fs = rn.putArray("fields");
            for (Field f : r.fields()) {
                fs.add(fieldNode(f));
            }
            ArrayNode idx = rn.putArray("indices");
            for (List<String> cols : r.indices()) {
                ArrayNode c = idx.addArray();
                cols.forEach(c::add);
            }
            if (!r.searchIndices().isEmpty()) {
                r.searchIndices().forEach(rn.putArray("searchIndices")::add);
            }
            if (!r.vectorIndices().isEmpty()) {
                r.vectorIndices().forEach(rn.putArray("vectorIndices")::add);
            }
        }
        ArrayNode rels = root.putArray("relations");
        for (Relation rel : relations) {
            ObjectNode n = rels.addObject();
            n.put("from", rel.from());
            n.put("to", rel.to());
            n.put("type", rel.type().wireName());
            n.put("relation", rel.relation());
            if (rel.inverse() != null) {
                n.put("inverse", rel.inverse());
            }
            if (rel.fkField() != null) {
                n.put("fkField", rel.fkField());
            }
            n.put("onDelete", rel.onDelete().name());
            ArrayNode meta = n.putArray("metadata");
            rel.metadata().forEach(f -> meta.add(fieldNode(f)));
        }
        return root;
    }

    private static ObjectNode fieldNode(Field f) {
        ObjectNode n = Json.object();
        n.put("name", f.name());
        n.put("type", f.type().wireName());
        n.put("required", f.required());
        n.put("nullable", f.nullable());
        n.put("unique", f.unique());
        n.put("readonly", f.readonly());
        if (f.system()) {
            n.put("system", true);
        }
        if (f.hasDefault()) {
            n.set("default", f.defaultValue());
        }
        if (!f.enumValues().isEmpty()) {
            ArrayNode e = n.putArray("enum");
            f.enumValues().forEach(e::add);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("min", f.min());
        extra.put("max", f.max());
        extra.put("minLength", f.minLength());
        extra.put("maxLength", f.maxLength());
        extra.put("pattern", f.pattern());
        extra.forEach((k, v) -> {
            if (v != null) {
                n.set(k, Json.MAPPER.valueToTree(v));
            }
        });
        return n;
    }
}
