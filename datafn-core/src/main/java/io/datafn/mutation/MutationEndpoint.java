package io.datafn.mutation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.datafn.Limits;
import io.datafn.error.DatafnException;
import io.datafn.json.Json;
import io.datafn.plugin.PluginChain;
import io.datafn.router.RequestContext;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST mutation}: a single mutation answers with its result, or with a top-level error envelope when it failed
 * (PROTOCOL.md "Single mutation statuses"); a batch (array, at most {@code maxBatchSize}) answers per item, not atomic
 * across items.
 */
public final class MutationEndpoint {
    private final MutationParser parser;
    private final MutationService service;
    private final PluginChain plugins;
    private final Limits limits;

    public MutationEndpoint(MutationParser parser, MutationService service, PluginChain plugins, Limits limits) {
        this.parser = parser;
        this.service = service;
        this.plugins = plugins;
        this.limits = limits;
    }

    public JsonNode handle(RequestContext ctx, MutationService.Writer writer, JsonNode body) {
        body = plugins.beforeMutation(ctx, body);
        if (body == null || !(body.isObject() || body.isArray())) {
            throw DatafnException.invalid("Invalid DFQL: expected object or array", "$");
        }
        if (body.isArray() && body.size() > limits.maxBatchSize()) {
            throw DatafnException.invalid("Batch size " + body.size() + " exceeds limit " + limits.maxBatchSize(), "$");
        }
        List<Mutation> mutations = new ArrayList<>();
        if (body.isArray()) {
            for (int i = 0; i < body.size(); i++) {
                mutations.add(parser.parse(body.get(i), "$[" + i + "]"));
            }
        } else {
            mutations.add(parser.parse(body, "$"));
        }
        List<MutationResult> results = new ArrayList<>();
        for (Mutation m : mutations) {
            results.add(service.execute(writer, m));
        }
        if (body.isArray()) {
            ArrayNode arr = Json.array();
            results.forEach(r -> arr.add(r.toJson()));
            plugins.afterMutation(ctx, body, arr);
            return arr;
        }
        MutationResult r = results.get(0);
        plugins.afterMutation(ctx, body, r.toJson());
        if (!r.ok()) {
            // a replayed stored failure is marked as one (PROTOCOL.md "Idempotency": returned with deduped:true), in
            // the envelope's details beside its path, as the original's envelope has no other place for it
            throw r.deduped() ? r.firstError().withDetail("deduped", true) : r.firstError();
        }
        return r.toJson();
    }
}
