package io.datafn.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.query.Filter;
import io.datafn.query.Query;
import io.datafn.query.QueryResult;
import io.datafn.schema.Relation;
import io.datafn.schema.Resource;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Operations inside one transaction, all scoped to a namespace. Records cross this boundary as JSON objects in
 * storage form: field name to value, dates as epoch milliseconds. Records read back are in wire form, as the client
 * sees them, which is the same form (PROTOCOL.md "Dates": epoch milliseconds everywhere).
 */
public interface StoreTx {

    /** Runs a query: filtering, sorting, paging, counting, grouping and relation expansion happen in SQL. */
    QueryResult query(String ns, Query query);

    /** Reads a record and locks it until the transaction ends; null when absent. */
    ObjectNode lock(String ns, Resource resource, String id);

    /** True when the record exists and satisfies {@code filter} (evaluated by the database). */
    boolean matches(String ns, Resource resource, String id, Filter filter);

    /**
     * Inserts a record (its {@code id} included) unless the id or a unique field is taken.
     *
     * @return null on success, else the name of the clashing field ({@code "id"} for the id)
     */
    String insert(String ns, Resource resource, ObjectNode values);

    /**
     * Updates the given fields of a record.
     *
     * @return null on success, else the name of the unique field whose value another record holds
     */
    String update(String ns, Resource resource, String id, ObjectNode values);

    /** Deletes a record; false when it did not exist. */
    boolean delete(String ns, Resource resource, String id);

    /** Ids among {@code ids} that exist. */
    Set<String> existing(String ns, Resource resource, Collection<String> ids);

    /** Ids of the records of {@code resource} whose {@code fkField} equals {@code value}, at most {@code max}. */
    List<String> referencing(String ns, Resource resource, String fkField, String value, int max);

    /** Join row {@code (from, to)} of a many-many relation in storage form, or null. */
    ObjectNode joinRow(String ns, Relation relation, String from, String to);

    /** Inserts or updates join row {@code (from, to)} with the given metadata (absent keys left as they are). */
    void upsertJoin(String ns, Relation relation, String from, String to, ObjectNode metadata);

    /** Deletes join row {@code (from, to)}; false when it did not exist. */
    boolean deleteJoin(String ns, Relation relation, String from, String to);

    /** The {@code (from, to)} pairs of the join rows in which {@code id} takes the given side. */
    List<String[]> joinsOf(String ns, Relation relation, boolean fromSide, String id);

    /**
     * The stored idempotency record for the key, or null. Also claims the key until the transaction ends: a
     * concurrent transaction asking for the same key waits, then sees what this one stored.
     */
    StoredMutation idempotency(String ns, String clientId, String mutationId);

    /** Stores (or replaces) the idempotency record for the key. */
    void saveIdempotency(String ns, String clientId, String mutationId, StoredMutation stored);

    /** Marks a point this transaction can roll back to (the changes recorded after it included). */
    Savepoint savepoint();

    /** Undoes everything done since {@code savepoint}; the transaction goes on. */
    void rollbackTo(Savepoint savepoint);

    /** An opaque savepoint handle. */
    interface Savepoint {
    }

    // ------------------------------------------------------------------------------------------- change log

    /**
     * Records a change in this transaction. Its seq is allocated when the transaction commits; all changes of one
     * transaction belong to one namespace.
     */
    void recordChange(String ns, ChangeRow change);

    /** The namespace's counter: the highest seq committed so far (0 for a fresh namespace). */
    long currentSeq(String ns);

    /** The highest seq of a resource (or join key) in the change log, 0 when none. */
    long maxSeq(String ns, String resource);

    /**
     * Change rows of the given resources (or join keys) with seq above each one's cursor, in seq order, at most
     * {@code limit}.
     */
    List<ChangeRow> changesSince(String ns, java.util.Map<String, Long> cursors, int limit);

    /** Change rows of the whole namespace with seq above {@code cursor}, in seq order, at most {@code limit}. */
    List<ChangeRow> changesAfter(String ns, long cursor, int limit);

    // ------------------------------------------------------------------------------------------- bulk reads

    /**
     * Streams the records of a resource that {@code viewer} may see ({@link #visible}) in id order (wire form), after
     * {@code afterId} (null = from the start).
     */
    void scan(String ns, Resource resource, String viewer, String afterId, int limit,
              java.util.function.Consumer<ObjectNode> sink);

    /** Streams the join rows of a many-many relation in (from, to) order: {@code {id, from, to, ...metadata}}. */
    void scanJoins(String ns, Relation relation, java.util.function.Consumer<ObjectNode> sink);

    /** Rows of a resource in the namespace that {@code viewer} may see. */
    long count(String ns, Resource resource, String viewer);

    /** Join rows of a many-many relation in the namespace. */
    long countJoins(String ns, Relation relation);

    /** Reads a record in wire form without locking it; null when absent. */
    ObjectNode read(String ns, Resource resource, String id);

    /** Marks the namespace as seeded (idempotent); true when the marker was new. */
    boolean markSeeded(String ns, long atMillis);

    /** True when the change log of the namespace holds a deletion of the record (the record existed once). */
    boolean deletedInLog(String ns, String resource, String id);

    // ------------------------------------------------------------------------------------------- sharing

    /**
     * The ids among {@code ids} that {@code viewer} may see: all of them unless the resource is private
     * ({@link Resource#isPrivate()}); of a private resource, those the viewer owns or was granted, none without a
     * viewer.
     */
    Set<String> visible(String ns, Resource resource, String viewer, Collection<String> ids);

    /** Stores (or replaces) a grant. */
    void saveGrant(String ns, Grant grant);

    /** Removes the grant of {@code principal} on the record ({@code ""}: the resource scope of {@code owner}). */
    boolean deleteGrant(String ns, String resource, String recordId, String principal, String owner);

    /** The grants on a record: its own, and the resource-scope grants of {@code owner} (may be null). */
    List<Grant> grants(String ns, String resource, String recordId, String owner);

    /**
     * A share grant. {@code recordId} is {@code ""} for a resource-scope grant, which covers every record of the
     * resource whose owner ({@code createdBy}) is {@code grantedBy}.
     */
    record Grant(String resource, String recordId, String principal, String level, String grantedBy, long grantedAt) {
    }

    // ------------------------------------------------------------------------------------------- push attempts

    /**
     * Counts one more failed attempt of a pushed mutation and returns the attempts so far (1 the first time).
     */
    int countAttempt(String ns, String clientId, String mutationId, Quarantined failure);

    /** Marks a counted mutation as given up: an operator sees it in {@link #quarantined}. */
    void quarantine(String ns, String clientId, String mutationId);

    /** The mutations given up, oldest first; {@code ns} null for every namespace. */
    List<Quarantined> quarantined(String ns, int limit);

    /**
     * Forgets given-up mutations of a namespace: one ({@code clientId} and {@code mutationId}), a client's, or all
     * ({@code null}s); returns how many.
     */
    int clearQuarantine(String ns, String clientId, String mutationId);

    /** A pushed mutation that kept failing with a retryable error. */
    record Quarantined(String ns, String clientId, String mutationId, String payload, String code, String message,
                       int attempts, long firstSeen, long lastSeen) {
    }

    /** An idempotency record: the payload's canonical JSON and the MutationResult as JSON. */
    record StoredMutation(String payload, JsonNode result) {
    }
}
