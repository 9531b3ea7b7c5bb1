package io.datafn.server;

import io.datafn.jdbc.JdbcStore;
import io.datafn.json.Json;
import io.datafn.schema.SchemaParser;
import io.datafn.store.StoreTx;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code datafn-server [--db URL ...] quarantine list|clear}: the pushed mutations given up after
 * {@code --max-push-attempts} retryable failures, one JSON object per line; {@code clear} forgets them (all of a
 * namespace, of one client, or one mutation). Database and schema come from the same options, environment and config
 * file as the server's.
 */
@Command(name = "quarantine", mixinStandardHelpOptions = true,
        description = "Lists or clears pushed mutations that were given up after repeated retryable failures.")
final class QuarantineCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Parameters(index = "0", description = "list or clear")
    String action;

    @Option(names = "--namespace", description = "Only this namespace (required for clear)")
    String namespace;

    @Option(names = "--client", description = "Only this clientId")
    String client;

    @Option(names = "--mutation", description = "Only this mutationId (with --client)")
    String mutation;

    @Option(names = "--limit", description = "At most this many entries (list; default 1000)")
    int limit = 1000;

    @Override
    public Integer call() throws Exception {
        if (!action.equals("list") && !action.equals("clear")) {
            System.err.println("datafn quarantine: action must be list or clear, got '" + action + "'");
            return Main.EXIT_USAGE;
        }
        if (action.equals("clear") && namespace == null) {
            System.err.println("datafn quarantine clear: --namespace is required");
            return Main.EXIT_USAGE;
        }
        main.settings(); // the same checks as the server's start
        try (JdbcStore store = main.openStore(2)) {
            store.migrate(SchemaParser.parse(main.schema));
            if (action.equals("clear")) {
                int n = store.clearQuarantine(namespace, client, mutation);
                System.out.println("cleared " + n);
                return 0;
            }
            List<StoreTx.Quarantined> entries = store.quarantined(namespace, limit);
            for (StoreTx.Quarantined q : entries) {
                if (client != null && !client.equals(q.clientId()) || mutation != null && !mutation.equals(q.mutationId())) {
                    continue;
                }
                System.out.println(Json.text(Json.MAPPER.valueToTree(q)));
            }
            return 0;
        }
    }
}
