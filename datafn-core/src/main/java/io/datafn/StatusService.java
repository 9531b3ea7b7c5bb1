package io.datafn;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.schema.Schema;
import io.datafn.search.SearchService;
import io.datafn.store.Store;

import java.time.Clock;
import java.util.List;

/**
 * {@code GET status} (PROTOCOL.md "Status"): schema hash, capabilities, limits and the server time rounded to the
 * minute; 500 when the store is not healthy (asked at most once a second: a database round trip per poll would
 * cost more than the rest of the answer).
 */
public final class StatusService {
    private static final List<String> CAPABILITIES = List.of("dfql.query", "dfql.mutation", "dfql.transact",
            "sync.seed", "sync.clone", "sync.pull", "sync.push", "sync.reconcile");

    private final Schema schema;
    private final Store store;
    private final Limits limits;
    private final Clock clock;
    private final SearchService search;

    public StatusService(Schema schema, Store store, Limits limits, Clock clock, SearchService search) {
        this.schema = schema;
        this.store = store;
        this.limits = limits;
        this.clock = clock;
        this.search = search;
    }

    /** How long one answer of {@link Store#healthy()} stands for {@code status} (a database round trip each). */
    static final long HEALTH_TTL_NANOS = 1_000_000_000L;
    private volatile long healthCheckedAt = System.nanoTime() - HEALTH_TTL_NANOS;
    private volatile boolean healthy;

    /** The store's health, asked at most once per {@link #HEALTH_TTL_NANOS} (status is polled; the probe costs). */
    private boolean healthy() {
        long now = System.nanoTime();
        if (now - healthCheckedAt >= HEALTH_TTL_NANOS) {
            healthy = store.healthy();
            healthCheckedAt = now;
        }
        return healthy;
    }

    public ObjectNode status() {
        if (!healthy()) {
            throw new DatafnException(ErrorCode.INTERNAL, "Internal error", "$");
        }
        ObjectNode r = Json.object();
        r.put("schemaHash", schema.hash());
        ArrayNode caps = r.putArray("capabilities");
        CAPABILITIES.forEach(caps::add);
        if (search.enabled()) {
            caps.add("dfql.search");
        }
        ObjectNode l = r.putObject("limits");
        l.put("maxLimit", limits.maxLimit());
        if (limits.transactStepsConfigured()) {
            l.put("maxTransactSteps", limits.maxTransactSteps());
        }
        l.put("maxPayloadBytes", limits.maxPayloadBytes());
        l.put("maxPullLimit", limits.maxPullLimit());
        r.put("serverTimeMs", Math.round(clock.millis() / 60000.0) * 60000L);
        return r;
    }
}
