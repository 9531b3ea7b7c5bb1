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
 * minute; 500 when the store is not healthy.
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

    public ObjectNode status() {
        if (!store.healthy()) {
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
