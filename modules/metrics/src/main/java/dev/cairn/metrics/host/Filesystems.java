package dev.cairn.metrics.host;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mount table and a statfs(2) of each mount point, as node_exporter's filesystem collector.
 *
 * <p>The JDK's {@code FileStore} gives sizes but not inode counts, so statfs is read through
 * coreutils {@code stat -f}: one short process per mount point, all started at once and awaited
 * together for at most {@link #MOUNT_TIMEOUT}. A mount point whose probe has not answered by then
 * (a hung NFS server) is reported with {@code node_filesystem_device_error 1} and is not probed
 * again until that probe exits, like node_exporter's "stuck mounts". Thread-safe: probes are
 * serialized.
 */
final class Filesystems implements AutoCloseable {

    /** node_exporter's {@code --collector.filesystem.mount-timeout} default. */
    static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(Filesystems.class);
    private static final File DEV_NULL = new File("/dev/null");
    private static final Pattern OCTAL_ESCAPE = Pattern.compile("\\\\([0-7]{3})");

    /** One line of /proc/self/mounts. */
    record Mount(String device, String mountPoint, String fsType, boolean readOnly) {
    }

    /** The statfs(2) fields node_exporter exports; block counts are in units of {@code f_bsize}. */
    record Statfs(double blockSize, double blocks, double blocksFree, double blocksAvailable,
            double files, double filesFree) {
    }

    /** statfs of the mount point appended as the last argument, printing the {@link Statfs} fields in order. */
    private static final List<String> STAT_COMMAND = List.of("stat", "-f", "-c", "%s %b %f %a %c %d", "--");

    private final List<String> command;
    private final Duration timeout;
    private final Map<String, Process> stuck = new ConcurrentHashMap<>();
    private final Set<String> reportedErrors = ConcurrentHashMap.newKeySet();

    Filesystems() {
        this(STAT_COMMAND, MOUNT_TIMEOUT);
    }

    /** For tests: another probe command (same output) and timeout. */
    Filesystems(List<String> command, Duration timeout) {
        this.command = List.copyOf(command);
        this.timeout = timeout;
    }

    /**
     * Parses /proc/self/mounts, keeping the first of several mounts with the same device, mount
     * point and type (node_exporter reports each label set once).
     */
    static List<Mount> parseMounts(String text) {
        Map<List<String>, Mount> seen = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 4) continue;
            Mount m = new Mount(unescape(f[0]), unescape(f[1]), unescape(f[2]),
                    List.of(f[3].split(",")).contains("ro"));
            seen.putIfAbsent(List.of(m.device(), m.mountPoint(), m.fsType()), m);
        }
        return new ArrayList<>(seen.values());
    }

    /** The kernel writes space, tab, newline and backslash in mount fields as octal escapes. */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) return field;
        return OCTAL_ESCAPE.matcher(field)
                .replaceAll(m -> Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 8))));
    }

    /**
     * Runs statfs on every mount; a mount maps to null when its statfs failed or timed out.
     *
     * @throws IOException when {@code stat} cannot be started at all (not installed)
     */
    synchronized Map<Mount, Statfs> statfs(List<Mount> mounts) throws IOException {
        // One probe per mount point: two mounts on one point (device or type differs) share what statfs sees.
        Map<String, Process> probes = new LinkedHashMap<>();
        try {
            for (Mount m : mounts) {
                String point = m.mountPoint();
                if (probes.containsKey(point) || isStuck(point)) continue;
                List<String> argv = new ArrayList<>(command);
                argv.add(point);
                probes.put(point, new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL)).start());
            }
        } catch (IOException e) {
            probes.values().forEach(Process::destroyForcibly);
            throw e;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Statfs> byPoint = new HashMap<>();
        probes.forEach((point, p) -> byPoint.put(point, await(point, p, deadline)));
        Map<Mount, Statfs> result = new LinkedHashMap<>();
        for (Mount m : mounts) {
            result.put(m, byPoint.get(m.mountPoint()));
        }
        return result;
    }

    /** True while an earlier probe of {@code point} is still hanging; forgets a probe that has ended. */
    private boolean isStuck(String point) {
        Process previous = stuck.get(point);
        if (previous == null) return false;
        if (previous.isAlive()) return true;
        stuck.remove(point);
        closeStreams(previous);
        log.debug("statfs of {} answers again; probing it again", point);
        return false;
    }

    private Statfs await(String mountPoint, Process p, long deadline) {
        try {
            long left = deadline - System.nanoTime();
            if (!p.waitFor(Math.max(left, 0), TimeUnit.NANOSECONDS)) {
                // Left running on purpose: when it exits the mount point has recovered.
                stuck.put(mountPoint, p);
                logOnce(mountPoint, "statfs of {} did not answer within {}; reporting device_error until it does",
                        mountPoint, timeout);
                return null;
            }
            String out = read(p.getInputStream());
            if (p.exitValue() != 0) {
                logOnce(mountPoint, "statfs of {} failed: {}", mountPoint, read(p.getErrorStream()).trim());
                return null;
            }
            String[] f = out.trim().split("\\s+");
            if (f.length != 6) {
                logOnce(mountPoint, "statfs of {}: unexpected output '{}'", mountPoint, out.trim());
                return null;
            }
            return new Statfs(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                    Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5]));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return null;
        } catch (IOException | NumberFormatException e) {
            logOnce(mountPoint, "statfs of {} failed: {}", mountPoint, e.toString());
            return null;
        } finally {
            if (stuck.get(mountPoint) != p) {
                closeStreams(p);
            }
        }
    }

    private void logOnce(String mountPoint, String format, Object... args) {
        if (reportedErrors.add(mountPoint)) {
            log.debug(format, args);
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void closeStreams(Process p) {
        try {
            p.getInputStream().close();
            p.getErrorStream().close();
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // Nothing left to release.
        }
    }

    /** Kills probes still hanging on unresponsive mounts. */
    @Override
    public void close() {
        stuck.values().forEach(p -> {
            p.destroyForcibly();
            closeStreams(p);
        });
        stuck.clear();
    }
}
