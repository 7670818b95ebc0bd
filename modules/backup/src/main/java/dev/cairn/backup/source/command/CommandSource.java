package dev.cairn.backup.source.command;

import dev.cairn.backup.source.ChildProcess;
import dev.cairn.backup.source.EntryMeta;
import dev.cairn.backup.source.EntrySink;
import dev.cairn.backup.source.SecretFile;
import dev.cairn.backup.source.Source;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs a program and backs up what it produces: its standard output streamed straight into the
 * repository as one file ({@code stdout_as}), or the files of a directory it writes
 * ({@code produces}). A non-zero exit, a timeout or a missing produced directory fails the run
 * with the exit code and the end of standard error in the message; the exit code, the duration
 * and the standard error's last line go to the manifest.
 */
public final class CommandSource implements Source {

    private final CommandSourceConfig cfg;
    private final Path configDir;

    public CommandSource(CommandSourceConfig cfg, Path configDir) {
        this.cfg = cfg;
        this.configDir = configDir;
    }

    @Override
    public List<String> describe() {
        return List.of("command:" + cfg.run().get(0));
    }

    /** The environment for the program: {@code env} plus each {@code env_files} entry read now. */
    Map<String, String> environment() throws SourceException {
        Map<String, String> env = new LinkedHashMap<>(cfg.env());
        for (Map.Entry<String, Path> e : cfg.envFiles().entrySet()) {
            Path f = configDir.resolve(e.getValue()).normalize();
            try {
                env.put(e.getKey(), SecretFile.readSecret(f));
            } catch (IOException ex) {
                throw new SourceException(SourceErrors.SECRET_UNREADABLE, "env_files." + e.getKey() + ": cannot read " + f + ": " + ex.getMessage());
            }
        }
        return env;
    }

    @Override
    public void emit(EntrySink sink) throws IOException, InterruptedException {
        Map<String, String> env = environment();
        Path workdir = configDir.resolve(cfg.workdir()).normalize();
        Path scratch = null;
        List<String> argv = new ArrayList<>(cfg.run());
        Path produced = null;
        if (cfg.produces() != null) {
            scratch = Files.createTempDirectory("cairn-command-");
            String dir = cfg.produces().replace("{dir}", scratch.toString());
            produced = workdir.resolve(dir).normalize();
            String scratchDir = scratch.toString();
            argv.replaceAll(a -> a.replace("{dir}", scratchDir));
        }
        long t0 = System.nanoTime();
        try (ChildProcess p = ChildProcess.start(argv, env, workdir, cfg.timeout(), null)) {
            if (cfg.stdoutAs() != null) {
                try (InputStream out = p.stdout()) {
                    sink.stream(EntryMeta.streamed(cfg.stdoutAs()), out);
                }
            } else {
                p.stdout().transferTo(java.io.OutputStream.nullOutputStream());
            }
            int rc = p.waitFor();
            sink.extra("command.exit_code", Integer.toString(rc));
            sink.extra("command.seconds", String.format(java.util.Locale.ROOT, "%.3f", (System.nanoTime() - t0) / 1e9));
            String err = p.stderrTail();
            if (!err.isEmpty()) sink.extra("command.stderr_last_line", lastLine(err));
            if (p.timedOut()) {
                throw new SourceException(SourceErrors.TIMED_OUT, p.program() + " ran longer than its timeout "
                        + dev.cairn.spi.config.Durations.format(cfg.timeout()) + " and was killed" + tail(err));
            }
            if (rc != 0) {
                throw new SourceException(SourceErrors.COMMAND_FAILED, p.program() + " exited with " + rc + tail(err));
            }
            if (produced != null) emitTree(sink, produced);
        } finally {
            if (scratch != null) deleteTree(scratch);
        }
    }

    private void emitTree(EntrySink sink, Path root) throws IOException, InterruptedException {
        if (!Files.isDirectory(root)) {
            throw new SourceException(SourceErrors.COMMAND_FAILED, cfg.run().get(0) + " exited 0 but did not produce " + root);
        }
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            if (p.equals(root)) continue;
            String rel = root.relativize(p).toString().replace('\\', '/');
            if (Files.isDirectory(p)) {
                sink.directory(EntryMeta.directory(rel));
            } else if (Files.isRegularFile(p)) {
                try (InputStream in = Files.newInputStream(p)) {
                    sink.stream(EntryMeta.streamed(rel), in);
                }
            } else {
                sink.skipped(rel + ": not a regular file");
            }
        }
    }

    private static String lastLine(String err) {
        String[] lines = err.strip().split("\n");
        return lines[lines.length - 1].strip();
    }

    private static String tail(String err) {
        if (err.isEmpty()) return " (no standard error)";
        String t = err.length() > 2000 ? "..." + err.substring(err.length() - 2000) : err;
        return ": " + t.strip();
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a scratch directory under the temp dir
        }
    }
}
