package io.datafn.server;

import io.datafn.jdbc.JdbcStore;
import io.datafn.jdbc.MigrationPlan;
import io.datafn.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.datafn.schema.Relation;
import io.datafn.schema.RelationType;
import io.datafn.schema.Resource;
import io.datafn.schema.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * {@code datafn export}: the records of one namespace, one NDJSON file per resource ({@code <out>/<resource>.ndjson},
 * one record in wire form per line, id order) and per many-many relation ({@code <out>/<joinKey>.ndjson}, the join
 * rows as pull sends them). Each resource is read in one snapshot and streamed from a database
 * cursor to the file, so memory stays flat whatever the table size.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes the records of a namespace as NDJSON, one file per resource (<out>/<resource>.ndjson) and"
                + " per many-many relation (<out>/join_<from>_<relation>_<to>.ndjson).",
                "Records of private (shareable) resources are those --actor may see; without --actor they are skipped."},
        footer = {"", "Examples:", "  datafn export --out backup/", "  datafn export --namespace user:alice --resource tasks,projects --out alice/",
                "  datafn export --db 'jdbc:postgresql://127.0.0.1:5432/app?user=postgres' --namespace tenant:acme:user:bob"})
final class ExportCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--namespace", defaultValue = "datafn", description = "The namespace to export (default ${DEFAULT-VALUE},"
            + " the one namespace without --auth)")
    String namespace;

    @Option(names = "--out", defaultValue = "export", description = "Directory of the files (default ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--resource", split = ",", description = "Only these resources (default: every resource of the schema)")
    List<String> resources = new ArrayList<>();

    @Option(names = "--actor", description = "User id whose view of private (shareable) resources is exported")
    String actor;

    /** Streams what {@code scan} hands its sink to {@code file}, one JSON line each; the number of lines. */
    private static long write(Path file, String label, long total, Consumer<Consumer<ObjectNode>> scan) {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             Progress progress = Progress.start(label, total, "rows")) {
            long[] count = new long[1];
            scan.accept(row -> {
                try {
                    w.write(Json.text(row));
                    w.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                count[0]++;
                progress.advance(1);
            });
            return count[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Integer call() throws IOException {
        main.settings();
        Schema schema = main.loadSchema();
        List<Resource> chosen = ImportCommand.resources(schema, resources);
        try (JdbcStore store = main.openStore(2)) {
            MigrationPlan plan = store.planMigration(schema);
            if (!plan.additions().isEmpty() || !plan.refusals().isEmpty()) {
                throw new Main.Failure(Main.EXIT_SCHEMA, "the database " + store.describe() + " is not at schema "
                        + main.schema + " (see datafn migrate --dry-run)");
            }
            store.migrate(schema); // adds nothing (the plan is empty): only binds the store to the schema
            Files.createDirectories(out);
            long all = 0;
            for (Resource r : chosen) {
                Path file = out.resolve(r.name() + ".ndjson");
                long n = store.read(namespace, tx -> write(file, "export " + r.name(), tx.records().count(r, actor),
                        sink -> tx.records().scan(r, actor, null, 0, sink)));
                all += n;
                System.out.println("exported " + n + " " + r.name() + " to " + file
                        + (r.isPrivate() && actor == null ? " (private resource: none without --actor)" : ""));
            }
            for (Relation rel : schema.relations()) {
                if (rel.type() != RelationType.MANY_MANY || !chosen.contains(schema.resource(rel.from()))
                        || !chosen.contains(schema.resource(rel.to()))) {
                    continue;
                }
                Path file = out.resolve(rel.joinKey() + ".ndjson");
                long n = store.read(namespace, tx -> write(file, "export " + rel.joinKey(), tx.joins().count(rel),
                        sink -> tx.joins().scan(rel, sink)));
                System.out.println("exported " + n + " links of " + rel.from() + "." + rel.relation() + " to " + file);
            }
            System.out.println("exported " + all + " records of namespace " + namespace + " from " + store.describe());
            return 0;
        }
    }
}
