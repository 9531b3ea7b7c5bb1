package io.datafn.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.mutation.Mutation;
import io.datafn.mutation.MutationParser;
import io.datafn.mutation.MutationService;
import io.datafn.store.Store;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST seed}: the original's marker ({@code {clientId}} → {@code {ok:true}}), and the README's
 * {@code {data:{table:[records]}}}, which upserts the records all or nothing, records changes so that clients pull
 * them, and reports how many records each table had written.
 */
public final class SeedService {
    private final MutationParser parser;
    private final MutationService mutations;
    private final Store store;
    private final Clock clock;

    public SeedService(MutationParser parser, MutationService mutations, Store store, Clock clock) {
        this.parser = parser;
        this.mutations = mutations;
        this.store = store;
        this.clock = clock;
    }

    public ObjectNode seed(MutationService.Writer writer, JsonNode body) {
        if (!body.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: clientId must be string", "clientId");
        }
        SyncRequests.clientId(body);
        JsonNode data = body.get("data");
        ObjectNode result = Json.object();
        result.put("ok", true);
        if (data == null || data.isNull()) {
            store.write(writer.namespace(), tx -> tx.changes().markSeeded(clock.millis()));
            return result;
        }
        if (!data.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: data must be an object of record arrays", "data");
        }
        Map<String, List<Mutation>> parsed = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = data.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String table = e.getKey();
            String path = "data." + table;
            if (parser.schema().resource(table) == null) {
                throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + table, path);
            }
            if (!e.getValue().isArray()) {
                throw DatafnException.invalid("Invalid DFQL: " + path + " must be an array of records", path);
            }
            List<Mutation> list = new ArrayList<>();
            for (int i = 0; i < e.getValue().size(); i++) {
                list.add(record(table, e.getValue().get(i), path + "[" + i + "]"));
            }
            parsed.put(table, list);
        }
        ObjectNode seeded = result.putObject("seeded");
        Map<String, Integer> written = store.write(writer.namespace(), tx -> {
            Map<String, Integer> counts = new LinkedHashMap<>();
            parsed.forEach((table, list) -> {
                int n = 0;
                for (Mutation m : list) {
                    if (mutations.seedIn(tx, writer, m)) {
                        n++;
                    }
                }
                counts.put(table, n);
            });
            tx.changes().markSeeded(clock.millis());
            return counts;
        });
        written.forEach(seeded::put);
        return result;
    }

    /** A seed record validated as an insert; error paths read {@code data.<table>[<i>].<field>}. */
    private Mutation record(String table, JsonNode rec, String path) {
        if (!rec.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: a seed record must be an object", path);
        }
        ObjectNode m = Json.object();
        m.put("resource", table);
        m.put("operation", "insert");
        if (rec.has("id")) {
            m.set("id", rec.get("id"));
        }
        m.set("record", rec);
        Mutation parsed;
        try {
            parsed = parser.parse(m, path);
        } catch (DatafnException e) {
            String p = e.path().replace(path + ".record.", path + ".").replace(path + ".record", path);
            throw new DatafnException(e.code(), e.getMessage(), p, e.status(), e.details(), e.getCause());
        }
        return parsed.id() == null ? parsed.withId(MutationService.generateId(parsed.resource())) : parsed;
    }
}
