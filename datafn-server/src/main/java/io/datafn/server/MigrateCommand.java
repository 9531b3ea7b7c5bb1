package io.datafn.server;

import io.datafn.jdbc.JdbcStore;
import io.datafn.jdbc.MigrationPlan;
import io.datafn.schema.Schema;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.util.concurrent.Callable;

/**
 * {@code datafn migrate [--dry-run]}: the plan of what a start with {@code --schema} would do to {@code --db} (tables
 * and columns added with their DDL, destructive changes refused with the reason), then, without {@code --dry-run},
 * the migration itself.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = {"Shows what the --schema would add to the --db and what it would refuse, then applies it.",
                "Lines: 'add <what>' followed by its SQL, 'refuse <path>: <reason>'. A plan with a refusal is not applied."},
        footer = {"", "Exit codes: 0 applied (or planned with --dry-run and nothing refused), 3 refused or invalid schema,"
                + " 4 database unusable.", "",
                "Examples:", "  datafn migrate --dry-run --schema schema.json --db 'jdbc:postgresql://127.0.0.1:5432/app?user=postgres'",
                "  datafn migrate --schema schema.json"})
final class MigrateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;

    @Option(names = "--dry-run", description = "Only show the plan; change nothing")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        main.settings();
        Schema schema = main.loadSchema();
        try (JdbcStore store = main.openStore(2)) {
            MigrationPlan plan = store.planMigration(schema);
            System.out.println((dryRun ? "plan" : "migrating") + " for " + store.describe() + " with schema "
                    + main.schema + (plan.fresh() ? " (fresh database: the DataFn system tables are created too)" : ""));
            for (MigrationPlan.Step step : plan.additions()) {
                System.out.println("add " + step.description());
                System.out.println("    " + step.sql());
            }
            plan.refusals().forEach(p -> System.out.println("refuse " + p.path() + ": " + p.message()));
            if (plan.additions().isEmpty() && plan.refusals().isEmpty()) {
                System.out.println("nothing to add: the database is at this schema");
            }
            if (!plan.refusals().isEmpty()) {
                System.out.println(plan.refusals().size() + " change(s) refused: nothing " + (dryRun ? "would be" : "was")
                        + " applied");
                return Main.EXIT_SCHEMA;
            }
            if (dryRun) {
                System.out.println(plan.additions().size() + " addition(s) planned; nothing applied (--dry-run)");
                return 0;
            }
            store.migrate(schema);
            System.out.println(plan.additions().size() + " addition(s) applied; schema hash " + schema.hash());
            return 0;
        }
    }
}
