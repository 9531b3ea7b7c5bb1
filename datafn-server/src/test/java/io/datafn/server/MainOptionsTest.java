package io.datafn.server;

import io.datafn.Limits;
import io.datafn.auth.NamespaceProvider;
import io.datafn.router.RateLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Where the standalone server's options come from: the command line, else {@code DATAFN_*}, else the {@code --config}
 * file's camelCase key, else the default ({@link Limits#defaults()} for the limits). Parsed only, nothing started.
 */
class MainOptionsTest {
    @TempDir
    Path dir;

    private static Main parse(Map<String, String> env, String... args) {
        Main main = new Main(env);
        Main.commandLine(main).parseArgs(args);
        return main;
    }

    @Test
    void commandLineWinsOverEnvironment_whichWinsOverFile_whichWinsOverDefault() throws Exception {
        Path config = dir.resolve("datafn.yaml");
        Files.writeString(config, "port: 1111\nhost: file-host\ndb: jdbc:sqlite:file.db\nmaxLimit: 50\nrest: true\n");
        Map<String, String> env = new HashMap<>(Map.of("DATAFN_PORT", "2222", "DATAFN_HOST", "env-host",
                "DATAFN_MAX_PULL_LIMIT", " 300 ", "DATAFN_DB", ""));
        Main m = parse(env, "--config", config.toString(), "--host", "cli-host");

        assertThat(m.host).isEqualTo("cli-host");             // command line over environment and file
        assertThat(m.port).isEqualTo(2222);                    // environment over file
        assertThat(m.maxLimit).isEqualTo(50);                  // file over default
        assertThat(m.rest).isTrue();
        assertThat(m.db).isEqualTo("jdbc:sqlite:file.db");    // an empty variable counts as unset
        assertThat(m.maxPullLimit).isEqualTo(300);             // numbers are trimmed, as before
        assertThat(m.dbPool).isEqualTo(16);                    // nobody set it: the option's default
        assertThat(m.basePath).isEqualTo("/datafn");
        assertThat(m.schema).isEqualTo(Path.of("examples/tasks.schema.json"));

        Main.Settings s = m.settings();
        assertThat(s.limits()).isEqualTo(Limits.defaults().withMaxLimit(50).withMaxPullLimit(300));
        assertThat(s.namespaces()).isSameAs(NamespaceProvider.SINGLE);
    }

    @Test
    void defaults_areTheLimitsOwn_andTransactStepsStayUnreportedUntilSet() throws Exception {
        Main m = parse(Map.of());
        assertThat(m.settings().limits()).isEqualTo(Limits.defaults());
        assertThat(m.settings().limits().transactStepsConfigured()).isFalse();
        assertThat(m.port).isEqualTo(8080);
        assertThat(m.serverseq).isEqualTo("db");
        assertThat(m.bus).isEqualTo("auto");

        Path config = dir.resolve("datafn.json");
        Files.writeString(config, "{\"maxTransactSteps\": 7}");
        Limits fromFile = parse(Map.of("DATAFN_CONFIG", config.toString())).settings().limits();
        assertThat(fromFile.maxTransactSteps()).isEqualTo(7);
        assertThat(fromFile.transactStepsConfigured()).isTrue();
    }

    @Test
    void everyFlag_hasItsEnvironmentVariable() {
        Map<String, String> env = Map.of("DATAFN_DB_POOL", "4", "DATAFN_MAX_PUSH_ATTEMPTS", "9",
                "DATAFN_JWT_TENANT_CLAIM", "org", "DATAFN_RATE_LIMIT_WINDOW", "5", "DATAFN_REST", "true");
        Main m = parse(env);
        assertThat(m.dbPool).isEqualTo(4);
        assertThat(m.maxPushAttempts).isEqualTo(9);
        assertThat(m.jwtTenantClaim).isEqualTo("org");
        assertThat(m.rateLimitWindow).isEqualTo(5);
        assertThat(m.rest).isTrue();
    }

