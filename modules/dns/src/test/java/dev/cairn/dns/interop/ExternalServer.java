package dev.cairn.dns.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * An incumbent server (NSD, BIND's named, dig) run as a child process for a differential or
 * interop test; its output goes to a log file that failures quote. {@link #close} kills it.
 */
final class ExternalServer implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ExternalServer(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** The executable's path if it is installed, else null (the test is then skipped). */
    static String which(String name) {
        for (String dir : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    static ExternalServer start(Path log, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        return new ExternalServer(pb.start(), log);
    }

    /** Waits until {@code ready} holds; fails with the server's log if it exits or the time runs out. */
    void await(Duration timeout, String what, BooleanSupplier ready) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive()) throw new AssertionError(what + ": server exited " + process.exitValue() + "\n" + log());
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what + "\n" + log());
            Thread.sleep(50);
        }
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Runs a command to completion and returns its output. */
    static String run(Duration timeout, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", command));
        }
        return new String(p.getInputStream().readAllBytes());
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
