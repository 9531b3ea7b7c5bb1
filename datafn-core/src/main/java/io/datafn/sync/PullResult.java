package io.datafn.sync;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.ErrorItem;
import io.datafn.json.Json;
import io.datafn.store.ChangeRow;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to {@code POST pull}, always HTTP 200: the per-table form, the legacy global-cursor form, or a refused
 * request with its {@code error} inside the result ({@code ok:false}), as the client expects.
 */
public sealed interface PullResult {

    ObjectNode toJson();

    /**
     * The per-table form {@code {ok:true, records, deleted, cursors, hasMore, merged?, joins?}}.
     *
     * @param records full images by resource (every requested resource has its array, possibly empty)
     * @param deleted deleted ids by resource (the same keys as {@code records})
     * @param cursors the cursor each requested stream advanced to
     * @param merged  partial images by resource; left out of the answer when empty
     * @param joins   many-many changes by join key ({@code upsert}, {@code delete}); left out when empty
     */
    record Tables(ObjectNode records, ObjectNode deleted, Map<String, Long> cursors, boolean hasMore, ObjectNode merged,
                  ObjectNode joins) implements PullResult {
        public Tables {
            Objects.requireNonNull(records, "records");
            Objects.requireNonNull(deleted, "deleted");
            Objects.requireNonNull(merged, "merged");
            Objects.requireNonNull(joins, "joins");
            cursors.forEach((k, v) -> {
                if (v < 0) {
                    throw new IllegalArgumentException("cursor of " + k + " is negative: " + v);
                }
            });
            cursors = Collections.unmodifiableMap(new LinkedHashMap<>(cursors));
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("ok", true);
            n.set("records", records);
            n.set("deleted", deleted);
            ObjectNode c = n.putObject("cursors");
            cursors.forEach((k, v) -> c.put(k, Long.toString(v)));
            n.put("hasMore", hasMore);
            if (!merged.isEmpty()) {
                n.set("merged", merged);
            }
            if (!joins.isEmpty()) {
                n.set("joins", joins);
            }
            return n;
        }
    }

    /**
     * The global-cursor form {@code {ok:true, changes[{serverSeq, resource, id, op, record}], nextCursor}}; every write
     * is an {@code upsert} in it, as in the original.
     *
     * @param changes    the changes the viewer may see
     * @param nextCursor the seq of the last change read (seen or not), or null when none was read
     */
    record Global(List<ChangeRow> changes, Long nextCursor) implements PullResult {
        public Global {
            changes = List.copyOf(changes);
            if (nextCursor != null && nextCursor < 0) {
                throw new IllegalArgumentException("nextCursor is negative: " + nextCursor);
            }
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("ok", true);
            ArrayNode a = n.putArray("changes");
            for (ChangeRow c : changes) {
                ObjectNode e = a.addObject();
                e.put("serverSeq", c.seq());
                e.put("resource", c.resource());
                e.put("id", c.recordId());
                e.put("op", c.op().equals(ChangeRow.DELETE) ? ChangeRow.DELETE : ChangeRow.UPSERT);
                e.set("record", c.record() == null ? Json.NODES.nullNode() : c.record());
            }
            if (nextCursor == null) {
                n.putNull("nextCursor");
            } else {
                n.put("nextCursor", Long.toString(nextCursor));
            }
            return n;
        }
    }

    /**
     * A refused request: {@code ok:false}, the empty shape of its form ({@code records/deleted/cursors} or
     * {@code changes/nextCursor}) and {@code error {code, message, details:{path}}}.
     *
     * @param global whether the request used the global-cursor form
     */
    record Refused(boolean global, ErrorItem error) implements PullResult {
        public Refused {
            Objects.requireNonNull(error, "error");
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("ok", false);
            if (global) {
                n.putArray("changes");
                n.putNull("nextCursor");
            } else {
                n.putObject("records");
                n.putObject("deleted");
                n.putObject("cursors");
            }
            n.set("error", error.toJson());
            return n;
        }
    }
}
