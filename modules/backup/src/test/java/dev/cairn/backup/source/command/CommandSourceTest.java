package dev.cairn.backup.source.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.backup.source.DirectoryEntries;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandSourceTest {

    @TempDir
    Path tmp;

    CommandSourceConfig cfg(List<String> run, String stdoutAs, String produces, Map<String, Path> envFiles, Duration timeout) {
        return new CommandSourceConfig(run, stdoutAs, produces, Map.of("LC_ALL", "C"), envFiles, Path.of("."), timeout, List.of());
    }

    @Test
    void standardOutputIsStoredAndTheSecretComesFromAFileThroughTheEnvironment() throws Exception {
        Files.writeString(tmp.resolve("token"), "tok-123\n");
        CommandSource src = new CommandSource(cfg(List.of("sh", "-c", "echo \"user=$LOGNAME_X token=$TOKEN\"; seq 1 100000"),
                "dump.txt", null, Map.of("TOKEN", Path.of("token")), Duration.ofSeconds(30)), tmp);
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap"));
        src.emit(sink);
        String out = sink.read("dump.txt");
        assertThat(out).startsWith("user= token=tok-123\n1\n2\n").endsWith("\n100000\n");
        assertThat(sink.extra()).containsEntry("command.exit_code", "0").containsKey("command.seconds");
        assertThat(src.describe()).containsExactly("command:sh");
    }

    @Test
    void aNonZeroExitFailsWithTheExitCodeAndStandardError() {
        CommandSource src = new CommandSource(cfg(List.of("sh", "-c", "echo partial; echo 'pg_dump: error: connection refused' >&2; exit 3"),
                "dump", null, Map.of(), Duration.ofSeconds(30)), tmp);
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap"));
        assertThatThrownBy(() -> src.emit(sink))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.COMMAND_FAILED))
                .hasMessageContaining("sh exited with 3").hasMessageContaining("connection refused");
        assertThat(sink.extra()).containsEntry("command.exit_code", "3");
    }

    @Test
    void aCommandRunningPastItsTimeoutIsKilled() {
        CommandSource src = new CommandSource(cfg(List.of("sh", "-c", "echo started; sleep 60"), "dump", null, Map.of(),
                Duration.ofMillis(500)), tmp);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> src.emit(new DirectoryEntries(tmp.resolve("snap"))))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.TIMED_OUT))
                .hasMessageContaining("timeout 500ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void aProducedDirectoryIsBackedUpAndRemoved() throws Exception {
        CommandSource src = new CommandSource(cfg(List.of("sh", "-c", "mkdir -p {dir}/shard1 && echo meta > {dir}/manifest.json && echo data > {dir}/shard1/000.tsm"),
                null, "{dir}", Map.of(), Duration.ofSeconds(30)), tmp);
        DirectoryEntries sink = new DirectoryEntries(tmp.resolve("snap"));
        src.emit(sink);
        assertThat(sink.paths()).containsExactly("manifest.json", "shard1/000.tsm");
        assertThat(sink.read("shard1/000.tsm")).isEqualTo("data\n");
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("cairn-command-"))
                    .filter(p -> Files.exists(p.resolve("manifest.json")))).isEmpty();
        }
    }

    @Test
    void aCommandThatProducesNothingFails() {
        CommandSource src = new CommandSource(cfg(List.of("true"), null, "out/backup", Map.of(), Duration.ofSeconds(30)), tmp);
        assertThatThrownBy(() -> src.emit(new DirectoryEntries(tmp.resolve("snap"))))
                .isInstanceOfSatisfying(SourceException.class, e -> assertThat(e.id()).isEqualTo(SourceErrors.COMMAND_FAILED))
                .hasMessageContaining("did not produce");
    }
}
