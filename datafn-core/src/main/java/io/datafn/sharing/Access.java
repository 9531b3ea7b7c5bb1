package io.datafn.sharing;

import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.schema.Resource;
import io.datafn.store.StoreTx;

import java.util.List;

/**
 * Who may do what with a record of a shareable resource (reference-query-mutation.md §2.5, §5): its owner (the
 * {@code createdBy} the audit capability records) may do everything; a principal it was shared with may do what the
 * grant's level allows (viewer: read; editor: also write; owner: also share). Grants name the record, or with the
 * resource scope every record of the owner who made the grant.
 */
public final class Access {
    public enum Level { VIEWER, EDITOR, OWNER }

    private Access() {
    }

    /** The actor's level on a stored record ({@code createdBy} in {@code current}), or null when it has none. */
    public static Level levelOf(StoreTx tx, Resource res, String id, JsonNode current, String actor) {
        if (actor == null) {
            return null;
        }
        String owner = current == null ? null : current.path("createdBy").asText(null);
        if (actor.equals(owner)) {
            return Level.OWNER;
        }
        Level best = null;
        List<StoreTx.Grant> grants = tx.grants().of(res.name(), id, owner);
        for (StoreTx.Grant g : grants) {
            if (g.principal().equals(actor)) {
                Level l = Level.valueOf(g.level().toUpperCase(java.util.Locale.ROOT));
                best = best == null || l.compareTo(best) > 0 ? l : best;
            }
        }
        return best;
    }

    /**
     * Checks that the actor may write the record ({@code needed} editor) or share it (owner). Refusals are
     * {@code FORBIDDEN "Authorization denied"} at {@code id}, retryable as the original's (a grant may be on its way).
     */
    public static void require(StoreTx tx, Resource res, String id, JsonNode current, String actor, Level needed) {
        Level l = levelOf(tx, res, id, current, actor);
        if (l == null || l.compareTo(needed) < 0) {
            throw forbidden();
        }
    }

    /** {@link #require} on a private resource; every actor may write records of other resources. */
    public static void requireIfPrivate(StoreTx tx, Resource res, String id, JsonNode current, String actor,
                                        Level needed) {
        if (res.isPrivate()) {
            require(tx, res, id, current, actor, needed);
        }
    }

    public static DatafnException forbidden() {
        return new DatafnException(ErrorCode.FORBIDDEN, "Authorization denied", "id").withRetryable(true);
    }
}
