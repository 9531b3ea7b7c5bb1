package io.datafn.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.DatafnServer;
import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.datafn.router.Request;
import io.datafn.router.Response;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code datafn import}: NDJSON records into one namespace through the protocol's {@code seed} endpoint, in batches
 * (each batch all or nothing). So an import is validated like any write, upserts by id, and is recorded in the change
 * log: clients pull it. The files are read line by line; at most one batch is in memory.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Reads NDJSON records (one file per resource, as export writes them) into a namespace through seed:"
                + " validated, upserted by id, recorded in the change log so that clients pull them.",
                "A directory imports <dir>/<resource>.ndjson for every resource of the schema that has one, in schema order."},
        footer = {"", "A bad record stops the import, naming file, line and field; the batches before it stay imported"
                + " (import again after fixing it: records are upserted by id).", "",
                "Examples:", "  datafn import backup/", "  datafn import --namespace user:alice alice/tasks.ndjson",
                "  datafn import --resource tasks --batch 200 dump.ndjson"})
final class ImportCommand implements Callable<Integer> {
    private static final Pattern RECORD_PATH = Pattern.compile("^data\\.[^\\[]+\\[(\\d+)](.*)$");

    @ParentCommand
    Main main;

    @Option(names = "--namespace", defaultValue = "datafn", description = "The namespace to import into (default ${DEFAULT-VALUE})")
    String namespace;

    @Option(names = "--resource", description = "Resource of the records in FILE (default: the file name without .ndjson)")
    String resource;

