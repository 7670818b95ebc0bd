package dev.cairn.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLI's exit codes and messages, as a shell script would see them. */
class CliTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldOut;
    private PrintStream oldErr;

    @BeforeEach
    void capture() {
        oldOut = System.out;
        oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(oldOut);
        System.setErr(oldErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /**
     * {@code run}'s usual command lines skip picocli; what a user sees must not tell: the same
     * exit code and messages as the same options in a form only picocli reads ({@code -c=FILE} is
     * left to it), and picocli's own answers for anything unusual.
     */
    @Test
    void runWithoutPicocliAnswersAsPicocliDoes() throws Exception {
        Path bad = dir.resolve("bad.yml");
        Files.writeString(bad, "services:\n  web:\n    endpoints: [127.0.0.1:99999]\n");
        assertThat(RunCommand.parseCommon("run", "-c", bad.toString(), "--log-format", "JSON")).isNotNull();
        assertThat(RunCommand.parseCommon("run", "--config=" + bad, "--node", "n1", "--log-level=warn")).isNotNull();
        assertThat(Main.execute("run", "-c", bad.toString(), "--log-level", "error")).isEqualTo(1);
        String quick = err();
        err.reset();
        assertThat(RunCommand.parseCommon("run", "-c=" + bad, "--log-level", "error")).isNull();
        assertThat(Main.execute("run", "-c=" + bad, "--log-level", "error")).isEqualTo(1);
        assertThat(err()).isEqualTo(quick).contains("port 99999 is out of range 1..65535")
                .contains("cairn: 1 config error(s), not started");
        for (String[] unusual : new String[][] {{"run", "--help"}, {"run", "-c"}, {"run", "-c", "a", "-c", "b"},
                {"run", "--log-format", "xml"}, {"run", "--bogus", "x"}, {"run", "extra"}, {"run", "-c", "-x"}}) {
            assertThat(RunCommand.parseCommon(unusual)).as(String.join(" ", unusual)).isNull();
        }
        err.reset();
        assertThat(Main.execute("run", "--log-format", "xml")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("Invalid value for option '--log-format'").contains("Try 'cairn run --help'.");
        err.reset();
        assertThat(Main.execute("run", "-c", bad.toString(), "-c", bad.toString())).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("should be specified only once");
    }

    /** A module whose verb prints what it was given. */
    static final class Echo implements dev.cairn.spi.Module<Echo.Config> {
        record Config(String word) {
        }

        @Override public String name() { return "echo"; }
        @Override public Class<Config> configType() { return Config.class; }
        @Override public void start(Config c, dev.cairn.spi.ModuleContext ctx) { }
        @Override public void stop() { }

        @Override
        public java.util.List<dev.cairn.spi.command.ModuleCommand<Config>> commands() {
            return java.util.List.of(new dev.cairn.spi.command.ModuleCommand<>() {
                @Override public String name() { return "echo"; }
                @Override public String summary() { return "Prints its arguments."; }
                @Override public String usage() { return "Usage: cairn echo ARGS"; }

                @Override
                public int run(dev.cairn.spi.command.CommandContext<Config> c) {
                    if (c.args().contains("boom")) throw new IllegalStateException("it went boom");
                    c.out().println("args=" + c.args() + " word=" + c.config().map(Config::word).orElse("-")
                            + " dir=" + c.configDir() + " node=" + c.nodeName());
                    return 3;
                }
            });
        }
    }

    /**
     * A module's verb ({@code cairn backup run JOB}) skips picocli too: the same exit code and output
     * as picocli's parse of the same line, and picocli's own answers for forms the quick parse leaves to it.
     */
    @Test
    void moduleVerbsWithoutPicocliAnswerAsPicocliDoes() throws Exception {
        Path cfg = dir.resolve("echo.yml");
        Files.writeString(cfg, "echo: { word: hello }\n");
        dev.cairn.core.config.ModuleRegistry reg = dev.cairn.core.config.ModuleRegistry.of(new Echo());
        String[][] usual = {
            {"echo", "-c", cfg.toString(), "run", "job", "--tag", "x"},
            {"echo", "run", "--config=" + cfg, "job", "--node", "n1", "--daemon"},
            {"echo", "--help"},
            {"echo", "-c", cfg.toString(), "boom"},
            {"echo", "-c", dir.resolve("missing.yml").toString(), "run"},
        };
        for (String[] line : usual) {
            assertThat(ModuleVerb.parseQuick(reg, Main.BUILT_IN, line)).as(String.join(" ", line)).isNotNull();
            out.reset();
            err.reset();
            int quick = Main.execute(reg, line);
            String quickOut = out(), quickErr = err();
            out.reset();
            err.reset();
            int viaPicocli = Main.picocli(() -> reg, line);
            assertThat(quick).as(String.join(" ", line)).isEqualTo(viaPicocli);
            assertThat(quickOut).as(String.join(" ", line)).isEqualTo(out());
            assertThat(quickErr).as(String.join(" ", line)).isEqualTo(err());
        }
        for (String[] unusual : new String[][] {{"echo", "-c"}, {"echo", "-c", "a", "-c", "b"}, {"echo", "-c" + cfg},
                {"echo", "--", "-c", "x"}, {"echo", "@args"}, {"echo", "--node", "-x"}, {"nope"}, {"run"}, {"help"}}) {
            assertThat(ModuleVerb.parseQuick(reg, Main.BUILT_IN, unusual)).as(String.join(" ", unusual)).isNull();
        }
        err.reset();
        assertThat(Main.execute(reg, "echo", "-c", "a", "-c", "b")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("should be specified only once");
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Class<?> c : Main.COMMANDS) names.add(c.getAnnotation(picocli.CommandLine.Command.class).name());
        names.add("help");
        assertThat(Main.BUILT_IN).as("the built-in commands' names").isEqualTo(names);
    }

    @Test
    void checkExitsZeroOnAValidFile() throws Exception {
        Path f = dir.resolve("ok.yml");
        Files.writeString(f, "services:\n  web:\n    endpoints: [127.0.0.1:8080]\ndemo:\n  service: web\n");
        assertThat(Main.execute("check", "-c", f.toString())).isEqualTo(0);
        assertThat(out()).startsWith(f + ": OK (hash ").contains("1 services; modules: demo");
    }

    @Test
    void checkExitsOneAndPrintsEveryError() throws Exception {
        Path f = dir.resolve("bad.yml");
        Files.writeString(f, "services:\n  web:\n    endpoints: [127.0.0.1:99999]\ndemo:\n  service: nope\n");
        assertThat(Main.execute("check", "-c", f.toString())).isEqualTo(1);
        assertThat(err()).contains(f + ":3:17: services.web.endpoints[0]: port 99999 is out of range 1..65535")
                .contains(f + ": 1 error(s)");
    }

    /**
     * Ansible's {@code validate:} runs the check on a copy in a temporary directory: with
     * {@code --base-dir} the copy's relative paths (here the admin token) resolve from the real
     * file's directory, as they will once the copy replaces it; without it they do not.
     */
    @Test
    void checkWithBaseDirResolvesRelativePathsFromThere() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("admin.token"), "s3cret-token\n");
        Path copy = Files.createDirectories(dir.resolve("tmp")).resolve("ansible-tmp-cairn.yml");
        Files.writeString(copy, "admin:\n  listen: 127.0.0.1:9000\n  token_file: admin.token\n"
                + "services:\n  web:\n    endpoints: [127.0.0.1:8080]\n");
        assertThat(Main.execute("check", "-c", copy.toString())).isEqualTo(1);
        assertThat(err()).contains(copy + ":").contains("token_file").contains(dir.resolve("tmp").resolve("admin.token").toString());
        err.reset();
        assertThat(Main.execute("check", "--base-dir", etc.toString(), "-c", copy.toString())).as(err()).isEqualTo(0);
        assertThat(out()).startsWith(copy + ": OK (hash ");
        assertThat(Main.execute("check", "--base-dir", dir.resolve("nope").toString(), "-c", copy.toString())).isEqualTo(1);
        assertThat(err()).contains("--base-dir " + dir.resolve("nope") + ": not a directory");
    }

    @Test
    void checkAgainstTheRunningFilePrintsWhatAReloadWouldChange() throws Exception {
        Path running = dir.resolve("running.yml");
        Files.writeString(running, "admin:\n  listen: 127.0.0.1:9000\nservices:\n  web:\n    endpoints: [127.0.0.1:8080, 127.0.0.1:8081]\n"
                + "  old:\n    endpoints: [127.0.0.1:7000]\ndemo:\n  service: web\n");
        Path next = dir.resolve("next.yml");
        Files.writeString(next, "admin:\n  listen: 127.0.0.1:9001\nservices:\n  web:\n    endpoints: [127.0.0.1:8080, 127.0.0.1:8082]\n"
                + "    check: { type: tcp }\n  api:\n    endpoints: [127.0.0.1:6000]\ndemo:\n  service: api\n");
        assertThat(Main.execute("check", "-c", next.toString(), "--against", running.toString())).isEqualTo(0);
        assertThat(out()).contains("reload from " + running + " (hash ")
                .contains("  admin: admin.listen (restart)\n")
                .contains("  service web: endpoint 127.0.0.1:8082 added\n")
                .contains("  service web: endpoint 127.0.0.1:8081 removed\n")
                .contains("  service web: services.web.check\n")
                .contains("  service api: added with 1 endpoint(s)\n")
                .contains("  service old: removed\n")
                .contains("  module demo: reloads (1 key(s) changed)\n    demo.service\n")
                .contains("  keys marked restart (their listener re-opens, or they wait for the next start): admin.listen\n");
        assertThat(Main.execute("check", "-c", running.toString(), "--against", running.toString())).isEqualTo(0);
        assertThat(out()).endsWith("would change:\n  no changes\n");
    }

    @Test
    void usageErrorsExit64() {
        assertThat(Main.execute("check", "--no-such-flag")).isEqualTo(Main.EXIT_USAGE);
        assertThat(err()).contains("Unknown option: '--no-such-flag'");
        assertThat(Main.execute("frobnicate")).isEqualTo(Main.EXIT_USAGE);
        assertThat(Main.execute()).isEqualTo(Main.EXIT_USAGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"run", "check", "status", "reload", "drain", "enable", "version"})
    void everyCommandHasHelp(String command) {
        assertThat(Main.execute(command, "--help")).isEqualTo(0);
        assertThat(out()).contains("Usage: cairn " + command);
    }

    @Test
    void versionPrintsTheBuildVersion() {
        assertThat(Main.execute("version")).isEqualTo(0);
        assertThat(out()).matches("cairn \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java 17.*\\)\\s*");
    }

    @Test
    void statusWithNothingRunningSaysSoAndExitsOne() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(Main.execute("status", "--url", "http://127.0.0.1:" + port)).isEqualTo(1);
        assertThat(err()).contains("cannot reach the admin API at http://127.0.0.1:" + port + " (is cairn running?)");
    }
}
