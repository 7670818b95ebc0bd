package dev.cairn.replication.probe;

import dev.cairn.replication.ReplicationErrors;
import com.mysql.cj.jdbc.Driver;
import dev.cairn.replication.flavour.Dialect;
import dev.cairn.replication.flavour.ServerVersion;
import dev.cairn.spi.config.HostPort;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Probes one node over one dedicated connection with hard timeouts (Connector/J's defaults are
 * 0: wait forever): {@code connectTimeout} for the TCP connect, {@code socketTimeout} for every
 * read, so a hung server fails the probe within the read timeout. The connection is kept between
 * probes (a node with max_connections exhausted still answers it) and reopened after any error.
 *
 * <p>Confined to one thread (the node's probe thread); {@link #close()} may be called from any
 * thread to abort a probe in progress.
 */
public final class NodeProbe implements AutoCloseable {

    /** MariaDB/MySQL error codes the probe tells apart. */
    static final int ER_ACCESS_DENIED = 1045;
    static final int ER_CON_COUNT = 1040;
    static final int ER_USER_LIMIT_REACHED = 1226;
    static final int ER_TOO_MANY_USER_CONNECTIONS = 1203;
    static final int ER_SPECIFIC_ACCESS_DENIED = 1227;
    static final int ER_TABLEACCESS_DENIED = 1142;
    static final int ER_DBACCESS_DENIED = 1044;
    static final int ER_NO_SUCH_TABLE = 1146;
    static final int ER_BAD_DB = 1049;

    /**
     * Connector/J, loaded at the first probe (on the probe thread) rather than when the module
     * builds its probes in start: its driver and DriverManager's initialization are ~160 classes
     * that the host's start-up does not need.
     */
    private static final class Connector {
        static final Driver DRIVER = driver();
    }

    private final String node;
    private final HostPort address;
    private final String user;
    private final String password;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final String heartbeatTable;
    private final Clock clock;
    private volatile Connection connection;
    private volatile Dialect dialect;

    /**
     * @param heartbeatTable quoted {@code `schema`.`table`} to read, or null when the heartbeat is off
     */
    public NodeProbe(String node, HostPort address, String user, String password, Duration connectTimeout,
                     Duration readTimeout, String heartbeatTable, Clock clock) {
        this.node = node;
        this.address = address;
        this.user = user;
        this.password = password;
        this.connectTimeout = connectTimeout;
        this.readTimeout = readTimeout;
        this.heartbeatTable = heartbeatTable;
        this.clock = clock;
    }

    private static Driver driver() {
        try {
            return new Driver();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot load MySQL Connector/J", e);
        }
    }

    /** The JDBC URL of a node (Connector/J), with the timeouts set explicitly. */
    public static String jdbcUrl(HostPort address, Duration connectTimeout, Duration readTimeout) {
        return "jdbc:mysql://" + address + "/?connectTimeout=" + connectTimeout.toMillis()
                + "&socketTimeout=" + readTimeout.toMillis();
    }

    /** Connector/J properties every Cairn connection uses. */
    public static Properties connectionProperties(String user, String password, Duration connectTimeout, Duration readTimeout) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password == null ? "" : password);
        p.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
        p.setProperty("socketTimeout", Long.toString(readTimeout.toMillis()));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("autoReconnect", "false");
        p.setProperty("connectionAttributes", "program_name:cairn");
        // No metadata round trips we do not need on every connect.
        p.setProperty("cacheServerConfiguration", "false");
        p.setProperty("useLocalSessionState", "true");
        return p;
    }

    /** True while the probe connection is open (the next probe needs no connect). */
    public boolean connected() {
        return connection != null;
    }

    /** The dialect of the last successful probe, or null. */
    public Dialect dialect() {
        return dialect;
    }

    /** Runs one probe. Never throws: every failure is a {@link NodeState} with its error. */
    public NodeState probe() {
        Instant at = clock.instant();
        long t0 = System.nanoTime();
        boolean reused = connection != null;
        Connection c;
        try {
            c = connection();
        } catch (SQLException e) {
            closeQuietly();
            return failure(at, t0, e, "connect");
        }
        try {
            return read(c, at, t0);
        } catch (SQLException e) {
            closeQuietly();
            // A kept connection the server closed meanwhile (restart, KILL, wait_timeout) fails at once:
            // one fresh attempt, so a live node is not reported down for a round. Never after a timeout.
            if (reused && isBrokenConnection(e)) {
                try {
                    return read(connection(), at, t0);
                } catch (SQLException again) {
                    closeQuietly();
                    return failure(at, t0, again, "probe");
                } catch (RuntimeException again) {
                    closeQuietly();
                    return NodeState.failed(node, address, at, Reach.DOWN, ReplicationErrors.PROBE_FAILED.id() + " probe of " + node + " failed: " + again,
                            seconds(t0));
                }
            }
            return failure(at, t0, e, "probe");
        } catch (RuntimeException e) {
            closeQuietly();
            return NodeState.failed(node, address, at, Reach.DOWN, ReplicationErrors.PROBE_FAILED.id() + " probe of " + node + " failed: " + e, seconds(t0));
        }
    }

    private Connection connection() throws SQLException {
        Connection c = connection;
        if (c != null) return c;
        c = Connector.DRIVER.connect(jdbcUrl(address, connectTimeout, readTimeout),
                connectionProperties(user, password, connectTimeout, readTimeout));
        connection = c;
        dialect = null;
        return c;
    }

    private NodeState read(Connection c, Instant at, long t0) throws SQLException {
        List<String> missing = new ArrayList<>();
        if (dialect == null) {
            Map<String, String> v = one(c, "SELECT @@version AS version, @@version_comment AS version_comment");
            dialect = Dialect.of(ServerVersion.parse(v.get("version"), v.get("version_comment")));
        }
        Dialect d = dialect;
        Map<String, String> vars = one(c, d.variablesQuery());
        List<ReplicaChannel> channels = new ArrayList<>();
        boolean channelsKnown = true;
        try {
            for (Map<String, String> row : rows(c, d.replicaStatusQuery())) {
                channels.add(d.channel(row));
            }
            // The default channel first: part 2 and the analysis follow it.
            channels.sort((a, b) -> a.name().isEmpty() == b.name().isEmpty() ? 0 : a.name().isEmpty() ? -1 : 1);
        } catch (SQLException e) {
            if (!isGrantError(e)) throw e;
            channelsKnown = false;
            missing.add(missingGrant(d, d.replicaStatusQuery(), e));
        }
        Map<String, String> semiStatus = lowerKeys(pairs(c, d.semiSyncStatusQuery()));
        Map<String, String> semiVars = lowerKeys(pairs(c, d.semiSyncVariablesQuery()));
        HeartbeatReading hb = null;
        if (heartbeatTable != null) {
            try {
                List<Map<String, String>> r = rows(c, "SELECT server_id, ts FROM " + heartbeatTable + " ORDER BY ts DESC LIMIT 1");
                if (!r.isEmpty()) {
                    hb = new HeartbeatReading(Long.parseLong(r.get(0).get("server_id")), parseTs(r.get(0).get("ts")));
                }
            } catch (SQLException e) {
                if (isGrantError(e)) {
                    missing.add(ReplicationErrors.MISSING_GRANT.id() + " node " + node + ": reading the heartbeat needs SELECT on " + heartbeatTable
                            + " (GRANT SELECT ON " + heartbeatTable + " TO '" + user + "'@...): " + e.getMessage());
                } else if (e.getErrorCode() != ER_NO_SUCH_TABLE && e.getErrorCode() != ER_BAD_DB) {
                    throw e;
                }
            }
        }
        return new NodeState(node, address, at, Reach.UP, missing.isEmpty() ? null : String.join("; ", missing), seconds(t0),
                d.version(), parseLong(vars.get("server_id")), blankToNull(vars.get("server_uuid")), truthy(vars.get("read_only")),
                truthy(vars.get("log_bin")), truthy(vars.get("log_replica_updates")), nz(vars.get("gtid_binlog")).replace("\n", ""),
                nz(vars.get("gtid_applied")).replace("\n", ""), channels, channelsKnown, semiStatus, semiVars, hb, missing);
    }

    /** The operator message for a replica-status grant error, naming the grant per flavour. */
    static String missingGrant(Dialect d, String statement, SQLException e) {
        String grant = d.flavour() == dev.cairn.replication.flavour.Flavour.MARIADB
                ? (d.version().atLeast(10, 5, 9) ? "REPLICA MONITOR" : "SUPER or REPLICATION CLIENT")
                : "REPLICATION CLIENT";
        return ReplicationErrors.MISSING_GRANT.id() + " missing grant " + grant + " for the monitor user: " + statement + " was refused ("
                + e.getMessage() + "); run GRANT " + grant.split(" or ")[0] + " ON *.* TO the monitor user";
    }

    /** The server closed the connection (not a timeout): worth one reconnect. */
    static boolean isBrokenConnection(SQLException e) {
        if (e instanceof SQLTimeoutException) return false;
        String why = rootMessage(e);
        if (why.contains("timed out")) return false;
        String state = e.getSQLState();
        return (state != null && state.startsWith("08")) || why.contains("closed") || why.contains("Broken pipe")
                || why.contains("Connection reset") || why.contains("end of stream");
    }

    private static boolean isGrantError(SQLException e) {
        int code = e.getErrorCode();
        return code == ER_SPECIFIC_ACCESS_DENIED || code == ER_TABLEACCESS_DENIED || code == ER_DBACCESS_DENIED;
    }

    private NodeState failure(Instant at, long t0, SQLException e, String phase) {
        int code = e.getErrorCode();
        String why = rootMessage(e);
        if (code == ER_ACCESS_DENIED) {
            return NodeState.failed(node, address, at, Reach.REFUSING, ReplicationErrors.ACCESS_DENIED.id() + " node " + node + " (" + address
                    + ") refused the monitor user '" + user + "': " + why + " (check user and password_file)", seconds(t0));
        }
        if (code == ER_CON_COUNT || code == ER_TOO_MANY_USER_CONNECTIONS || code == ER_USER_LIMIT_REACHED) {
            return NodeState.failed(node, address, at, Reach.REFUSING, ReplicationErrors.REFUSING_SESSIONS.id() + " node " + node + " (" + address
                    + ") is alive but refuses new sessions: " + why, seconds(t0));
        }
        if (e instanceof SQLTimeoutException || why.contains("Read timed out") || why.contains("timed out")) {
            return NodeState.failed(node, address, at, Reach.DOWN, ReplicationErrors.NO_ANSWER.id() + " node " + node + " (" + address
                    + ") did not answer the " + phase + " within " + (phase.equals("connect") ? "connect_timeout/read_timeout" : "read_timeout")
                    + ": " + why, seconds(t0));
        }
        return NodeState.failed(node, address, at, Reach.DOWN, ReplicationErrors.NODE_UNREACHABLE.id() + " node " + node + " (" + address
                + ") is unreachable: " + why, seconds(t0));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        String msg = e.getMessage();
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
            if (t.getMessage() != null) msg = t.getMessage();
        }
        String first = msg == null ? e.toString() : msg.lines().findFirst().orElse(msg);
        return first.length() > 300 ? first.substring(0, 300) + "..." : first;
    }

    private double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static Map<String, String> one(Connection c, String sql) throws SQLException {
        List<Map<String, String>> r = rows(c, sql);
        if (r.isEmpty()) throw new SQLException("no row from " + sql);
        return r.get(0);
    }

    /** Every row, columns by label (case-insensitive), values as the server's text; SQL NULL is null. */
    static List<Map<String, String>> rows(Connection c, String sql) throws SQLException {
        List<Map<String, String>> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            while (rs.next()) {
                Map<String, String> row = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                for (int i = 1; i <= n; i++) {
                    row.put(md.getColumnLabel(i), rs.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    private static Map<String, String> pairs(Connection c, String sql) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map<String, String> r : rows(c, sql)) {
            out.put(r.get("Variable_name"), r.get("Value"));
        }
        return out;
    }

    private static Map<String, String> lowerKeys(Map<String, String> m) {
        Map<String, String> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v == null ? "" : v));
        return out;
    }

    /** pt-heartbeat's ts: {@code 2026-12-03T11:32:37.123456} (UTC with --utc, as Cairn writes it). */
    static Instant parseTs(String ts) {
        try {
            return LocalDateTime.parse(ts.trim().replace(' ', 'T')).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("heartbeat ts '" + ts + "' is not an ISO date-time");
        }
    }

    static Boolean truthy(String v) {
        if (v == null) return null;
        String s = v.trim().toUpperCase(Locale.ROOT);
        return s.equals("1") || s.equals("ON") || s.equals("YES") || s.equals("TRUE");
    }

    private static Long parseLong(String v) {
        try {
            return v == null ? null : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private void closeQuietly() {
        Connection c = connection;
        connection = null;
        dialect = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // The connection is being thrown away.
            }
        }
    }

    /** Closes the probe connection; a probe blocked in a read fails at once. */
    @Override
    public void close() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // Closing anyway.
            }
        }
    }
}
