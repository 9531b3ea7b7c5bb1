package io.datafn.sync;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.datafn.error.DatafnException;
import io.datafn.error.ErrorCode;
import io.datafn.json.Json;
import io.datafn.router.BodyWriter;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import io.datafn.store.Store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST clone}: every row of the requested tables, or one page of one table, with per-table cursors read in the
 * same snapshot as the rows (PROTOCOL.md "Fixes" 2) and written to the response as they are read, so that memory
 * stays flat whatever the table size.
 */
public final class CloneService {
    /** The largest page a {@code page.limit} may ask for. */
    public static final int MAX_PAGE = 1000;

    private final Schema schema;
    private final Store store;

    public CloneService(Schema schema, Store store) {
        this.schema = schema;
        this.store = store;
    }

    /** A validated clone request. */
    public record Plan(List<Resource> tables, Resource pageTable, String afterId, int pageLimit, boolean includeJoins) {
    }

    public Plan plan(JsonNode body) {
        if (!body.isObject()) {
            throw DatafnException.invalid("Invalid DFQL: clone body must be object", "$");
        }
        SyncRequests.clientId(body);
        List<Resource> tables = new ArrayList<>();
        JsonNode t = body.get("tables");
        if (t == null || t.isNull()) {
            tables.addAll(schema.resources());
        } else {
            if (!t.isArray()) {
                throw DatafnException.invalid("Invalid DFQL: tables must be array", "tables");
            }
            for (JsonNode n : t) {
                Resource r = n.isTextual() ? schema.resource(n.asText()) : null;
                if (r == null) {
                    throw new DatafnException(ErrorCode.DFQL_UNKNOWN_RESOURCE, "Unknown resource: " + n.asText(n.toString()), "tables");
                }
                if (!tables.contains(r)) {
                    tables.add(r);
                }
            }
        }
        Resource pageTable = null;
        String afterId = null;
        int limit = 0;
        JsonNode page = body.get("page");
        if (page != null && !page.isNull()) {
            if (!page.isObject()) {
                throw DatafnException.invalid("Invalid DFQL: page must be object", "page");
            }
            String name = page.path("table").asText(null);
            pageTable = name == null ? null : schema.resource(name);
            if (pageTable == null || !tables.contains(pageTable)) {
                throw DatafnException.invalid("Invalid DFQL: page.table must be in tables list: " + name, "page.table");
            }
            JsonNode after = page.get("afterId");
            if (after != null && !after.isNull() && !after.isTextual()) {
                throw DatafnException.invalid("Invalid DFQL: page.afterId must be string or null", "page.afterId");
            }
            afterId = after == null || after.isNull() ? null : after.asText();
            JsonNode l = page.get("limit");
            if (l == null || l.isNull()) {
                limit = MAX_PAGE;
            } else if (!l.isNumber() || !l.canConvertToExactIntegral() || l.asDouble() < 1) {
                throw DatafnException.invalid("Invalid DFQL: page.limit must be a positive integer", "page.limit");
            } else {
                limit = (int) Math.min(MAX_PAGE, l.asLong());
            }
        }
        return new Plan(tables, pageTable, afterId, limit, body.path("includeJoins").asBoolean(false));
    }

    /**
     * Streams the clone result; runs in one read transaction while it writes. Rows of private resources are those
     * {@code viewer} may see.
     */
    public BodyWriter stream(String ns, String viewer, Plan plan) {
        return out -> {
            try (JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
                store.stream(ns, tx -> {
                    try {
                        // cursors first, in the snapshot the rows are read from: a change after this point has a
                        // higher seq and will be pulled; one before it is in the rows
                        Map<String, Long> cursors = new LinkedHashMap<>();
                        for (Resource r : plan.tables()) {
                            cursors.put(r.name(), tx.changes().maxSeq(r.name()));
                        }
                        g.writeStartObject();
                        g.writeBooleanField("ok", true);
                        g.writeObjectFieldStart("result");
                        g.writeBooleanField("ok", true);
                        g.writeObjectFieldStart("data");
                        String next = null;
                        for (Resource r : plan.tables()) {
                            g.writeArrayFieldStart(r.name());
                            if (plan.pageTable() == null || plan.pageTable() == r) {
                                int limit = plan.pageTable() == null ? 0 : plan.pageLimit();
                                String[] last = new String[1];
                                int[] count = new int[1];
                                tx.records().scan(r, viewer, plan.pageTable() == null ? null : plan.afterId(), limit, row -> {
                                    write(g, row);
                                    last[0] = row.get("id").asText();
                                    count[0]++;
                                });
                                if (plan.pageTable() == r && count[0] == limit) {
                                    next = last[0];
                                }
                            }
                            g.writeEndArray();
                        }
                        g.writeEndObject();
                        g.writeObjectFieldStart("cursors");
                        for (Map.Entry<String, Long> c : cursors.entrySet()) {
                            g.writeStringField(c.getKey(), Long.toString(c.getValue()));
                        }
                        g.writeEndObject();
                        if (plan.includeJoins()) {
                            g.writeObjectFieldStart("joins");
                            for (Relation rel : schema.relations()) {
                                if (rel.type() != RelationType.MANY_MANY) {
                                    continue;
                                }
                                boolean[] started = new boolean[1];
                                tx.joins().scan(rel, row -> {
                                    try {
                                        if (!started[0]) {
                                            g.writeArrayFieldStart(rel.joinKey());
                                            started[0] = true;
                                        }
                                    } catch (IOException e) {
                                        throw new UncheckedIOException(e);
                                    }
                                    write(g, row);
                                });
                                if (started[0]) {
                                    g.writeEndArray();
                                }
                            }
                            g.writeEndObject();
                        }
                        if (plan.pageTable() != null) {
                            g.writeObjectFieldStart("next");
                            if (next == null) {
                                g.writeNullField(plan.pageTable().name());
                            } else {
                                g.writeStringField(plan.pageTable().name(), next);
                            }
                            g.writeEndObject();
                        }
                        g.writeEndObject();
                        g.writeEndObject();
                        return null;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        };
    }

    private static void write(JsonGenerator g, JsonNode row) {
        try {
            Json.MAPPER.writeTree(g, row);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
