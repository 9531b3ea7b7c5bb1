package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;
import io.datafn.schema.Field;
import io.datafn.schema.FieldType;
import io.datafn.schema.FieldValues;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.store.ChangeRow;
import io.datafn.schema.Resource;
import io.datafn.store.Store;
import io.datafn.store.StoreTx;
import java.util.HashMap;
import java.util.HashSet;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code POST pull} (PROTOCOL.md "Sync"; reference-sync.md §3): the per-table protocol and the legacy global-cursor
 * form. Validation failures are answered inside {@code result} (HTTP 200), as the client expects.
 */
public final class PullService {
    static final String ACTOR_FEED = "__datafn_actor_feed__";
    private static final int DEFAULT_LIMIT = 200;
    private static final int DEFAULT_GLOBAL_LIMIT = 100;

    private final Schema schema;
    private final Store store;
    private final Limits limits;
    private final Set<String> joinKeys = new TreeSet<>();
    /** Per change-log key, the date fields of its images (resource fields or join metadata); keys without any absent. */
    private final Map<String, List<Field>> dateFields = new HashMap<>();

    public PullService(Schema schema, Store store, Limits limits) {
        this.schema = schema;
        this.store = store;
        this.limits = limits;
        for (Resource r : schema.resources()) {
            addDateFields(r.name(), r.fields());
        }
        for (Relation r : schema.relations()) {
            if (r.type() == RelationType.MANY_MANY) {
                joinKeys.add(r.joinKey());
                addDateFields(r.joinKey(), r.metadata());
            }
        }
    }

    private void addDateFields(String key, List<Field> fields) {
        List<Field> dates = fields.stream().filter(f -> f.type() == FieldType.DATE).toList();
        if (!dates.isEmpty()) {
            dateFields.put(key, dates);
        }
    }

    /**
     * The change with its image in wire form. Images written before dates travelled as epoch milliseconds hold
     * ISO-8601 strings in date fields; they are converted as they are read, so old change rows keep working.
     */
    private ChangeRow wire(ChangeRow c) {
        List<Field> dates = dateFields.get(c.resource());
        if (dates == null || !(c.record() instanceof ObjectNode image)) {
            return c;
        }
        for (Field f : dates) {
            if (image.path(f.name()).isTextual()) {
                return new ChangeRow(c.seq(), c.resource(), c.recordId(), c.op(), FieldValues.toWire(dates, image));
            }
        }
        return c;
    }

    /**
     * The pull result: {@code ok:false} with {@code error} inside when the request is invalid. Changes of private
     * records {@code viewer} may not see are left out (their cursors still advance).
     */
    public PullResult pull(String ns, String viewer, JsonNode body) {
        boolean global = body.isObject() && body.path("cursor").isTextual();
        try {
            if (!body.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: pull body must be object", "$");
            }
            if (global && body.has("cursors")) {
                throw DatafnException.invalid("Pull requests must use either cursor or cursors, not both", "cursor");
            }
            SyncRequests.clientId(body);
            return global ? globalPull(ns, viewer, body) : tablePull(ns, viewer, body);
        } catch (DatafnException e) {
            return new PullResult.Refused(global, ErrorItem.of(e).withoutDetails());
        }
    }

    private PullResult.Tables tablePull(String ns, String viewer, JsonNode body) {
        JsonNode cursorsNode = body.get("cursors");
        if (cursorsNode == null || !cursorsNode.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: cursors must be an object", "cursors");
        }
        Map<String, Long> requested = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = cursorsNode.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            requested.put(e.getKey(), SyncRequests.cursor(e.getValue(), "cursors." + e.getKey()));
        }
        int limit = Math.min(SyncRequests.positiveLimit(body.get("limit"), DEFAULT_LIMIT), limits.maxPullLimit());
        boolean includeJoins = body.path("includeJoins").asBoolean(false);

        Map<String, Long> streams = new LinkedHashMap<>();
        requested.forEach((key, cur) -> {
            boolean data = schema.resource(key) != null;
            boolean join = includeJoins && joinKeys.contains(key);
            if (data || join) {
                streams.put(key, cur);
            }
        });
        List<ChangeRow> visible = new ArrayList<>();
        List<ChangeRow> fetched = store.read(ns, tx -> {
            List<ChangeRow> rows = tx.changes().since(streams, limit + 1).stream().map(this::wire).toList();
            visible.addAll(visibleTo(tx, viewer, rows.subList(0, Math.min(limit, rows.size()))));
            return rows;
        });
        boolean hasMore = fetched.size() > limit;
        List<ChangeRow> page = hasMore ? fetched.subList(0, limit) : fetched;

        ObjectNode records = Json.object();
        ObjectNode deleted = Json.object();
        requested.forEach((key, cur) -> {
            if (!key.startsWith("join_") && !key.startsWith("__datafn_")) {
                records.putArray(key);
                deleted.putArray(key);
            }
        });
        Map<String, Long> advanced = new LinkedHashMap<>(requested);
        for (ChangeRow c : page) {
            advanced.merge(c.resource(), c.seq(), Math::max);
        }

