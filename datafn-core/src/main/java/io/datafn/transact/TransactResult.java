package io.datafn.transact;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;
import io.datafn.mutation.MutationResult;
import io.datafn.query.QueryResult;

import java.util.ArrayList;
import java.util.List;

/**
 * The answer to {@code POST transact}: {@code {ok, results[{kind, ok, rolledBack?, result}], error?}}. An atomic run
 * whose step failed lists the steps up to the failed one, the earlier ones marked {@code rolledBack}, and carries
 * {@code error {code:"TRANSACTION_ROLLED_BACK", message}}.
 *
 * @param error the rolled-back error of an atomic run that failed, else null
 */
public record TransactResult(List<Step> steps, ErrorItem error) {
    static final String ROLLED_BACK = "TRANSACTION_ROLLED_BACK";

    public TransactResult {
        steps = List.copyOf(steps);
        if (error != null && steps.stream().allMatch(Step::ok)) {
            throw new IllegalArgumentException("a rolled-back transaction has a failed step");
        }
    }

    /** All steps ran: atomic and committed, or not atomic (then each step has its own {@code ok}). */
    public static TransactResult ran(List<Step> steps) {
        return new TransactResult(steps, null);
    }

    /** An atomic run rolled back at {@code steps}' last step: every earlier one is marked rolled back. */
    public static TransactResult rolledBack(List<Step> steps) {
        int failed = steps.size() - 1;
        List<Step> marked = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            marked.add(i < failed ? steps.get(i).asRolledBack() : steps.get(i));
        }
        return new TransactResult(marked, ErrorItem.bare(ROLLED_BACK, "Step " + failed + " failed; all steps rolled back"));
    }

    public boolean ok() {
        return error == null && steps.stream().allMatch(Step::ok);
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("ok", ok());
        ArrayNode results = n.putArray("results");
        steps.forEach(s -> results.add(s.toJson()));
        if (error != null) {
            n.set("error", error.toJson());
        }
        return n;
    }

    /**
     * One step's answer: a query's result, a mutation's result (failed or not), or the error of a query step that
     * failed; exactly one is set. A failed mutation's result carries its first error as {@code error} too, and so does
     * a failed query's ({@code {error:{code, message, path}}}), as the original.
     *
     * @param rolledBack whether an atomic rollback undid this (successful) step
     */
    public record Step(QueryResult query, MutationResult mutation, ErrorItem failure, boolean rolledBack) {
        public Step {
            int set = (query != null ? 1 : 0) + (mutation != null ? 1 : 0) + (failure != null ? 1 : 0);
            if (set != 1) {
                throw new IllegalArgumentException("a step has exactly one of query, mutation, failure; got " + set);
            }
            if (rolledBack && (failure != null || mutation != null && !mutation.ok())) {
                throw new IllegalArgumentException("only a successful step is rolled back");
            }
        }

        public static Step ofQuery(QueryResult query) {
            return new Step(query, null, null, false);
        }

        public static Step ofMutation(MutationResult mutation) {
            return new Step(null, mutation, null, false);
        }

        public static Step failedQuery(ErrorItem error) {
            return new Step(null, null, error, false);
        }

        Step asRolledBack() {
            return new Step(query, mutation, failure, true);
        }

        public String kind() {
            return mutation != null ? "mutation" : "query";
        }

        public boolean ok() {
            return !rolledBack && failure == null && (mutation == null || mutation.ok());
        }

        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("kind", kind());
            n.put("ok", ok());
            if (rolledBack) {
                n.put("rolledBack", true);
            }
            n.set("result", result());
            return n;
        }

        private ObjectNode result() {
            if (query != null) {
                return query.toJson();
            }
            ObjectNode r = mutation != null ? mutation.toJson() : Json.object();
            ErrorItem e = failure != null ? failure : mutation.ok() ? null : mutation.errors().get(0).item();
            if (e != null) {
                r.set("error", e.toFlatJson());
            }
            return r;
        }
    }
}
