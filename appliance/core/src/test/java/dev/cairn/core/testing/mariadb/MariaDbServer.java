package dev.cairn.core.testing.mariadb;

import dev.cairn.core.testing.TestHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One real {@code mariadbd} from the system (Debian's mariadb-server), for tests: its own data
 * directory (a copy of a {@link MariaDbTemplate}), its own free loopback port and socket, binary
 * log on, GTID strict mode, {@code read_only=1} until the test or Cairn clears it.
 *
 * <p>Faults: {@link #kill()} (SIGKILL), {@link #pause()} (SIGSTOP, a silent death: the port
 * accepts connections but nothing answers), {@link #resume()} (SIGCONT), {@link #restart()}.
 * SQL runs through the {@code mariadb} client on the Unix socket as {@code root}, so the
 * harness needs no JDBC driver and works when TCP users are broken by a test.
 *
 * <p>Accounts in the data directory: {@code root} (no password, localhost and 127.0.0.1) and
 * {@code repl}/{@code repl} with REPLICATION SLAVE, created without binlog events so every node
 * starts with an empty GTID position. Not thread-safe; {@link #close()} kills the process and
 * deletes the data directory. A JVM shutdown hook kills whatever a test left running.
 */
public final class MariaDbServer implements AutoCloseable {

    /** Replication account present on every node. */
    public static final String REPL_USER = "repl";
    public static final String REPL_PASSWORD = "repl";
    /** How long a start may take before the test fails (three start in well under a second here). */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SQL_TIMEOUT = Duration.ofSeconds(20);

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : LIVE) {
                p.destroyForcibly();
            }
        }, "mariadb-harness-cleanup"));
    }

    private final String name;
    private final int serverId;
    private final int port;
    private final Path dir;
    private final Path dataDir;
    private final Path socket;
    private final Path errorLog;
    private final List<String> extraArgs;
    private Process process;
    private boolean paused;

    private MariaDbServer(String name, int serverId, int port, Path dir, List<String> extraArgs) {
        this.name = name;
        this.serverId = serverId;
        this.port = port;
        this.dir = dir;
        this.dataDir = dir.resolve("data");
        this.socket = dir.resolve("mysqld.sock");
        this.errorLog = dir.resolve("error.log");
        this.extraArgs = List.copyOf(extraArgs);
    }

    /**
     * Creates the data directory under {@code baseDir/name} from the template and starts the
     * server; returns once it accepts connections.
     *
     * @param extraArgs further {@code mariadbd} options, e.g. {@code --max-connections=5}
     */
    public static MariaDbServer start(Path baseDir, String name, int serverId, List<String> extraArgs)
            throws IOException, InterruptedException {
        MariaDbServer s = create(baseDir, name, serverId, extraArgs);
        s.startProcess();
        return s;
    }

    /** Like {@link #start} without starting: {@link #restart()} starts it. */
    static MariaDbServer create(Path baseDir, String name, int serverId, List<String> extraArgs) throws IOException {
        Path dir = baseDir.resolve(name);
        Files.createDirectories(dir);
        MariaDbTemplate.copyTo(dir.resolve("data"));
        return new MariaDbServer(name, serverId, TestHost.freePort(), dir, extraArgs);
    }

    public String name() {
        return name;
    }

    public int serverId() {
        return serverId;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** {@code 127.0.0.1:PORT}, as written in Cairn's config. */
    public String address() {
        return host() + ":" + port;
    }

    public Path socket() {
        return socket;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path errorLog() {
        return errorLog;
    }

    /** A JDBC URL for either driver's scheme, e.g. {@code jdbcUrl("mysql")} or {@code jdbcUrl("mariadb")}. */
    public String jdbcUrl(String scheme) {
        return "jdbc:" + scheme + "://" + host() + ":" + port + "/";
    }

    /** The process id while running, else -1. */
    public long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    public boolean running() {
        return process != null && process.isAlive();
    }

    public boolean paused() {
        return paused;
    }

    private List<String> command() {
        List<String> cmd = new ArrayList<>(MariaDbTemplate.COMMON_ARGS);
        cmd.add(0, "mariadbd");
        cmd.add(1, "--no-defaults");
        cmd.addAll(List.of(
                "--datadir=" + dataDir,
                "--port=" + port,
                "--socket=" + socket,
                "--pid-file=" + dir.resolve("mysqld.pid"),
                // Its own temporary files: /tmp is shared with every other test on the machine.
                "--tmpdir=" + dir,
                "--log-error=" + errorLog,
                "--server-id=" + serverId,
                "--report-host=" + host(),
                "--report-port=" + port,
                "--log-bin=" + dataDir.resolve("mysql-bin"),
                "--relay-log=" + dataDir.resolve("relay-bin"),
                "--log-slave-updates",
                "--gtid-strict-mode=1",
                "--read-only=1",
                // Replicas notice a silent primary within a few seconds (tests of dead-primary detection).
                "--slave-net-timeout=4",
                "--innodb-flush-log-at-trx-commit=2",
                "--sync-binlog=0",
                "--max-connections=60"));
        cmd.addAll(extraArgs);
        return cmd;
    }

    private void startProcess() throws IOException, InterruptedException {
        Files.deleteIfExists(socket);
        long logOffset = Files.exists(errorLog) ? Files.size(errorLog) : 0;
        ProcessBuilder pb = new ProcessBuilder(command());
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()));
        process = pb.start();
        LIVE.add(process);
        paused = false;
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("mariadbd " + name + " exited with " + process.exitValue() + ":\n" + tail(logOffset));
            }
            if (Files.exists(socket) && tail(logOffset).contains("ready for connections")) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("mariadbd " + name + " not ready after " + START_TIMEOUT + ":\n" + tail(logOffset));
            }
            Thread.sleep(10);
        }
    }

    private String tail(long offset) throws IOException {
        if (!Files.exists(errorLog)) {
            return "";
        }
        byte[] all = Files.readAllBytes(errorLog);
        int from = (int) Math.min(offset, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    /** SIGKILL: the process dies at once, its port refuses connections. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            LIVE.remove(process);
        }
        paused = false;
    }

    /** SIGSTOP: the process hangs; the kernel still accepts TCP connections that nobody answers. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP");
        paused = true;
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() throws IOException, InterruptedException {
        signal("CONT");
        paused = false;
    }

    private void signal(String sig) throws IOException, InterruptedException {
        if (!running()) {
            throw new IllegalStateException("mariadbd " + name + " is not running");
        }
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) {
            throw new IOException("kill -" + sig + " " + process.pid() + " failed");
        }
    }

    /** Stops cleanly (SIGTERM, waits), then starts again on the same port and data. */
    public void restart() throws IOException, InterruptedException {
        stop();
        startProcess();
    }

    /** Starts again after {@link #kill()} or {@link #stop()} (crash recovery after a kill). */
    public void startAgain() throws IOException, InterruptedException {
        if (running()) {
            throw new IllegalStateException("mariadbd " + name + " is already running");
        }
        startProcess();
    }

    /** SIGTERM and wait (a clean shutdown); SIGKILL if it takes longer than 30 s. */
    public void stop() throws InterruptedException, IOException {
        if (!running()) {
            return;
        }
        if (paused) {
            resume();
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        LIVE.remove(process);
    }

    /**
     * Runs SQL (one or more statements) as root on the socket and returns the rows of the last
     * result set, columns by name; SQL NULL is Java null. Fails with the client's message.
     */
    public List<Map<String, String>> query(String sql) {
        return parse(run(sql, true));
    }

    /** Runs SQL as root, ignoring any result. */
    public void exec(String sql) {
        run(sql, false);
    }

    /** The one value of a one-row, one-column query (null for SQL NULL or no row). */
    public String value(String sql) {
        List<Map<String, String>> rows = query(sql);
        return rows.isEmpty() ? null : rows.get(0).values().iterator().next();
    }

    /** {@code SHOW SLAVE STATUS} (the default connection) or an empty map when not a replica. */
    public Map<String, String> slaveStatus() {
        List<Map<String, String>> rows = query("SHOW SLAVE STATUS");
        return rows.isEmpty() ? Map.of() : rows.get(0);
    }

    private String run(String sql, boolean withHeader) {
        if (paused || !running()) {
            throw new IllegalStateException("mariadbd " + name + " is " + (paused ? "paused" : "not running"));
        }
        List<String> cmd = new ArrayList<>(List.of("mariadb", "--no-defaults", "-uroot", "--socket=" + socket,
                "--batch", "--connect-timeout=5"));
        if (!withHeader) {
            cmd.add("--skip-column-names");
        }
        cmd.add("-e");
        cmd.add(sql);
        try {
            Path err = Files.createTempFile(dir, "sql", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
                byte[] out = p.getInputStream().readAllBytes();
                if (!p.waitFor(SQL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("SQL on " + name + " timed out: " + sql);
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException("SQL on " + name + " failed: " + sql + ": " + Files.readString(err).trim());
                }
                return new String(out, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run mariadb client: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static List<Map<String, String>> parse(String out) {
        List<Map<String, String>> rows = new ArrayList<>();
        String[] lines = out.split("\n");
        if (out.isEmpty() || lines.length == 0) {
            return rows;
        }
        String[] header = lines[0].split("\t", -1);
        for (int i = 1; i < lines.length; i++) {
            String[] cells = lines[i].split("\t", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < header.length; c++) {
                String v = c < cells.length ? cells[c] : "";
                row.put(header[c], v.equals("NULL") ? null : unescape(v));
            }
            rows.add(row);
        }
        return rows;
    }

    /** Undoes the batch mode's escapes ({@code \\n}, {@code \\t}, {@code \\\\}, {@code \\0}). */
    private static String unescape(String v) {
        if (v.indexOf('\\') < 0) {
            return v;
        }
        StringBuilder b = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (ch == '\\' && i + 1 < v.length()) {
                char n = v.charAt(++i);
                b.append(switch (n) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case '0' -> '\0';
                    default -> n;
                });
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    /** Kills the process (SIGKILL, fast) and deletes the directory. */
    @Override
    public void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        MariaDbTemplate.deleteTree(dir);
    }

    @Override
    public String toString() {
        return name + "(" + address() + ", server_id " + serverId + ")";
    }
}
