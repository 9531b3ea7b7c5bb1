package io.datafn.transact;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.error.ErrorItem;
import io.datafn.mutation.Mutation;
import io.datafn.mutation.MutationParser;
import io.datafn.mutation.MutationResult;
import io.datafn.mutation.MutationService;
import io.datafn.query.Query;
import io.datafn.query.QueryParser;
import io.datafn.query.QueryResult;
import io.datafn.query.ResultBudget;
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
    private record Parsed(String kind, Query query, Mutation mutation, DatafnException deferred) {
    }

    /** Carries the steps of an atomic run, up to the failed one, out of the transaction it rolls back. */
    private static final class RolledBack extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient List<TransactResult.Step> steps;

        RolledBack(List<TransactResult.Step> steps) {
            super(null, null, false, false);
            this.steps = steps;
        }
    }

    public TransactResult handle(MutationService.Writer writer, JsonNode body) {
        if (body == null || !body.isObject() || !body.path("steps").isArray()) {
            throw DatafnException.invalid("Invalid DFQL: expected 'steps' array", "steps");
        }
        JsonNode stepsNode = body.get("steps");
        if (stepsNode.size() > limits.maxTransactSteps()) {
            throw new DatafnException(ErrorCode.LIMIT_EXCEEDED, "Transaction exceeds maximum steps", "steps", 400,
                    Map.of("max", limits.maxTransactSteps()), null);
        }
        boolean atomic = !body.path("atomic").isBoolean() || body.get("atomic").asBoolean();
        List<Parsed> steps = new ArrayList<>();
        for (int i = 0; i < stepsNode.size(); i++) {
            Parsed s = step(stepsNode.get(i), "steps[" + i + "]");
            // a search clause is resolved before the transaction: the index reflects what was committed before it
            steps.add(s.query() == null ? s : new Parsed(s.kind(), search.apply(writer.namespace(), s.query()).withViewer(writer.actorId()), null, null));
        }
        // the query steps' answers are counted as each is made; past maxResultBytes an atomic request fails (rolled
        // back), a step of a non-atomic one fails
        ResultBudget budget = new ResultBudget(limits.maxResultBytes());
        if (!atomic) {
            List<TransactResult.Step> results = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++) {
                Parsed s = steps.get(i);
                if (s.query() != null) {
                    QueryResult answer = store.read(writer.namespace(), tx -> tx.records().query(s.query()));
                    try {
                        budget.add(answer.toJson(), "steps[" + i + "]");
                        results.add(TransactResult.Step.ofQuery(answer));
                    } catch (DatafnException e) {
                        // each step on its own: earlier mutations stay committed, so this step fails, not the request
                        results.add(failure(s, e));
                    }
                } else {
                    results.add(s.deferred() != null ? failure(s, s.deferred())
                            : TransactResult.Step.ofMutation(service.execute(writer, s.mutation())));
                }
            }
            return TransactResult.ran(results);
        }
        try {
            return TransactResult.ran(store.write(writer.namespace(), tx -> {
                List<TransactResult.Step> done = new ArrayList<>();
                for (int i = 0; i < steps.size(); i++) {
                    Parsed s = steps.get(i);
                    QueryResult answer = null;
                    try {
                        if (s.deferred() != null) {
                            throw s.deferred();
                        }
                        if (s.query() != null) {
                            answer = tx.records().query(s.query());
                        } else {
                            done.add(TransactResult.Step.ofMutation(service.executeIn(tx, writer, s.mutation(), MutationService.Policy.STRICT)));
                        }
                    } catch (DatafnException e) {
                        done.add(failure(s, e));
                        throw new RolledBack(done);
                    }
                    if (answer != null) {
                        // outside the step's catch: a result too large fails the whole request, not one step
                        budget.add(answer.toJson(), "steps[" + i + "]");
                        done.add(TransactResult.Step.ofQuery(answer));
                    }
                }
                return done;
            }));
        } catch (RolledBack rb) {
            return TransactResult.rolledBack(rb.steps);
        }
    }

    /** A failed step: a failed MutationResult (a replayed stored failure as stored) or a query's error. */
    private static TransactResult.Step failure(Parsed s, DatafnException e) {
        if (s.kind().equals("mutation")) {
            String id = s.mutation() != null && s.mutation().mutationId() != null ? s.mutation().mutationId()
                    : io.datafn.json.Uuids.random();
            return TransactResult.Step.ofMutation(MutationResult.failure(id, e));
        }
        return TransactResult.Step.failedQuery(ErrorItem.of(e));
    }

    private Parsed step(JsonNode s, String path) {
        if (s == null || !s.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: step must be object", path);
        }
        if (s.has("mutation")) {
            return new Parsed("mutation", null, mutations.parse(s.get("mutation"), path + ".mutation"), null);
        }
        if (s.has("query")) {
            return new Parsed("query", query(s.get("query"), path + ".query."), null, null);
        }
        boolean hasResource = s.path("resource").isTextual();
        if (hasResource && s.path("id").isTextual() && s.path("operation").isTextual()
                || hasResource && s.has("operation")) {
            try {
                return new Parsed("mutation", null, mutations.parse(s, path), null);
            } catch (DatafnException e) {
                if (e.code() == ErrorCode.DFQL_UNSUPPORTED && e.path().equals(path + ".operation")) {
                    // as the original: a bare step with an unknown operation fails when it runs, not up front
                    return new Parsed("mutation", null, null, new DatafnException(e.code(), e.getMessage(), "operation"));
                }
                throw e;
            }
        }
        if (hasResource) {
            return new Parsed("query", query(s, path + "."), null, null);
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
