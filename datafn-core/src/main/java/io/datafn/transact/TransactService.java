package io.datafn.transact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.Mutation;
import io.datafn.mutation.MutationParser;
import io.datafn.mutation.MutationResult;
import io.datafn.mutation.MutationService;
import io.datafn.query.Query;
import io.datafn.query.QueryParser;
import io.datafn.search.SearchService;
import io.datafn.store.Store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST transact} (PROTOCOL.md "Transact"): steps mixing queries and mutations. With {@code atomic} (the
 * default) every step runs in one database transaction and the first failed step rolls all of them back; otherwise each
 * step runs on its own and all steps run.
 */
public final class TransactService {
    private final QueryParser queries;
    private final MutationParser mutations;
    private final MutationService service;
    private final Store store;
    private final Limits limits;
    private final SearchService search;

    public TransactService(QueryParser queries, MutationParser mutations, MutationService service, Store store, Limits limits,
                           SearchService search) {
        this.queries = queries;
        this.mutations = mutations;
        this.service = service;
        this.store = store;
        this.limits = limits;
        this.search = search;
    }

    /** A validated step: a query, a mutation, or a step that fails when it runs (bare step, unknown operation). */
    private record Step(String kind, Query query, Mutation mutation, DatafnException deferred) {
    }

    /** Carries the results of an atomic run out of the transaction it rolls back. */
    private static final class RolledBack extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient List<ObjectNode> results;
        final int failedIndex;