    @Option(names = "--batch", defaultValue = "500", description = "Records per seed request, 1 .. 10000 (default ${DEFAULT-VALUE})")
    int batch;

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "NDJSON files or directories of them")
    List<Path> paths;

    /** A file of records of {@code resource}, or of join rows of the many-many {@code relation}. */
    private record Source(Resource resource, Relation relation, Path file) {
        String name() {
            return resource != null ? resource.name() : relation.joinKey();
        }
    }

    @Override
    public Integer call() throws IOException {
        Main.Settings settings = main.settings();
        if (batch < 1 || batch > 10_000) {
            throw new IllegalArgumentException("--batch must be 1 .. 10000, got " + batch);
        }
        Schema schema = main.loadSchema();
        List<Source> sources = sources(schema);
        JdbcStore store = main.openStore(4);
        DatafnServer server;
        try {
            // the server's own write path, with this namespace, and the bus that tells running nodes' sockets
            server = DatafnServer.builder().schema(schema).store(store).limits(settings.limits())
                    .namespaceProvider(ctx -> namespace).clusterBus(main.bus(store)).build();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        try {
            long all = 0;
            for (Source s : sources) {
                long n = importFile(server, s);
                all += n;
                System.out.println("imported " + n + (s.resource() != null ? " " + s.name() : " links of " + s.relation().from()
                        + "." + s.relation().relation()) + " from " + s.file());
            }
            System.out.println("imported " + all + " records and links into namespace " + namespace + " of " + store.describe());
            return 0;
        } finally {
            server.shutdown(0);
        }
    }

    private long importFile(DatafnServer server, Source s) throws IOException {
        long count = 0;
        ArrayNode records = Json.MAPPER.createArrayNode();
        List<Long> lines = new ArrayList<>();
        long lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(s.file(), StandardCharsets.UTF_8);
             Progress progress = Progress.start("import " + s.name(), Files.size(s.file()), "bytes")) {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                progress.advance(line.getBytes(StandardCharsets.UTF_8).length + 1);
                if (line.isBlank()) {
                    continue;
                }
                JsonNode rec;
                try {
                    rec = Json.MAPPER.readTree(line);
                } catch (IOException e) {
                    throw new Main.Failure(Main.EXIT_FAILED, s.file() + " line " + lineNo + ": not valid JSON: "
                            + Main.oneLine(e));
                }
                records.add(rec);
                lines.add(lineNo);
                if (records.size() == (s.relation() == null ? batch : Math.min(batch, server.router().limits().maxBatchSize()))) {
                    count += send(server, s, records, lines);
                    records = Json.MAPPER.createArrayNode();
                    lines.clear();
                }
            }
            if (!records.isEmpty()) {
                count += send(server, s, records, lines);
            }
        }
        return count;
    }

    private long send(DatafnServer server, Source s, ArrayNode rows, List<Long> lines) throws IOException {
        return s.resource() != null ? seed(server, s, rows, lines) : relate(server, s, rows, lines);
    }

    /** A request through the router, as the HTTP adapter would hand it over; the answer's status and JSON. */
    private static JsonNode post(DatafnServer server, String endpoint, JsonNode body, int[] status) throws IOException {
        byte[] bytes = Json.bytes(body);
        Map<String, String> headers = Map.of("content-type", "application/json");
        Response r = server.router().handle(new Request("POST", server.router().basePath() + "/" + endpoint, Map.of(),
                h -> headers.get(h.toLowerCase(java.util.Locale.ROOT)), bytes.length, new ByteArrayInputStream(bytes), null));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        r.writeBody(buf);
        status[0] = r.status();
        return Json.MAPPER.readTree(buf.toByteArray());
    }

    /**
     * Join rows ({@code {from, to, ...metadata}}) as one batch of {@code relate} mutations: each is its own write,
     * recorded in the change log; the first refused one is a Failure naming its line.
     */
    private long relate(DatafnServer server, Source s, ArrayNode rows, List<Long> lines) throws IOException {
        Relation rel = s.relation();
        ArrayNode batch = Json.MAPPER.createArrayNode();
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            if (!row.path("from").isTextual() || !row.path("to").isTextual()) {
                throw new Main.Failure(Main.EXIT_FAILED, s.file() + " line " + lines.get(i)
                        + ": a join row needs string 'from' and 'to'");
            }
            ObjectNode target = Json.object();
            target.put("$ref", row.get("to").asText());
            row.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("id") && !e.getKey().equals("from") && !e.getKey().equals("to")) {
                    target.set(e.getKey(), e.getValue());
                }
            });
            ObjectNode m = batch.addObject();
            m.put("resource", rel.from());
            m.put("operation", "relate");
            m.put("id", row.get("from").asText());
            m.putObject("relations").set(rel.relation(), target);
        }
        int[] status = new int[1];
        JsonNode answer = post(server, "mutation", batch, status);
        if (status[0] != 200 || !answer.path("result").isArray()) {
            throw new Main.Failure(Main.EXIT_FAILED, s.file() + " (lines " + lines.get(0) + " .. " + lines.get(lines.size() - 1)
                    + "): " + answer.path("error").path("code").asText() + " " + answer.path("error").path("message").asText());
        }
        long n = 0;
        for (int i = 0; i < answer.get("result").size(); i++) {
            JsonNode r = answer.get("result").get(i);
            if (!r.path("ok").asBoolean()) {
                JsonNode e = r.path("errors").path(0);
                throw new Main.Failure(Main.EXIT_FAILED, s.file() + " line " + lines.get(i) + ": " + e.path("code").asText()
                        + " " + e.path("message").asText() + " at " + e.path("path").asText() + " (the lines before it"
                        + " were imported)");
            }
            n++;
        }
        return n;
    }

    /** One seed request through the router; a refused batch is a Failure naming the line and the field. */
    private long seed(DatafnServer server, Source s, ArrayNode records, List<Long> lines) throws IOException {
        ObjectNode body = Json.object();
        body.put("clientId", "datafn-import");
        body.putObject("data").set(s.resource().name(), records);
        int[] status = new int[1];
        JsonNode answer = post(server, "seed", body, status);
        if (status[0] != 200 || !answer.path("ok").asBoolean()) {
            JsonNode error = answer.path("error");
            String path = error.path("details").path("path").asText("$");
            Matcher m = RECORD_PATH.matcher(path);
            String where = m.matches() && Integer.parseInt(m.group(1)) < lines.size()
                    ? " line " + lines.get(Integer.parseInt(m.group(1))) + (m.group(2).isEmpty() ? "" : " field " + m.group(2).substring(1))
                    : " (batch of lines " + lines.get(0) + " .. " + lines.get(lines.size() - 1) + ", at " + path + ")";
            throw new Main.Failure(Main.EXIT_FAILED, s.file() + where + ": " + error.path("code").asText() + " "
                    + error.path("message").asText() + " (records of this batch were not imported)");
        }
        return answer.path("result").path("seeded").path(s.resource().name()).asLong(records.size());
    }

    private List<Source> sources(Schema schema) throws IOException {
        List<Source> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                if (resource != null) {
                    throw new IllegalArgumentException("--resource applies to a file, not to the directory " + p);
                }
                for (Resource r : schema.resources()) {
                    Path f = p.resolve(r.name() + ".ndjson");
                    if (Files.isRegularFile(f)) {
                        out.add(new Source(r, null, f));
                    }
                }
                for (Relation rel : schema.relations()) { // after the records they link
                    Path f = p.resolve(rel.joinKey() + ".ndjson");
                    if (rel.type() == RelationType.MANY_MANY && Files.isRegularFile(f)) {
                        out.add(new Source(null, rel, f));
                    }
                }
            } else if (Files.isRegularFile(p)) {
                String name = resource != null ? resource : p.getFileName().toString().replaceFirst("\\.ndjson$", "");
                Relation join = schema.relations().stream()
                        .filter(rel -> rel.type() == RelationType.MANY_MANY && rel.joinKey().equals(name)).findFirst().orElse(null);
                out.add(join != null ? new Source(null, join, p) : new Source(resources(schema, List.of(name)).get(0), null, p));
            } else {
                throw new IllegalArgumentException("no such file or directory: " + p);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("nothing to import: no <resource>.ndjson in " + paths);
        }
        return out;
    }

    /** The named resources of the schema (all when {@code names} is empty); an unknown name is a usage error. */
    static List<Resource> resources(Schema schema, List<String> names) {
        if (names.isEmpty()) {
            return List.copyOf(schema.resources());
        }
        List<Resource> out = new ArrayList<>();
        for (String n : names) {
            Resource r = schema.resource(n.trim());
            if (r == null) {
                throw new IllegalArgumentException("unknown resource '" + n + "'; the schema has "
                        + schema.resources().stream().map(Resource::name).toList());
            }
            out.add(r);
        }
        return out;
    }
}