        NetEffect net = new NetEffect();
        visible.forEach(net::apply);
        ObjectNode merged = Json.object();
        ObjectNode joins = Json.object();
        net.emit(records, merged, deleted, joins);
        return new PullResult.Tables(records, deleted, advanced, hasMore, merged, includeJoins ? joins : Json.object());
    }

    /**
     * The changes of {@code rows} that {@code viewer} may see: all but those of private records it neither owns nor
     * was granted (a record no longer there is not visible, so neither is its deletion).
     */
    private List<ChangeRow> visibleTo(StoreTx tx, String viewer, List<ChangeRow> rows) {
        Map<String, Set<String>> ids = new HashMap<>();
        for (ChangeRow c : rows) {
            Resource r = schema.resource(c.resource());
            if (r != null && r.isPrivate()) {
                ids.computeIfAbsent(r.name(), k -> new HashSet<>()).add(c.recordId());
            }
        }
        if (ids.isEmpty()) {
            return rows;
        }
        Map<String, Set<String>> allowed = new HashMap<>();
        ids.forEach((res, set) -> allowed.put(res, tx.records().visible(schema.resource(res), viewer, set)));
        List<ChangeRow> out = new ArrayList<>();
        for (ChangeRow c : rows) {
            Set<String> ok = allowed.get(c.resource());
            if (ok == null || ok.contains(c.recordId())) {
                out.add(c);
            }
        }
        return out;
    }

    private PullResult.Global globalPull(String ns, String viewer, JsonNode body) {
        long cursor = SyncRequests.cursor(body.get("cursor"), "cursor");
        int limit = Math.min(SyncRequests.positiveLimit(body.get("limit"), DEFAULT_GLOBAL_LIMIT), limits.maxPullLimit());
        List<ChangeRow> all = new ArrayList<>();
        List<ChangeRow> rows = store.read(ns, tx -> {
            List<ChangeRow> fetched = tx.changes().after(cursor, limit).stream().map(this::wire).toList();
            all.addAll(fetched);
            return visibleTo(tx, viewer, fetched);
        });
        return new PullResult.Global(rows, all.isEmpty() ? null : all.get(all.size() - 1).seq());
    }

    /**
     * The net effect per id of the changes in one page (PROTOCOL.md "Fixes" 3): a delete followed by a re-insert is a
     * record, deltas after a full image fold into it, a full image after deltas replaces them.
     */
    static final class NetEffect {
        private static final class State {
            ObjectNode full;
            ObjectNode delta;
            boolean deleted;
        }

        private final Map<String, TreeMap<String, State>> byResource = new TreeMap<>();

        void apply(ChangeRow c) {
            State s = byResource.computeIfAbsent(c.resource(), k -> new TreeMap<>()).computeIfAbsent(c.recordId(), k -> new State());
            switch (c.op()) {
                case ChangeRow.DELETE -> {
                    s.full = null;
                    s.delta = null;
                    s.deleted = true;
                    if (c.isJoin() && c.record() != null) {
                        s.delta = (ObjectNode) c.record();
                    }
                }
                case ChangeRow.MERGE -> {
                    ObjectNode d = (ObjectNode) c.record();
                    if (s.full != null) {
                        s.full.setAll(d);
                    } else {
                        if (s.delta == null || s.deleted) {
                            s.delta = Json.object();
                        }
                        s.delta.setAll(d);
                        s.deleted = false;
                    }
                }
                default -> {
                    s.full = ((ObjectNode) c.record()).deepCopy();
                    s.delta = null;
                    s.deleted = false;
                }
            }
        }

        void emit(ObjectNode records, ObjectNode merged, ObjectNode deleted, ObjectNode joins) {
            byResource.forEach((resource, states) -> {
                boolean join = resource.startsWith("join_");
                states.forEach((id, s) -> {
                    if (join) {
                        ObjectNode j = joins.has(resource) ? (ObjectNode) joins.get(resource) : joins.putObject(resource);
                        ArrayNode up = j.has("upsert") ? (ArrayNode) j.get("upsert") : j.putArray("upsert");
                        ArrayNode del = j.has("delete") ? (ArrayNode) j.get("delete") : j.putArray("delete");
                        if (s.deleted) {
                            del.addObject().put("from", s.delta.path("from").asText()).put("to", s.delta.path("to").asText());
                        } else if (s.full != null) {
                            up.add(s.full);
                        }
                        return;
                    }
                    if (s.deleted) {
                        arr(deleted, resource).add(id);
                    } else if (s.full != null) {
                        arr(records, resource).add(s.full);
                    } else if (s.delta != null) {
                        arr(merged, resource).add(s.delta);
                    }
                });
            });
        }

        private static ArrayNode arr(ObjectNode bucket, String key) {
            return bucket.has(key) ? (ArrayNode) bucket.get(key) : bucket.putArray(key);
        }
    }
}
