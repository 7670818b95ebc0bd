package dev.cairn.backup.source.mysql;

import dev.cairn.backup.source.ChildProcess;
import dev.cairn.backup.source.SecretFile;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.spi.config.HostPort;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the MySQL/MariaDB command-line programs for the backup: the account's password goes
 * into a private defaults file ({@code --defaults-extra-file}), never into argv.
 */
public final class MysqlClient {

    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);

    private final String clientCommand;
    private final String user;
    private final String password;

    public MysqlClient(String clientCommand, String user, String password) {
        this.clientCommand = clientCommand;
        this.user = user;
        this.password = password;
    }

    /** Reads {@code passwordFile} (null: no password). */
    public static String password(Path passwordFile) throws SourceException {
        if (passwordFile == null) return null;
        try {
            return SecretFile.readSecret(passwordFile);
        } catch (IOException e) {
            throw new SourceException(SourceErrors.SECRET_UNREADABLE, "cannot read password_file " + passwordFile + ": " + e.getMessage());
        }
    }

    /** A defaults file with the {@code [client]} user and password, for {@code --defaults-extra-file}. */
    public SecretFile defaultsFile() throws IOException {
        StringBuilder b = new StringBuilder("[client]\n");
        b.append("user=").append(quote(user)).append('\n');
        if (password != null) b.append("password=").append(quote(password)).append('\n');
        return SecretFile.write("client.cnf", b.toString());
    }

    private static String quote(String v) {
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The connection options every program takes, after {@code --defaults-extra-file}. */
    static List<String> connection(SecretFile defaults, HostPort server) {
        return new ArrayList<>(List.of("--defaults-extra-file=" + defaults.path(),
                "--host=" + server.host(), "--port=" + server.port(), "--protocol=TCP"));
    }

    /** Runs one statement and returns its rows (batch mode, columns by name). */
    public List<Map<String, String>> query(HostPort server, String sql) throws SourceException, InterruptedException {
        try (SecretFile defaults = defaultsFile()) {
            List<String> argv = new ArrayList<>();
            argv.add(clientCommand);
            argv.addAll(connection(defaults, server));
            argv.addAll(List.of("--batch", "--connect-timeout=10", "-e", sql));
            try (ChildProcess p = ChildProcess.start(argv, Map.of(), null, QUERY_TIMEOUT, null)) {
                String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
                int rc = p.waitFor();
                if (rc != 0) throw classify(p, rc, server, "query");
                return parse(out);
            }
        } catch (SourceException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceException(SourceErrors.CANNOT_CONNECT, "cannot run " + clientCommand + ": " + e.getMessage(), e);
        }
    }

    /**
     * Streams SQL into {@code server} ({@code database} as the default schema, or null) through
     * the client; fails with the client's error.
     */
    public void load(HostPort server, String database, InputStream sql, Duration timeout)
            throws SourceException, InterruptedException {
        try (SecretFile defaults = defaultsFile()) {
            List<String> argv = new ArrayList<>();
            argv.add(clientCommand);
            argv.addAll(connection(defaults, server));
            argv.add("--batch");
            argv.add("--binary-mode");
            if (database != null) argv.add(database);
            ProcessBuilder pb = new ProcessBuilder(argv);
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process proc = pb.start();
            StringBuilder err = new StringBuilder();
            Thread errReader = new Thread(() -> {
                try (InputStream e = proc.getErrorStream()) {
                    byte[] all = e.readNBytes(64 * 1024);
                    synchronized (err) {
                        err.append(new String(all, StandardCharsets.UTF_8));
                    }
                    e.transferTo(OutputStream.nullOutputStream());
                } catch (IOException ignored) {
                    // process gone
                }
            }, "mysql-load-stderr");
            errReader.setDaemon(true);
            errReader.start();
            long deadline = System.nanoTime() + timeout.toNanos();
            try (OutputStream in = proc.getOutputStream()) {
                byte[] buf = new byte[256 * 1024];
                int n;
                while ((n = sql.read(buf)) > 0) {
                    if (System.nanoTime() > deadline) {
                        proc.destroyForcibly();
                        throw new SourceException(SourceErrors.TIMED_OUT, "loading into " + server + " took longer than " + timeout);
                    }
                    in.write(buf, 0, n);
                }
            } catch (IOException e) {
                // The client died early (bad SQL, connection refused): its exit code and stderr say why.
            }
            if (!proc.waitFor(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                proc.destroyForcibly();
                throw new SourceException(SourceErrors.TIMED_OUT, "loading into " + server + " took longer than " + timeout);
            }
            errReader.join(5000);
            if (proc.exitValue() != 0) {
                String msg;
                synchronized (err) {
                    msg = err.toString().trim();
                }
                throw new SourceException(msg.contains("1045") ? SourceErrors.ACCESS_DENIED : SourceErrors.RESTORE_FAILED,
                        clientCommand + " exited with " + proc.exitValue()
                        + " loading into " + server + (database == null ? "" : "/" + database) + ": " + msg);
            }
        } catch (SourceException e) {
            throw e;
        } catch (IOException e) {
            throw new SourceException(SourceErrors.RESTORE_FAILED, "cannot run " + clientCommand + ": " + e.getMessage(), e);
        }
    }

    /** Maps a failed client program to the error an operator can act on. */
    static SourceException classify(ChildProcess p, int rc, HostPort server, String what) {
        String err = p.stderrTail();
        String where = " (" + what + " on " + server + ")";
        if (p.timedOut()) {
            return new SourceException(SourceErrors.TIMED_OUT, p.program() + " was killed after its timeout" + where);
        }
        if (err.contains("1820") || err.contains("1862") || err.contains("password has expired") || err.contains("SET PASSWORD")) {
            return new SourceException(SourceErrors.PASSWORD_EXPIRED, "the password of the backup account has expired" + where
                    + ": run ALTER USER ... IDENTIFIED BY ... on the server and update password_file: " + lastLine(err));
        }
        if (err.contains("1045") || err.contains("Access denied")) {
            return new SourceException(SourceErrors.ACCESS_DENIED, "access denied" + where + ": " + lastLine(err));
        }
        if (err.contains("1412") || err.contains("Table definition has changed")) {
            return new SourceException(SourceErrors.DDL_DURING_DUMP, "a table was altered during the dump (DDL from another session)"
                    + where + "; the dump is discarded: " + lastLine(err));
        }
        if (err.contains("2002") || err.contains("2003") || err.contains("2013") || err.contains("Can't connect")) {
            return new SourceException(SourceErrors.CANNOT_CONNECT, "cannot connect" + where + ": " + lastLine(err));
        }
        return new SourceException(SourceErrors.DUMP_FAILED, p.program() + " exited with " + rc + where + ": " + lastLine(err));
    }

    private static String lastLine(String err) {
        List<String> lines = new ArrayList<>();
        for (String l : err.strip().split("\n")) {
            if (!l.startsWith("-- ") && !l.isBlank()) lines.add(l.strip()); // skip --verbose progress lines
        }
        List<String> last = lines.subList(Math.max(0, lines.size() - 3), lines.size());
        return last.isEmpty() ? "(no message)" : String.join(" | ", last);
    }

    static List<Map<String, String>> parse(String out) {
        List<Map<String, String>> rows = new ArrayList<>();
        if (out.isEmpty()) return rows;
        String[] lines = out.split("\n");
        String[] header = lines[0].split("\t", -1);
        for (int i = 1; i < lines.length; i++) {
            String[] cells = lines[i].split("\t", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int c = 0; c < header.length; c++) {
                String v = c < cells.length ? cells[c] : "";
                row.put(header[c], "NULL".equals(v) ? null : v);
            }
            rows.add(row);
        }
        return rows;
    }
}