    @Test
    void maxResultBytes_defaultsToTheLimitsDefault_andComesFromItsFlagOrEnvironment() throws Exception {
        assertThat(parse(Map.of()).settings().limits().maxResultBytes()).isEqualTo(Limits.defaults().maxResultBytes());
        assertThat(parse(Map.of("DATAFN_MAX_RESULT_BYTES", "4096")).settings().limits().maxResultBytes()).isEqualTo(4096);
    }

    @Test
    void clientLimits_defaultToClientLimitsDefaults_andComeFromFlagsOrEnvironment() throws Exception {
        assertThat(parse(Map.of()).settings().clients()).isEqualTo(ClientLimits.defaults());
        ClientLimits c = parse(Map.of("DATAFN_HEADER_TIMEOUT", "1500", "DATAFN_REQUEST_TIMEOUT", "9000",
                "DATAFN_MAX_CONNECTIONS_PER_SOURCE", "0", "DATAFN_WS_MAX_PER_SOURCE", "7")).settings().clients();
        assertThat(c).isEqualTo(new ClientLimits(java.time.Duration.ofMillis(1500), java.time.Duration.ofMillis(9000), 0, 7));
        assertThatThrownBy(() -> parse(Map.of("DATAFN_REQUEST_TIMEOUT", "0")).settings())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requestTimeout");
    }

    @Test
    void theSubcommandsOptions_haveNoEnvironmentForm() {
        Main main = new Main(Map.of("DATAFN_LIMIT", "3", "DATAFN_NAMESPACE", "ns9"));
        CommandLine.ParseResult r = Main.commandLine(main).parseArgs("quarantine", "list");
        QuarantineCommand q = r.subcommand().commandSpec().commandLine().getCommand();
        assertThat(q.limit).isEqualTo(1000);
        assertThat(q.namespace).isNull();
    }

    @Test
    void aBadValue_namesTheOption() {
        assertThatThrownBy(() -> parse(Map.of("DATAFN_PORT", "eighty")))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--port");
        Main m = parse(Map.of("DATAFN_SERVERSEQ", "zookeeper"));
        assertThatThrownBy(m::settings).hasMessageContaining("serverseq must be db or redis");
        Main xml = parse(Map.of("DATAFN_LOG_FORMAT", "xml"));
        assertThatThrownBy(xml::settings).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("log-format must be text or json, got 'xml'");
    }

    @Test
    void logFormat_isTextUnlessSet() throws Exception {
        assertThat(parse(Map.of()).logFormatName).isEqualTo("text");
        assertThat(parse(Map.of("DATAFN_LOG_FORMAT", "json")).logFormatName).isEqualTo("json");
        assertThat(parse(Map.of(), "--log-format", "json").logFormatName).isEqualTo("json");
    }

    @Test
    void accessLog_isOnUnlessTurnedOff() throws Exception {
        assertThat(parse(Map.of()).accessLog).isTrue();
        assertThat(parse(Map.of(), "--access-log", "false").accessLog).isFalse();
        assertThat(parse(Map.of("DATAFN_ACCESS_LOG", "false")).accessLog).isFalse();
        Path config = dir.resolve("off.yaml");
        Files.writeString(config, "accessLog: false\n");
        assertThat(parse(Map.of(), "--config", config.toString()).accessLog).isFalse();
        assertThat(parse(Map.of("DATAFN_ACCESS_LOG", "false"), "--access-log", "true").accessLog).isTrue();
    }

    @Test
    void theServersOptions_mayStandAfterACommand_andKeepTheirEnvironmentAndFileForms() throws Exception {
        Main before = parse(Map.of("DATAFN_DB_POOL", "6"), "--db", "jdbc:sqlite:a.db", "migrate", "--dry-run");
        assertThat(before.db).isEqualTo("jdbc:sqlite:a.db");
        assertThat(before.dbPool).isEqualTo(6);
        Main after = parse(Map.of("DATAFN_DB", "jdbc:sqlite:env.db"), "export", "--port", "9", "--namespace", "n");
        assertThat(after.port).isEqualTo(9);
        assertThat(after.db).as("the environment still fills an option not given").isEqualTo("jdbc:sqlite:env.db");
        Main serve = parse(Map.of(), "serve", "--port", "7");
        assertThat(serve.port).isEqualTo(7);
    }

