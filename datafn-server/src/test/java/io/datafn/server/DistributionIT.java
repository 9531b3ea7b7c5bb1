package io.datafn.server;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The release archive {@code ./mvnw package} builds (failsafe, after packaging): its contents, and its launcher run as
 * a real process: {@code --help}, {@code schema check} exit codes, the shell-completion script, and plain messages when
 * Java is missing or too old.
 */
class DistributionIT {
    @TempDir
    static Path dir;

    static Path archive;
    static Path home;

    record Run(int exit, String out, String err) {
    }

    @BeforeAll
    static void extract() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            archive = files.filter(p -> p.getFileName().toString().matches("datafn-.*\\.tar\\.gz")).findFirst().orElseThrow();
        }
        Run x = run(List.of("tar", "xzf", archive.toAbsolutePath().toString(), "-C", dir.toString()), Map.of());
        assertThat(x.exit()).as(x.err()).isZero();
        try (Stream<Path> top = Files.list(dir)) {
            home = top.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    static Run run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(home == null ? dir.toFile() : home.toFile());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("finished within 60 s: " + command).isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    static Run datafn(String... args) throws Exception {
        return run(Stream.concat(Stream.of(home.resolve("bin/datafn").toString()), Stream.of(args)).toList(), Map.of());
    }

    @Test
    void archive_holdsLauncherJarExampleSchemaAndReadme() throws Exception {
        assertThat(home.getFileName().toString()).startsWith("datafn-");
        assertThat(home.resolve("lib/datafn-server.jar")).isRegularFile();
        assertThat(home.resolve("examples/tasks.schema.json")).isRegularFile();
        assertThat(home.resolve("README.md")).isRegularFile();
        assertThat(home.resolve("docs/CLI.md")).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("bin/datafn")))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void launcher_help_listsCommandsAndExamples() throws Exception {
        Run r = datafn("--help");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Usage: datafn ").contains("Examples:")
                .contains("serve").contains("migrate").contains("schema").contains("export").contains("import")
                .contains("generate-completion");
        Run migrate = datafn("migrate", "--help");
        assertThat(migrate.out()).contains("--dry-run").contains("see datafn --help").doesNotContain("--jwt-secret");
    }

    @Test
    void schemaCheck_exitsZeroWhenValid_threeWithPathsWhenNot() throws Exception {
        Run ok = datafn("schema", "check", "examples/tasks.schema.json");
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("examples/tasks.schema.json: valid, 5 resource(s)");

        Path warned = dir.resolve("warned.json"); // the client would refuse a non-string indices entry: served, warned
        Files.writeString(warned, "{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"string\"}],"
                + "\"indices\":[[\"x\"]]}]}");
        Run w = datafn("schema", "check", warned.toString());
        assertThat(w.exit()).isZero();
        assertThat(w.out()).contains("warning resources[0].indices[0]: ").contains("1 warning(s)");

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"resources\":[{\"name\":\"t\",\"version\":1,\"fields\":[{\"name\":\"x\",\"type\":\"nope\"}]}]}");
        Run b = datafn("schema", "check", bad.toString());
        assertThat(b.exit()).isEqualTo(Main.EXIT_SCHEMA);
        assertThat(b.out()).contains("error resources[0].fields[0].type: ").contains("invalid, 1 error(s)");
        assertThat(b.err()).isEmpty();
    }

    @Test
    void generateCompletion_printsABashCompletionScript() throws Exception {
        Run r = datafn("generate-completion");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("complete -F").contains("migrate").contains("--dry-run");
    }

    @Test
    void launcher_saysPlainlyWhenJavaIsMissingOrTooOld() throws Exception {
        String launcher = home.resolve("bin/datafn").toString();
        Run badHome = run(List.of(launcher, "--help"), Map.of("JAVA_HOME", "/nonexistent"));
        assertThat(badHome.exit()).isEqualTo(1);
        assertThat(badHome.err()).startsWith("datafn: Java 17 or newer is required, but JAVA_HOME is '/nonexistent'");

        Path noJava = Files.createDirectories(dir.resolve("nojava")); // the tools the launcher uses, but no java
        for (String tool : List.of("dirname", "sed", "head", "cut")) {
            Files.copy(Path.of("/usr/bin", tool), noJava.resolve(tool), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        Run missing = run(List.of("/bin/sh", launcher, "--help"), Map.of("JAVA_HOME", "", "PATH", noJava.toString()));
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).startsWith("datafn: Java 17 or newer is required, but no java was found");

        Path old = Files.createDirectories(dir.resolve("old/bin"));
        Files.writeString(old.resolve("java"), "#!/bin/sh\necho 'openjdk version \"11.0.21\" 2023-10-17' >&2\n", StandardCharsets.UTF_8);
        old.resolve("java").toFile().setExecutable(true);
        Run tooOld = run(List.of(launcher, "--help"), Map.of("JAVA_HOME", old.getParent().toString()));
        assertThat(tooOld.exit()).isEqualTo(1);
        assertThat(tooOld.err()).contains("Java 17 or newer is required, but " + old.resolve("java") + " is Java 11.0.21");
    }
}
