package io.datafn.server;

import io.datafn.schema.Schema;
import io.datafn.schema.SchemaException;
import io.datafn.schema.SchemaParser;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code datafn schema check FILE}: the schema's problems and warnings, each with its JSON path. */
@Command(name = "schema", mixinStandardHelpOptions = true, description = "Schema tasks.",
        subcommands = SchemaCommand.Check.class)
final class SchemaCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Checks a schema file as the server would load it, without a database.",
                    "Prints one line per problem ('error <path>: <message>') and per warning ('warning <path>: <message>',"
                            + " what the DataFn client would refuse but the server serves), then a summary."},
            footer = {"", "Exit codes: 0 valid (warnings allowed), 3 invalid or unreadable.", "",
                    "Example:", "  datafn schema check examples/tasks.schema.json"})
    static final class Check implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "The schema JSON file")
        Path file;

        @Override
        public Integer call() {
            Schema schema;
            try {
                schema = SchemaParser.parse(file);
            } catch (SchemaException e) {
                e.problems().forEach(p -> System.out.println("error " + p.path() + ": " + p.message()));
                System.out.println(file + ": invalid, " + e.problems().size() + " error(s)");
                return Main.EXIT_SCHEMA;
            }
            schema.warnings().forEach(w -> System.out.println("warning " + w.path() + ": " + w.message()));
            System.out.println(file + ": valid, " + schema.resources().size() + " resource(s), "
                    + schema.relations().size() + " relation(s), " + schema.warnings().size() + " warning(s), hash "
                    + schema.hash());
            return 0;
        }
    }
}
