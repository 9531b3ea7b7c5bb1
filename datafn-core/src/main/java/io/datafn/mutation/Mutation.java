package io.datafn.mutation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.query.Filter;
import io.datafn.schema.Link;
import io.datafn.schema.Resource;

import java.util.List;

/**
 * A validated mutation. {@code record} holds only writable fields with values already in storage form (dates as
 * epoch milliseconds).
 *
 * @param id          null only for an insert that lets the server generate the id, and for a resource-scope share
 * @param guard       the {@code if} condition, or null
 * @param share       what a share or unshare grants or revokes, null for other operations
 * @param payloadHash canonical JSON of the idempotency payload (PROTOCOL.md "Idempotency")
 */
public record Mutation(Resource resource, Operation operation, String id, ObjectNode record, Filter guard,
                       List<RelationChange> relations, Share share, String clientId, String mutationId,
                       String payloadHash) {
    public Mutation {
        relations = List.copyOf(relations);
    }

    /** Idempotency applies when both keys are present. */
    public boolean keyed() {
        return clientId != null && mutationId != null;
    }

    /**
     * Throws the guard failure ({@code CONFLICT "Guard condition not met"} at {@code if}) unless the mutation has no
     * guard, or {@code current} exists and satisfies it, evaluated by the database on the row this transaction locked.
     */
    public void requireGuard(io.datafn.store.StoreTx tx, ObjectNode current) {
        if (guard != null && (current == null || !tx.records().matches(resource, id, guard))) {
            throw new io.datafn.error.DatafnException(io.datafn.error.ErrorCode.CONFLICT, "Guard condition not met", "if");
        }
    }

    public Mutation withId(String newId) {
        return new Mutation(resource, operation, newId, record, guard, relations, share, clientId, mutationId, payloadHash);
    }

    /**
     * A share grant: {@code principal} gets {@code level} on the record, or with {@code resourceScope} on every
     * record of the resource that the sharing actor owns.
     */
    public record Share(String principal, String level, boolean resourceScope) {
    }

    /** The targets of one relation in a relation operation. */
    public record RelationChange(Link link, List<Target> targets, String path) {
        public RelationChange {
            targets = List.copyOf(targets);
        }
    }

    /** A related record id with join-row metadata (storage form; empty for FK relations). */
    public record Target(String id, ObjectNode metadata) {
    }
}
