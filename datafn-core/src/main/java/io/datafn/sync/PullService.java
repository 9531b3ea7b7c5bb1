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
import io.datafn.store.Store;
import io.datafn.store.StoreTx;
import io.datafn.store.StoredChange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

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
     * The image of a stored change in wire form ({@link #wire}), or null for a record delete. Its stored text goes out
     * as it is unless the text may hold a date field as a string, or is no object: then it is parsed and converted.
     */
    private Image image(StoredChange c) {
        String text = c.image();
        if (text == null) {
            return null;
        }
        List<Field> dates = dateFields.get(c.resource());
        if (text.startsWith("{") && (dates == null || !mayHoldTextDate(text, dates))) {
            return Image.text(text);
        }
        return Image.tree(wire(c.row()).record());
    }

    /**
     * Whether the JSON text of an image may hold one of {@code dates} as a string (so {@link #wire} may convert it):
     * somewhere a key of such a name followed by a string value. A top-level field written by Jackson is
     * {@code "name":"...} (whitespace between is allowed for), so no answer of false is wrong; a true may be (the key
     * inside a nested object or a string), which only costs the parse. A name Jackson would escape is always true.
     */
    static boolean mayHoldTextDate(String json, List<Field> dates) {
        for (Field f : dates) {
            String key = '"' + f.name() + '"';
            if (!plainName(f.name())) {
                return true;
            }
            for (int at = json.indexOf(key); at >= 0; at = json.indexOf(key, at + 1)) {
                int i = skipSpace(json, at + key.length());
                if (i < json.length() && json.charAt(i) == ':') {
                    i = skipSpace(json, i + 1);
                    if (i < json.length() && json.charAt(i) == '"') {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** A name JSON writes as it is between its quotes: no quote, backslash or control character. */
    private static boolean plainName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            if (ch == '"' || ch == '\\' || ch < 0x20) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == '\n' || s.charAt(i) == '\r')) {
            i++;
        }
        return i;
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
        List<StoredChange> visible = new ArrayList<>();
        List<StoredChange> fetched = store.read(ns, tx -> {
            List<StoredChange> rows = tx.changes().since(streams, limit + 1);
            visible.addAll(visibleTo(tx, viewer, rows.subList(0, Math.min(limit, rows.size())),
                    StoredChange::resource, StoredChange::recordId));
            return rows;
        });
        boolean hasMore = fetched.size() > limit;
        List<StoredChange> page = hasMore ? fetched.subList(0, limit) : fetched;

        ObjectNode records = Json.object();
        ObjectNode deleted = Json.object();
        requested.forEach((key, cur) -> {
            if (!key.startsWith("join_") && !key.startsWith("__datafn_")) {
                records.putArray(key);
                deleted.putArray(key);
            }
        });
        Map<String, Long> advanced = new LinkedHashMap<>(requested);
        for (StoredChange c : page) {
            advanced.merge(c.resource(), c.seq(), Math::max);
        }

        NetEffect net = new NetEffect();
        for (StoredChange c : visible) {
            net.apply(c, image(c));
        }
        ObjectNode merged = Json.object();
        ObjectNode joins = Json.object();
        net.emit(records, merged, deleted, joins);
        return new PullResult.Tables(records, deleted, advanced, hasMore, merged, includeJoins ? joins : Json.object());
    }

    /**
     * The changes of {@code rows} that {@code viewer} may see: all but those of private records it neither owns nor
     * was granted (a record no longer there is not visible, so neither is its deletion).
     */
    private <C> List<C> visibleTo(StoreTx tx, String viewer, List<C> rows, Function<C, String> resourceOf,
                                  Function<C, String> idOf) {
        Map<String, Set<String>> ids = new HashMap<>();
        for (C c : rows) {
            Resource r = schema.resource(resourceOf.apply(c));
            if (r != null && r.isPrivate()) {
                ids.computeIfAbsent(r.name(), k -> new HashSet<>()).add(idOf.apply(c));
            }
        }
        if (ids.isEmpty()) {
            return rows;
        }
        Map<String, Set<String>> allowed = new HashMap<>();
        ids.forEach((res, set) -> allowed.put(res, tx.records().visible(schema.resource(res), viewer, set)));
        List<C> out = new ArrayList<>();
        for (C c : rows) {
            Set<String> ok = allowed.get(resourceOf.apply(c));
            if (ok == null || ok.contains(idOf.apply(c))) {
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
            return visibleTo(tx, viewer, fetched, ChangeRow::resource, ChangeRow::recordId);
        });
        return new PullResult.Global(rows, all.isEmpty() ? null : all.get(all.size() - 1).seq());
    }

    /**
     * The net effect per id of the changes in one page (PROTOCOL.md "Fixes" 3): a delete followed by a re-insert is a
     * record, deltas after a full image fold into it, a full image after deltas replaces them. Images are passed on
     * as they come ({@link Image}); only a fold parses them.
     */
    static final class NetEffect {
        private static final class State {
            Image full;
            ObjectNode delta;
            boolean deleted;
        }

        private final Map<String, TreeMap<String, State>> byResource = new TreeMap<>();

        /** Folds in the change {@code c} with its image in wire form ({@code image}, null for a record delete). */
        void apply(StoredChange c, Image image) {
            State s = byResource.computeIfAbsent(c.resource(), k -> new TreeMap<>()).computeIfAbsent(c.recordId(), k -> new State());
            switch (c.op()) {
                case ChangeRow.DELETE -> {
                    s.full = null;
                    s.delta = null;
                    s.deleted = true;
                    if (c.resource().startsWith("join_") && image != null) {
                        s.delta = (ObjectNode) image.read();
                    }
                }
                case ChangeRow.MERGE -> {
                    ObjectNode d = (ObjectNode) image.read();
                    if (s.full != null) {
                        s.full = s.full.merged(d);
                    } else {
                        if (s.delta == null || s.deleted) {
                            s.delta = Json.object();
                        }
                        s.delta.setAll(d);
                        s.deleted = false;
                    }
                }
                default -> {
                    s.full = image.asFull();
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
                            up.add(s.full.out());
                        }
                        return;
                    }
                    if (s.deleted) {
                        arr(deleted, resource).add(id);
                    } else if (s.full != null) {
                        arr(records, resource).add(s.full.out());
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