    @Test
    void rateLimiting_perActionLimits_fromFlagsEnvironmentOrFileList() throws Exception {
        RateLimits flags = parse(Map.of(), "--rate-limit", "100", "--rate-limit-action", "push=10/30,pull=50",
                "--ratelimiting", "redis").settings().rateLimits();
        assertThat(flags.limit("query")).isEqualTo(new RateLimits.Limit(100, Duration.ofSeconds(60)));
        assertThat(flags.limit("push")).isEqualTo(new RateLimits.Limit(10, Duration.ofSeconds(30)));
        assertThat(flags.limit("pull")).isEqualTo(new RateLimits.Limit(50, Duration.ofSeconds(60)));

        Path config = dir.resolve("rl.yaml");
        Files.writeString(config, "rateLimitAction: [\"seed=2/10\", \"clone=3\"]\nratelimiting: memory\n");
        RateLimits file = parse(Map.of("DATAFN_CONFIG", config.toString())).settings().rateLimits();
        assertThat(file.limit("seed")).isEqualTo(new RateLimits.Limit(2, Duration.ofSeconds(10)));
        assertThat(file.limit("clone")).isEqualTo(new RateLimits.Limit(3, Duration.ofSeconds(60)));
        assertThat(parse(Map.of("DATAFN_RATE_LIMIT_ACTION", "push=1")).settings().rateLimits().limit("push").maxRequests()).isEqualTo(1);
        assertThat(parse(Map.of()).settings().rateLimits()).as("off by default").isNull();

        assertThatThrownBy(() -> parse(Map.of(), "--ratelimiting", "db").settings())
                .hasMessageContaining("ratelimiting must be memory or redis, got 'db'");
        assertThatThrownBy(() -> parse(Map.of(), "--rate-limit-action", "push").settings())
                .hasMessageContaining("rate-limit-action must be ACTION=N or ACTION=N/SECONDS, got 'push'");
        assertThatThrownBy(() -> parse(Map.of(), "--rate-limit-action", "push=ten").settings())
                .hasMessageContaining("rate limit must be N or N/SECONDS, got 'ten'");
    }

    @Test
    void bus_autoPollsTheCountersWithoutNotificationsOrRedis_andEachModeIsSelectable() throws Exception {
        try (io.datafn.jdbc.JdbcStore store = io.datafn.jdbc.JdbcStore.open("jdbc:sqlite:" + dir.resolve("bus.db"), null, null, 1)) {
            assertThat(parse(Map.of()).busPollMs).isEqualTo(200);
            try (io.datafn.realtime.ClusterBus bus = parse(Map.of()).bus(store)) {
                assertThat(bus).isInstanceOf(io.datafn.realtime.PollingBus.class);
            }
            try (io.datafn.realtime.ClusterBus bus = parse(Map.of(), "--bus", "poll", "--bus-poll-ms", "50").bus(store)) {
                assertThat(bus).isInstanceOf(io.datafn.realtime.PollingBus.class);
            }
            try (io.datafn.realtime.ClusterBus bus = parse(Map.of(), "--bus", "local").bus(store)) {
                assertThat(bus).isInstanceOf(io.datafn.realtime.LocalBus.class);
            }
            assertThatThrownBy(() -> parse(Map.of(), "--bus", "postgres").bus(store))
                    .hasMessageContaining("--bus postgres needs a PostgreSQL --db");
            assertThatThrownBy(() -> parse(Map.of(), "--bus", "kafka").bus(store))
                    .hasMessageContaining("bus must be auto, local, postgres, redis or poll, got 'kafka'");
        }
        assertThatThrownBy(() -> parse(Map.of(), "--bus-poll-ms", "0").settings())
                .hasMessageContaining("bus-poll-ms must be at least 1");
    }
}
