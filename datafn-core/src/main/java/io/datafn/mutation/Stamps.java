package io.datafn.mutation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.mutation.MutationService.Writer;
import io.datafn.schema.Resource;

import java.time.Clock;

/**
 * The capability fields the server writes (reference-query-mutation.md §2.5): {@code timestamps} and {@code audit}
 * on create and update, the {@code shareable} visibility on create. Time enters through the clock.
 */
final class Stamps {
    private final Clock clock;

    Stamps(Clock clock) {
        this.clock = clock;
    }

    long now() {
        return clock.millis();
    }

    void created(Resource res, ObjectNode row, Writer w) {
        long now = clock.millis();
        if (res.has("timestamps")) {
            row.put("createdAt", now);
            row.put("updatedAt", now);
        }
        if (res.has("audit")) {
            row.put("createdBy", w.actorId());
            row.put("updatedBy", w.actorId());
        }
        if (res.sharing() != null) {
            row.put("visibility", res.sharing().defaultVisibility());
        }
    }

    void updated(Resource res, ObjectNode row, Writer w) {
        if (res.has("timestamps")) {
            row.put("updatedAt", clock.millis());
        }
        if (res.has("audit")) {
            row.put("updatedBy", w.actorId());
        }
    }
}
