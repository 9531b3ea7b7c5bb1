package io.datafn.openapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.Operation;
import io.datafn.router.Outcome;
import io.datafn.router.Route;
import io.datafn.schema.Field;
import io.datafn.schema.FieldType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * {@code GET openapi.json}: an OpenAPI 3.1 document of this server, generated from the route table and the loaded
 * schema. Every route of the table becomes an operation (the REST routes one per resource); each resource gets a
 * record schema (every field, capability fields included, as the server sends them), an input schema (the fields a
 * client may write), and its query and mutation shapes; every error answer is the protocol's error envelope.
 * The document is built once, when the route table is complete ({@link #describe}).
 */
public final class OpenApi {
    private static final String REF = "#/components/schemas/";
    private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._-]");

    private final Schema schema;
    private final String basePath;
    private final Limits limits;
    private volatile byte[] document;

    public OpenApi(Schema schema, String basePath, Limits limits) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.basePath = Objects.requireNonNull(basePath, "basePath");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Builds the document for the finished route table (the {@code openapi.json} route included). */
    public void describe(List<Route> routes) {
        document = Json.bytes(document(routes));
    }

    /** The route's answer: the document as it is, no envelope (tools read it directly). */
    public Outcome outcome() {
        byte[] d = document;
        if (d == null) {
            throw new IllegalStateException("OpenApi.describe(routes) was not called");
        }
        return new Outcome.Content("application/json", d);
    }

    /** The document for a route table. */
    public ObjectNode document(List<Route> routes) {
        ObjectNode doc = Json.object();
        doc.put("openapi", "3.1.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "DataFn server");
        info.put("version", schema.hash());
        info.put("description", "The DataFn protocol (DFQL query, mutation, transact, sync) for the schema "
                + schema.hash() + ". Every error is the envelope {ok:false, error:{code, message, details:{path}}}.");
        doc.putArray("servers").addObject().put("url", basePath.isEmpty() ? "/" : basePath);
        ObjectNode names = doc.putObject("x-datafn-resources"); // resource name → its schemas' component name
        schema.resources().forEach(r -> names.put(r.name(), safe(r.name())));
        ObjectNode paths = doc.putObject("paths");
        for (Route r : routes) {
            if (r.path().startsWith("resources/")) {
                for (Resource res : schema.resources()) {
                    String p = "/resources/" + res.name() + (r.path().equals("resources/*/*") ? "/{id}" : "");
                    ObjectNode item = pathItem(paths, p);
                    item.set(r.method().toLowerCase(java.util.Locale.ROOT), rest(r, res));
                }
            } else {
                pathItem(paths, "/" + r.path().replace("*", "{" + paramName(r.path()) + "}"))
                        .set(r.method().toLowerCase(java.util.Locale.ROOT), operation(r));
            }
        }
        paths.putObject("/ws").set("get", websocket());
        ObjectNode components = doc.putObject("components");
        components.set("schemas", schemas());
        ObjectNode error = components.putObject("responses").putObject("Error");
        error.put("description", "The error envelope; the status follows the error code (PROTOCOL.md \"HTTP statuses\")");
        error.putObject("content").putObject("application/json").putObject("schema").put("$ref", REF + "Error");
        components.putObject("securitySchemes").putObject("bearer").put("type", "http").put("scheme", "bearer")
                .put("description", "A JWT when the server runs with --auth jwt (or the cookie datafn_token); the"
                        + " admin token with X-Datafn-Namespace when the admin console is on");
        return doc;
    }

    private static ObjectNode pathItem(ObjectNode paths, String path) {
        return paths.has(path) ? (ObjectNode) paths.get(path) : paths.putObject(path);
    }

    /** The name of a {@code *} segment in the document. */
    private static String paramName(String routePath) {
        return routePath.startsWith("admin/assets/") ? "file" : "param";
    }

    // ------------------------------------------------------------------------------------------- operations

    /** The operation of a route; the shapes of its request and answer. */
    private ObjectNode operation(Route r) {
        return switch (r.method() + " " + r.path()) {
            case "GET status" -> op(r, "Schema hash, capabilities, limits and server time", null, ok(ref("Status")));
            case "POST query" -> op(r, "DFQL query (or a batch: an array of queries)",
                    oneOrBatch(perResource("query")), ok(oneOrBatchResult(perResource("queryResult"))));
            case "POST search" -> op(r, "Full-text search across resources", ref("SearchRequest"), ok(ref("SearchResult")));
            case "POST mutation" -> op(r, "DFQL mutation (or a batch: an array of mutations)",
                    oneOrBatch(perResource("mutation")), ok(oneOrBatchResult(ref("MutationResult"))));
            case "POST transact" -> op(r, "Steps of queries and mutations, atomic by default", ref("TransactRequest"),
                    ok(ref("TransactResult")));
            case "POST clone" -> op(r, "Every row of the requested tables from one snapshot (streamed, no envelope)",
                    ref("CloneRequest"), ref("CloneResult"));
            case "POST pull" -> op(r, "Changes after the client's cursors (validation failures answer 200 with"
                    + " result.ok false)", ref("PullRequest"), ok(ref("PullResult")));
            case "POST push" -> op(r, "Offline mutations, each atomic with its change rows", ref("PushRequest"),
                    ok(ref("PushResult")));
            case "POST reconcile" -> op(r, "Row counts and the latest cursor, with drift against the client's counts",
                    ref("ReconcileRequest"), ok(ref("ReconcileResult")));
            case "POST seed" -> op(r, "Seed marker, or idempotent upsert of seed data", ref("SeedRequest"),
                    ok(object()));
            case "GET openapi.json" -> op(r, "This document", null, object());
            case "GET admin" -> content(op(r, "The admin console (HTML)", null, null), "text/html");
            case "GET admin/assets/*" -> content(pathParam(op(r, "A file of the admin console", null, null), "file"),
                    "text/plain");
            case "GET admin/namespaces" -> op(r, "Namespaces with their serverSeq counters (admin token only)", null,
                    ok(ref("Namespaces")));
            default -> op(r, r.method() + " " + r.path(), r.readsBody() ? object() : null, ok(Json.object()));
        };
    }

    /** {@code GET|POST resources/<name>}, {@code PATCH|DELETE resources/<name>/{id}}: the REST wrappers. */
    private ObjectNode rest(Route r, Resource res) {
        String name = safe(res.name());
        ObjectNode o = switch (r.method()) {
            case "GET" -> op(r, "List " + res.name() + " (query parameters limit, offset, sort)", null,
                    ok(ref(name + ".queryResult")));
            case "POST" -> op(r, "Insert a " + res.name() + " record", ref(name + ".input"), ok(ref("MutationResult")));
            case "PATCH" -> op(r, "Merge fields into a " + res.name() + " record", ref(name + ".input"),
                    ok(ref("MutationResult")));
            default -> op(r, "Delete a " + res.name() + " record", null, ok(ref("MutationResult")));
        };
        o.put("operationId", r.method().toLowerCase(java.util.Locale.ROOT) + "_resources_" + name
                + (r.path().endsWith("*/*") ? "_id" : ""));
        if (r.path().endsWith("*/*")) {
            pathParam(o, "id");
        }
        if (r.method().equals("GET")) {
            ArrayNode params = o.withArray("parameters");
            for (String q : List.of("limit", "offset")) {
                params.addObject().put("name", q).put("in", "query").put("required", false)
                        .putObject("schema").put("type", "integer").put("minimum", 0);
            }
            params.addObject().put("name", "sort").put("in", "query").put("required", false)
                    .putObject("schema").put("type", "string");
        }
        o.putArray("tags").add("rest");
        return o;
    }

    private ObjectNode op(Route r, String summary, ObjectNode request, ObjectNode answer) {
        ObjectNode o = Json.object();
        o.put("operationId", safe(r.method().toLowerCase(java.util.Locale.ROOT) + "_" + r.path().replace('/', '_')
                .replace("*", "param")));
        o.put("summary", summary);
        o.putArray("tags").add(r.hooks() == Route.Hooks.SYNC ? "sync" : r.path().startsWith("admin") ? "admin" : "dfql");
        if (request != null) {
            ObjectNode body = o.putObject("requestBody");
            body.put("required", true);
            body.putObject("content").putObject("application/json").set("schema", request);
        }
        ObjectNode responses = o.putObject("responses");
        ObjectNode okResponse = responses.putObject("200");
        okResponse.put("description", "Success");
        if (answer != null) {
            okResponse.putObject("content").putObject("application/json").set("schema", answer);
        }
        responses.putObject("4XX").put("$ref", "#/components/responses/Error");
        responses.putObject("5XX").put("$ref", "#/components/responses/Error");
        if (r.identified()) {
            ArrayNode security = o.putArray("security");
            security.addObject(); // without a token when the server runs without auth
            security.addObject().putArray("bearer");
        }
        return o;
    }

    private static ObjectNode content(ObjectNode op, String type) {
        ObjectNode ok = (ObjectNode) op.get("responses").get("200");
        ok.putObject("content").putObject(type).putObject("schema").put("type", "string");
        return op;
    }

    private static ObjectNode pathParam(ObjectNode op, String name) {
        op.withArray("parameters").addObject().put("name", name).put("in", "path").put("required", true)
                .putObject("schema").put("type", "string");
        return op;
    }

    private static ObjectNode websocket() {
        ObjectNode o = Json.object();
        o.put("operationId", "get_ws");
        o.put("summary", "WebSocket upgrade: {type:\"cursor\", cursor} after each commit of the caller's namespace");
        o.putArray("tags").add("sync");
        o.putObject("responses").putObject("101").put("description", "Switching protocols to a WebSocket");
        return o;
    }

    // ------------------------------------------------------------------------------------------- schemas

    private ObjectNode schemas() {
        ObjectNode s = Json.object();
        s.set("Error", errorEnvelope());
        for (Resource res : schema.resources()) {
            String name = safe(res.name());
            s.set(name, record(res));
            s.set(name + ".input", input(res));
            s.set(name + ".query", query(res));
            s.set(name + ".queryResult", queryResult(res));
            s.set(name + ".mutation", mutation(res));
        }
        s.set("Status", status());
        s.set("MutationResult", mutationResult());
        s.set("SearchRequest", searchRequest());
        s.set("SearchResult", props(object(), "results", array(props(object(), "resource", string(), "id", string(),
                "score", type("number"), "data", object()))));
        ObjectNode step = Json.object();
        ArrayNode steps = step.putArray("oneOf");
        steps.add(required(props(object(), "query", perResource("query")), "query"));
        steps.add(required(props(object(), "mutation", perResource("mutation")), "mutation"));
        s.set("TransactRequest", required(props(object(), "atomic", type("boolean"), "steps",
                array(step).put("maxItems", limits.maxTransactSteps())), "steps"));
        s.set("TransactResult", props(object(), "ok", type("boolean"), "results", array(props(object(), "kind",
                strings("query", "mutation"), "ok", type("boolean"), "rolledBack", type("boolean"), "result", any())),
                "error", any()));
        s.set("CloneRequest", props(object(), "clientId", string(), "tables", array(resourceNames()),
                "includeJoins", type("boolean"), "page", object()));
        s.set("CloneResult", props(object(), "ok", type("boolean"), "cursors", object(), "data", object()));
        ObjectNode pull = Json.object();
        ArrayNode forms = pull.putArray("oneOf");
        forms.add(required(props(object(), "clientId", string(), "cursors", stringMap(), "limit", limit(
                limits.maxPullLimit())), "cursors"));
        forms.add(required(props(object(), "clientId", string(), "cursor", digits(), "limit", limit(
                limits.maxPullLimit())), "cursor"));
        s.set("PullRequest", pull);
        s.set("PullResult", props(object(), "ok", type("boolean"), "records", object(), "deleted", object(),
                "cursors", stringMap(), "hasMore", type("boolean"), "changes", array(props(object(), "serverSeq",
                        type("integer"), "resource", string(), "id", string(), "op", string(), "record", any())),
                "nextCursor", any()));
        s.set("PushRequest", required(props(object(), "clientId", string(), "mutations",
                array(perResource("mutation"))), "mutations"));
        s.set("PushResult", props(object(), "ok", type("boolean"), "applied", array(string()), "errors",
                array(props(object(), "mutationId", string(), "code", errorCodes(), "message", string(), "path",
                        string(), "retryable", type("boolean"))), "cursor", digits(), "cursorBefore", digits()));
        s.set("ReconcileRequest", props(object(), "clientId", string(), "resources", array(resourceNames()),
                "includeJoins", type("boolean"), "counts", intMap()));
        s.set("ReconcileResult", props(object(), "ok", type("boolean"), "counts", intMap(), "joinCounts", intMap(),
                "latestCursor", digits(), "drift", object()));
        ObjectNode seedData = object();
        ObjectNode seedTables = seedData.putObject("properties");
        for (Resource res : schema.resources()) {
            seedTables.set(res.name(), array(ref(safe(res.name()) + ".input")));
        }
        seedData.put("additionalProperties", false);
        s.set("SeedRequest", props(object(), "clientId", string(), "data", seedData));
        s.set("Namespaces", props(object(), "namespaces", array(required(props(object(), "namespace", string(),
                "seq", type("integer")), "namespace", "seq"))));
        return s;
    }

    /** A record as the server sends it: {@code id} and every field, capability and foreign-key fields included. */
    private ObjectNode record(Resource res) {
        ObjectNode o = object();
        o.put("description", "A " + res.name() + " record as the server sends it (dates as epoch milliseconds)");
        ObjectNode p = o.putObject("properties");
        p.set("id", string());
        ArrayNode required = o.putArray("required").add("id");
        for (Field f : res.fields()) {
            ObjectNode fs = field(f, false);
            if (!f.writable()) {
                fs.put("readOnly", true);
            }
            p.set(f.name(), fs);
            if (f.required() && !f.nullable()) {
                required.add(f.name());
            }
        }
        return o;
    }

    /** What a client may write in {@code record}: the writable fields (an insert may name its {@code id}). */
    private ObjectNode input(Resource res) {
        ObjectNode o = object();
        o.put("description", "The fields of a " + res.name() + " record a client may write");
        ObjectNode p = o.putObject("properties");
        p.set("id", string().put("maxLength", 255));
        for (Field f : res.fields()) {
            if (f.writable()) {
                ObjectNode fs = field(f, true);
                if (f.hasDefault()) {
                    fs.set("default", f.defaultValue());
                }
                p.set(f.name(), fs);
            }
        }
        o.put("additionalProperties", false);
        return o;
    }

    /** A field's JSON Schema: its type (dates as epoch milliseconds; in input also ISO-8601), null when nullable. */
    private static ObjectNode field(Field f, boolean input) {
        ObjectNode s = Json.object();
        s.put("x-datafn-type", f.type().wireName()); // the schema's own type name (the admin console reads it)
        List<String> types = new ArrayList<>(switch (f.type()) {
            case STRING, FILE -> List.of("string");
            case NUMBER -> List.of("number");
            case BOOLEAN -> List.of("boolean");
            case OBJECT -> List.of("object");
            case ARRAY -> List.of("array");
            case DATE -> input ? List.of("integer", "string") : List.of("integer");
            case JSON -> List.<String>of();
        });
        if (f.type() == FieldType.DATE) {
            s.put("description", "epoch milliseconds" + (input ? " or an ISO-8601 string" : ""));
        }
        if (!types.isEmpty()) {
            if (f.nullable()) {
                types.add("null");
            }
            if (types.size() == 1) {
                s.put("type", types.get(0));
            } else {
                ArrayNode t = s.putArray("type");
                types.forEach(t::add);
            }
        }
        if (!f.enumValues().isEmpty()) {
            ArrayNode e = s.putArray("enum");
            f.enumValues().forEach(e::add);
            if (f.nullable()) {
                e.addNull();
            }
        }
        if (f.type() == FieldType.NUMBER) {
            if (f.min() != null) {
                s.put("minimum", f.min());
            }
            if (f.max() != null) {
                s.put("maximum", f.max());
            }
        }
        if (f.type().isText()) {
            if (f.minLength() != null) {
                s.put("minLength", f.minLength());
            }
            if (f.maxLength() != null) {
                s.put("maxLength", f.maxLength());
            }
            if (f.pattern() != null) {
                s.put("pattern", f.pattern());
            }
        }
        return s;
    }

    private ObjectNode query(Resource res) {
        ObjectNode o = props(object(), "resource", constant(res.name()), "filters", object(), "select",
                array(string()), "omit", array(string()), "sort", array(any()), "limit", limit(limits.maxLimit()),
                "offset", type("integer").put("minimum", 0), "cursor", props(object(), "after", object(), "before",
                        object()), "count", type("boolean"), "groupBy", array(string()), "aggregations", object(),
                "having", object(), "search", object());
        return required(o, "resource");
    }

    private ObjectNode queryResult(Resource res) {
        return props(object(), "data", array(ref(safe(res.name()))), "groups", array(object()), "nextCursor", any(),
                "count", type("integer"));
    }

    private ObjectNode mutation(Resource res) {
        ArrayNode ops = Json.array();
        Arrays.stream(Operation.values()).filter(op -> op.capability() == null || res.has(op.capability()))
                .forEach(op -> ops.add(op.wireName()));
        ObjectNode operation = Json.object();
        operation.set("enum", ops);
        ObjectNode o = props(object(), "resource", constant(res.name()), "operation", operation, "id", string(),
                "record", ref(safe(res.name()) + ".input"), "if", object(), "relations", object(), "relation",
                string(), "targetId", string(), "metadata", object(), "clientId", string(), "mutationId", string());
        return required(o, "resource", "operation");
    }

    private ObjectNode status() {
        return required(props(object(), "schemaHash", string(), "capabilities", array(string()), "limits",
                props(object(), "maxLimit", type("integer"), "maxTransactSteps", type("integer"), "maxPayloadBytes",
                        type("integer"), "maxPullLimit", type("integer")), "serverTimeMs", type("integer")),
                "schemaHash", "capabilities", "limits", "serverTimeMs");
    }

    private static ObjectNode mutationResult() {
        return props(object(), "ok", type("boolean"), "mutationId", string(), "affectedIds", array(string()),
                "errors", array(props(object(), "code", errorCodes(), "message", string(), "path", string(),
                        "retryable", type("boolean"))), "deduped", type("boolean"));
    }

    private ObjectNode searchRequest() {
        return required(props(object(), "query", string(), "resources", array(resourceNames()), "limit",
                limit(limits.maxLimit()), "prefix", type("boolean"), "fuzzy", any(), "fieldBoosts", object()), "query");
    }

    /** {@code {ok:false, error:{code, message, details:{path}}}}: every error answer. */
    private static ObjectNode errorEnvelope() {
        ObjectNode details = props(object(), "path", string().put("description", "where in the request, $ for the"
                + " whole body"));
        ObjectNode error = required(props(object(), "code", errorCodes(), "message", string(), "details", details),
                "code", "message");
        return required(props(object(), "ok", constant(false), "error", error, "result", any()), "ok", "error");
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** {@code {ok:true, result}} around a result schema. */
    private static ObjectNode ok(ObjectNode result) {
        return required(props(object(), "ok", constant(true), "result", result), "ok", "result");
    }

    private ObjectNode perResource(String kind) {
        ObjectNode o = Json.object();
        ArrayNode one = o.putArray("oneOf");
        schema.resources().forEach(r -> one.add(ref(safe(r.name()) + "." + kind)));
        return o;
    }

    private ObjectNode oneOrBatch(ObjectNode one) {
        ObjectNode o = Json.object();
        ArrayNode any = o.putArray("oneOf");
        any.add(one);
        any.add(array(one.deepCopy()).put("maxItems", limits.maxBatchSize()));
        return o;
    }

    private static ObjectNode oneOrBatchResult(ObjectNode one) {
        ObjectNode o = Json.object();
        ArrayNode any = o.putArray("oneOf");
        any.add(one);
        any.add(array(one.deepCopy()));
        return o;
    }

    private ObjectNode resourceNames() {
        ObjectNode o = string();
        ArrayNode e = o.putArray("enum");
        schema.resources().forEach(r -> e.add(r.name()));
        return o;
    }

    private static ObjectNode errorCodes() {
        ObjectNode o = string();
        ArrayNode e = o.putArray("enum");
        Arrays.stream(ErrorCode.values()).forEach(c -> e.add(c.name()));
        return o;
    }

    private static ObjectNode props(ObjectNode o, Object... nameThenSchema) {
        ObjectNode p = o.has("properties") ? (ObjectNode) o.get("properties") : o.putObject("properties");
        for (int i = 0; i < nameThenSchema.length; i += 2) {
            p.set((String) nameThenSchema[i], (ObjectNode) nameThenSchema[i + 1]);
        }
        return o;
    }

    private static ObjectNode required(ObjectNode o, String... names) {
        ArrayNode r = o.putArray("required");
        Arrays.stream(names).forEach(r::add);
        return o;
    }

    private static ObjectNode ref(String name) {
        return Json.object().put("$ref", REF + name);
    }

    private static ObjectNode type(String t) {
        return Json.object().put("type", t);
    }

    private static ObjectNode object() {
        return type("object");
    }

    private static ObjectNode string() {
        return type("string");
    }

    private static ObjectNode digits() {
        return string().put("pattern", "^[0-9]+$");
    }

    private static ObjectNode any() {
        return Json.object();
    }

    private static ObjectNode array(ObjectNode items) {
        ObjectNode o = type("array");
        o.set("items", items);
        return o;
    }

    private static ObjectNode limit(int max) {
        return type("integer").put("minimum", 0).put("maximum", max);
    }

    private static ObjectNode stringMap() {
        ObjectNode o = object();
        o.set("additionalProperties", digits());
        return o;
    }

    private static ObjectNode intMap() {
        ObjectNode o = object();
        o.set("additionalProperties", type("integer"));
        return o;
    }

    private static ObjectNode strings(String... values) {
        ObjectNode o = string();
        ArrayNode e = o.putArray("enum");
        Arrays.stream(values).forEach(e::add);
        return o;
    }

    private static ObjectNode constant(String value) {
        return Json.object().put("const", value);
    }

    private static ObjectNode constant(boolean value) {
        return Json.object().put("const", value);
    }

    /** A component name OpenAPI accepts ({@code ^[a-zA-Z0-9._-]+$}). */
    private static String safe(String name) {
        return UNSAFE.matcher(name).replaceAll("_");
    }
}
