package dev.cairn.backup.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A child process a source runs (mariadb-dump, pg_dump, ...): its standard output is read by
 * the caller as a stream, its standard error is drained by a thread of its own into a bounded
 * tail (so a chatty child never blocks), and a watchdog kills it (and its descendants) at the
 * deadline. Secrets reach the child through files or its environment, never its argv.
 *
 * <p>Owned by the thread that started it; {@link #close()} kills what is still running.
 */
public final class ChildProcess implements AutoCloseable {

    /** How much of the end of standard error is kept for messages. */
    public static final int STDERR_TAIL_BYTES = 16 * 1024;

    private final Process process;
    private final List<String> argv;
    private final Thread stderrReader;
    private final Thread watchdog;
    private final byte[] tail = new byte[STDERR_TAIL_BYTES];
    private long tailWritten;
    private volatile boolean timedOut;

    private ChildProcess(Process process, List<String> argv, Duration timeout, Consumer<String> stderrLines) {
        this.process = process;
        this.argv = List.copyOf(argv);
        this.stderrReader = new Thread(() -> drain(stderrLines), "child-stderr-" + process.pid());
        this.stderrReader.setDaemon(true);
        this.stderrReader.start();
        this.watchdog = new Thread(() -> watch(timeout), "child-watchdog-" + process.pid());
        this.watchdog.setDaemon(true);
        this.watchdog.start();
    }

    /**
     * Starts {@code argv} with the inherited environment plus {@code env}, in {@code dir} (null:
     * the current directory), standard input closed.
     *
     * @param stderrLines called with each line of standard error as it arrives (null: none)
     */
    public static ChildProcess start(List<String> argv, Map<String, String> env, Path dir, Duration timeout,
                                     Consumer<String> stderrLines) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        if (dir != null) pb.directory(dir.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return new ChildProcess(pb.start(), argv, timeout, stderrLines);
    }

    /** The child's standard output. */
    public InputStream stdout() {
        return process.getInputStream();
    }

    /** Waits for the child (bounded by the watchdog) and for its standard error to be drained. */
    public int waitFor() throws InterruptedException {
        int rc = process.waitFor();
        stderrReader.join(TimeUnit.SECONDS.toMillis(5));
        return rc;
    }

    public boolean timedOut() {
        return timedOut;
    }

    public long pid() {
        return process.pid();
    }

    /** The program, for messages (never the arguments: they may name files an operator should not need). */
    public String program() {
        return argv.get(0);
    }

    /** The last {@link #STDERR_TAIL_BYTES} of standard error, trimmed. */
    public synchronized String stderrTail() {
        int n = (int) Math.min(tailWritten, tail.length);
        byte[] out = new byte[n];
        int start = (int) ((tailWritten - n) % tail.length);
        for (int i = 0; i < n; i++) out[i] = tail[(start + i) % tail.length];
        return new String(out, StandardCharsets.UTF_8).trim();
    }

    private void drain(Consumer<String> lines) {
        StringBuilder line = new StringBuilder();
        byte[] buf = new byte[4096];
        try (InputStream in = process.getErrorStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (this) {
                    for (int i = 0; i < n; i++) tail[(int) (tailWritten++ % tail.length)] = buf[i];
                }
                if (lines != null) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines.accept(line.toString());
                            line.setLength(0);
                        } else if (line.length() < 4096) {
                            line.append((char) (buf[i] & 0xFF));
                        }
                    }
                }
            }
        } catch (IOException e) {
            // The child is gone; what we have is the tail.
        }
        if (lines != null && line.length() > 0) lines.accept(line.toString());
    }

    private void watch(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGKILL to the child and every descendant. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public void close() {
        if (process.isAlive()) kill();
        watchdog.interrupt();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
