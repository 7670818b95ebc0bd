package dev.cairn.replication.failover;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the operator's hook commands ({@code sh -c COMMAND}) with the failover's facts in the
 * environment and a hard timeout: a hung hook is killed (with its process group's children that
 * still hold its output) so it cannot hold the decision lease forever. Hooks run in the config
 * file's directory.
 */
public final class Hooks {

    /** How one command ended. */
    public record Outcome(String command, int exitCode, boolean timedOut, String output) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        @Override
        public String toString() {
            return "`" + command + "` " + (timedOut ? "timed out" : "exited " + exitCode)
                    + (output.isBlank() ? "" : ": " + output.strip());
        }
    }

    private final Duration timeout;
    private final java.nio.file.Path workDir;

    /** @param workDir where hooks run (the config file's directory), null for the current one */
    public Hooks(Duration timeout, java.nio.file.Path workDir) {
        this.timeout = timeout;
        this.workDir = workDir;
    }

    /**
     * Runs each command in order; stops at the first that fails when {@code stopOnFailure}.
     * Returns the outcomes of those that ran.
     */
    public List<Outcome> run(List<String> commands, Map<String, String> env, boolean stopOnFailure)
            throws InterruptedException {
        java.util.ArrayList<Outcome> out = new java.util.ArrayList<>();
        for (String cmd : commands) {
            Outcome o = runOne(cmd, env);
            out.add(o);
            if (stopOnFailure && !o.ok()) {
                break;
            }
        }
        return out;
    }

    private Outcome runOne(String cmd, Map<String, String> env) throws InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("setsid", "sh", "-c", cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Outcome(cmd, 127, false, "cannot start: " + e.getMessage());
        }
        // The output is read on its own thread so a chatty hook cannot block on a full pipe.
        StringBuilder text = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                byte[] all = p.getInputStream().readAllBytes();
                synchronized (text) {
                    text.append(new String(all, 0, Math.min(all.length, 4096), StandardCharsets.UTF_8));
                }
            } catch (IOException ignored) {
                // the process was killed
            }
        }, "cairn-hook-output");
        reader.setDaemon(true);
        reader.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            killGroup(p);
            reader.join(1000);
            synchronized (text) {
                return new Outcome(cmd, -1, true, text.toString());
            }
        }
        reader.join(1000);
        synchronized (text) {
            return new Outcome(cmd, p.exitValue(), false, text.toString());
        }
    }

    /** setsid made the hook a process group leader: kill the group (sleep children and all). */
    private static void killGroup(Process p) throws InterruptedException {
        try {
            new ProcessBuilder("kill", "-KILL", "--", "-" + p.pid()).start().waitFor(2, TimeUnit.SECONDS);
        } catch (IOException ignored) {
            // fall through to the direct kill
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(2, TimeUnit.SECONDS);
    }
}