        RolledBack(List<ObjectNode> results, int failedIndex) {
            super(null, null, false, false);
            this.results = results;
            this.failedIndex = failedIndex;
        }
    }

    public JsonNode handle(MutationService.Writer writer, JsonNode body) {
        if (body == null || !body.isObject() || !body.path("steps").isArray()) {
            throw DatafnException.invalid("Invalid DFQL: expected 'steps' array", "steps");
        }
        JsonNode stepsNode = body.get("steps");
        if (stepsNode.size() > limits.maxTransactSteps()) {
            throw new DatafnException(ErrorCode.LIMIT_EXCEEDED, "Transaction exceeds maximum steps", "steps", 400,
                    Map.of("max", limits.maxTransactSteps()), null);
        }
        boolean atomic = !body.path("atomic").isBoolean() || body.get("atomic").asBoolean();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < stepsNode.size(); i++) {
            Step s = step(stepsNode.get(i), "steps[" + i + "]");
            // a search clause is resolved before the transaction: the index reflects what was committed before it
            steps.add(s.query() == null ? s : new Step(s.kind(), search.apply(writer.namespace(), s.query()).withViewer(writer.actorId()), null, null));
        }
        ObjectNode out = Json.object();
        ArrayNode results = Json.array();
        if (atomic) {
            try {
                List<ObjectNode> done = store.write(tx -> {
                    List<ObjectNode> acc = new ArrayList<>();
                    for (int i = 0; i < steps.size(); i++) {
                        Step s = steps.get(i);
                        try {
                            acc.add(item(s.kind(), true, s.query() != null ? tx.query(writer.namespace(), s.query()).toJson()
                                    : runMutation(s, m -> service.executeIn(tx, writer, m, MutationService.Policy.STRICT))));
                        } catch (DatafnException e) {
                            acc.add(item(s.kind(), false, failure(s, e)));
                            throw new RolledBack(acc, i);
                        }
                    }
                    return acc;
                });
                done.forEach(results::add);
                out.put("ok", true);
            } catch (RolledBack rb) {
                for (int i = 0; i < rb.results.size(); i++) {
                    ObjectNode r = rb.results.get(i);
                    if (i < rb.failedIndex) {
                        ObjectNode rolled = Json.object();
                        rolled.put("kind", r.get("kind").asText());
                        rolled.put("ok", false);
                        rolled.put("rolledBack", true);
                        rolled.set("result", r.get("result"));
                        r = rolled;
                    }
                    results.add(r);
                }
                out.put("ok", false);
                out.set("results", results);
                out.putObject("error").put("code", "TRANSACTION_ROLLED_BACK")
                        .put("message", "Step " + rb.failedIndex + " failed; all steps rolled back");
                return out;
            }
        } else {
            boolean allOk = true;
            for (Step s : steps) {
                ObjectNode r;
                if (s.query() != null) {
                    r = item("query", true, store.read(tx -> tx.query(writer.namespace(), s.query()).toJson()));
                } else if (s.deferred() != null) {
                    r = item("mutation", false, failure(s, s.deferred()));
                } else {
                    MutationResult mr = service.execute(writer, s.mutation());
                    r = item("mutation", mr.ok(), withError(mr));
                }
                allOk &= r.get("ok").asBoolean();
                results.add(r);
            }
            out.put("ok", allOk);
        }
        out.set("results", results);
        return out;
    }

    @FunctionalInterface
    private interface MutationRun {
        MutationResult run(Mutation m);
    }

    private static JsonNode runMutation(Step s, MutationRun run) {
        if (s.deferred() != null) {
            throw s.deferred();
        }
        return run.run(s.mutation()).toJson();
    }

    private static ObjectNode item(String kind, boolean ok, JsonNode result) {
        ObjectNode n = Json.object();
        n.put("kind", kind);
        n.put("ok", ok);
        n.set("result", result);
        return n;
    }

    /** A failed step's result: a failed MutationResult (with the original's convenience {@code error}) or an error. */
    private static JsonNode failure(Step s, DatafnException e) {
        if (s.kind().equals("mutation")) {
            String id = s.mutation() != null && s.mutation().mutationId() != null ? s.mutation().mutationId()
                    : io.datafn.json.Uuids.random();
            return withError(MutationResult.failure(id, e));
        }
        ObjectNode r = Json.object();
        r.putObject("error").put("code", e.code().name()).put("message", e.getMessage()).put("path", e.path());
        return r;
    }

    private static ObjectNode withError(MutationResult r) {
        ObjectNode n = r.toJson();
        if (!r.ok()) {
            MutationResult.Error e = r.errors().get(0);
            n.putObject("error").put("code", e.code()).put("message", e.message()).put("path", e.path());
        }
        return n;
    }

    private Step step(JsonNode s, String path) {
        if (s == null || !s.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: step must be object", path);
        }
        if (s.has("mutation")) {
            return new Step("mutation", null, mutations.parse(s.get("mutation"), path + ".mutation"), null);
        }
        if (s.has("query")) {
            return new Step("query", query(s.get("query"), path + ".query."), null, null);
        }
        boolean hasResource = s.path("resource").isTextual();
        if (hasResource && s.path("id").isTextual() && s.path("operation").isTextual()
                || hasResource && s.has("operation")) {
            try {
                return new Step("mutation", null, mutations.parse(s, path), null);
            } catch (DatafnException e) {
                if (e.code() == ErrorCode.DFQL_UNSUPPORTED && e.path().equals(path + ".operation")) {
                    // as the original: a bare step with an unknown operation fails when it runs, not up front
                    return new Step("mutation", null, null, new DatafnException(e.code(), e.getMessage(), "operation"));
                }
                throw e;
            }
        }
        if (hasResource) {
            return new Step("query", query(s, path + "."), null, null);
        }
        throw DatafnException.invalid("Invalid DFQL: step must be a query or mutation", path);
    }

    private Query query(JsonNode q, String prefix) {
        try {
            return queries.parse(q);
        } catch (DatafnException e) {
            String p = e.path();
            p = p.startsWith("$.") ? p.substring(2) : p.equals("$") ? "" : p;
            String full = p.isEmpty() ? prefix.substring(0, prefix.length() - 1) : prefix + p;
            return rethrow(e, full);
        }
    }

    private static Query rethrow(DatafnException e, String path) {
        throw new DatafnException(e.code(), e.getMessage(), path, e.status(), e.details(), e.getCause());
    }
}
