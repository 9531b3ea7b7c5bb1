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
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One transaction of one namespace ({@link #namespace()}): everything done through its views commits together or not
 * at all, and nothing it does reaches another namespace. The views are small on purpose: {@link #records()},
 * {@link #joins()} (many-many join rows), {@link #changes()} (the change log), {@link #keys()} (idempotency keys and
 * push attempts) and {@link #grants()} (sharing).
 *
 * <p>Records cross this boundary as JSON objects in storage form: field name to value, dates as epoch milliseconds.
 * Records read back are in wire form, as the client sees them, which is the same form (PROTOCOL.md "Dates").
 */
public interface StoreTx {

    /** The namespace every view of this transaction reads and writes. */
    String namespace();

    Records records();

    Joins joins();

    Changes changes();

    Keys keys();

    Grants grants();

    /** Marks a point this transaction can roll back to (the changes recorded after it included). */
    Savepoint savepoint();

    /** Undoes everything done since {@code savepoint}; the transaction goes on. */
    void rollbackTo(Savepoint savepoint);

    /** An opaque savepoint handle. */
    interface Savepoint {
    }

    /**
     * From now until the work ends, the writes whose outcome the caller takes for granted (a record insert that
     * succeeds, the save of a key claimed in this transaction) may be held back and sent together: before the next
     * statement that reads, before a savepoint, and when the work returns. When one then turns out otherwise (the
     * insert found its id taken) or fails, the work fails with {@link Refuted}; the caller's answers built on the
     * assumption are void. Only for a caller that rolls the whole transaction back on any failure and then runs the
     * work again without this (push's optimistic batch): a round trip per write is what it saves.
     */
    void deferWrites();

    /**
     * A write held back by {@link #deferWrites} did not do what was taken for granted, or failed: the transaction
     * must roll back (nothing of it may commit), and the work run again without deferred writes answers correctly.
     */
    final class Refuted extends RuntimeException {
        public Refuted(String message) {
            super(message, null, false, false);
        }
    }

    /** The records of the namespace's resources. */
    interface Records {
        /** Runs a query: filtering, sorting, paging, counting, grouping and relation expansion happen in SQL. */
        QueryResult query(Query query);

        /** Reads a record in wire form without locking it; null when absent. */
        ObjectNode read(Resource resource, String id);

        /** Reads a record and locks it until the transaction ends; null when absent. */
        ObjectNode lock(Resource resource, String id);

        /** True when the record exists and satisfies {@code filter} (evaluated by the database). */
        boolean matches(Resource resource, String id, Filter filter);

        /**
         * Inserts a record (its {@code id} included) unless the id or a unique field is taken.
         *
         * @return null on success, else the name of the clashing field ({@code "id"} for the id)
         */
        String insert(Resource resource, ObjectNode values);

        /**
         * Updates the given fields of a record.
         *
         * @return null on success, else the name of the unique field whose value another record holds
         */
        String update(Resource resource, String id, ObjectNode values);

        /** Deletes a record; false when it did not exist. */
        boolean delete(Resource resource, String id);

        /** Ids among {@code ids} that exist. */
        Set<String> existing(Resource resource, Collection<String> ids);

        /** Ids of the records of {@code resource} whose {@code fkField} equals {@code value}, at most {@code max}. */
        List<String> referencing(Resource resource, String fkField, String value, int max);

        /**
         * The ids among {@code ids} that {@code viewer} may see: all of them unless the resource is private
         * ({@link Resource#isPrivate()}); of a private resource, those the viewer owns or was granted, none without a
         * viewer.
         */
        Set<String> visible(Resource resource, String viewer, Collection<String> ids);

        /**
         * Streams the records of a resource that {@code viewer} may see ({@link #visible}) in id order (wire form),
         * after {@code afterId} (null = from the start), at most {@code limit} (0 = all).
         */
        void scan(Resource resource, String viewer, String afterId, int limit, Consumer<ObjectNode> sink);

        /** Rows of a resource that {@code viewer} may see. */
        long count(Resource resource, String viewer);
    }

    /** The join rows of many-many relations. */
    interface Joins {
        /** Join row {@code (from, to)} in storage form ({@code {from, to, ...metadata}}), or null. */
        ObjectNode row(Relation relation, String from, String to);

        /** Inserts or updates join row {@code (from, to)} with the given metadata (absent keys left as they are). */
        void upsert(Relation relation, String from, String to, ObjectNode metadata);

        /** Deletes join row {@code (from, to)}; false when it did not exist. */
        boolean delete(Relation relation, String from, String to);

        /** The join rows in which {@code id} takes the given side. */
        List<JoinKey> of(Relation relation, boolean fromSide, String id);

        /** Streams the join rows in (from, to) order: {@code {id, from, to, ...metadata}}. */
        void scan(Relation relation, Consumer<ObjectNode> sink);

        /** Join rows of the relation. */
        long count(Relation relation);
    }

    /** The two ends of a join row. */
    record JoinKey(String from, String to) {
    }

    /** The namespace's change log and counter. */
    interface Changes {
        /** Records a change in this transaction; its seq is allocated when the transaction commits. */
        void record(ChangeRow change);

        /** The namespace's counter: the highest seq committed so far (0 for a fresh namespace). */
        long currentSeq();

        /** The highest seq of a resource (or join key) in the change log, 0 when none. */
        long maxSeq(String resource);

        /**
         * Change rows of the given resources (or join keys) with seq above each one's cursor, in seq order, at most
         * {@code limit}; their images unparsed (a pull writes most of them into its answer as they are).
         */
        List<StoredChange> since(Map<String, Long> cursors, int limit);

        /** Change rows of every resource with seq above {@code cursor}, in seq order, at most {@code limit}. */
        List<ChangeRow> after(long cursor, int limit);

        /** True when the change log holds a deletion of the record (the record existed once). */
        boolean deleted(String resource, String id);

        /** Marks the namespace as seeded (idempotent); true when the marker was new. */
        boolean markSeeded(long atMillis);
    }

    /** Idempotency keys {@code (clientId, mutationId)} and the attempts of pushed mutations. */
    interface Keys {
        /**
         * Claims many keys at once, as {@link #claim} claims one, in a fixed order (so that two transactions claiming
         * overlapping keys wait for each other instead of deadlocking), and reads their stored records: a later
         * {@link #claim} of one of them in this transaction answers without a statement. A push claims its batch so.
         */
        void claimAll(Collection<Key> keys);

        /**
         * The stored idempotency record for the key, or null. Also claims the key until the transaction ends: a
         * concurrent transaction asking for the same key waits, then sees what this one stored.
         */
        StoredMutation claim(String clientId, String mutationId);

        /** Stores (or replaces) the idempotency record of a claimed key. */
        void save(String clientId, String mutationId, StoredMutation stored);

        /** Counts one more failed attempt of a pushed mutation and returns the attempts so far (1 the first time). */
        int countAttempt(String clientId, String mutationId, Quarantined failure);

        /** Marks a counted mutation as given up: an operator sees it in {@link Store#quarantined}. */
        void quarantine(String clientId, String mutationId);
    }

    /** Share grants (the {@code shareable} capability). */
    interface Grants {
        /** Stores (or replaces) a grant. */
        void save(Grant grant);

        /** Removes the grant of {@code principal} on the record ({@code ""}: the resource scope of {@code owner}). */
        boolean delete(String resource, String recordId, String principal, String owner);

        /** The grants on a record: its own, and the resource-scope grants of {@code owner} (may be null). */
        List<Grant> of(String resource, String recordId, String owner);
    }

    /**
     * A share grant. {@code recordId} is {@code ""} for a resource-scope grant, which covers every record of the
     * resource whose owner ({@code createdBy}) is {@code grantedBy}.
     */
    record Grant(String resource, String recordId, String principal, String level, String grantedBy, long grantedAt) {
    }

    /** A pushed mutation that kept failing with a retryable error. */
    record Quarantined(String ns, String clientId, String mutationId, String payload, String code, String message,
                       int attempts, long firstSeen, long lastSeen) {
    }

    /** An idempotency key. */
    record Key(String clientId, String mutationId) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = clientId.compareTo(o.clientId);
            return c != 0 ? c : mutationId.compareTo(o.mutationId);
        }
    }

    /** An idempotency record: the payload's canonical JSON and the MutationResult as JSON. */
    record StoredMutation(String payload, JsonNode result) {
    }
}
