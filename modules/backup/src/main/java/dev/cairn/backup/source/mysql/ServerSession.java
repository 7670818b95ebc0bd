package dev.cairn.backup.source.mysql;

import com.mysql.cj.jdbc.Driver;
import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.spi.config.HostPort;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * One JDBC session (Connector/J) of the backup account on the server a dump reads: it tells the
 * server's flavour, and on the read-lock path it is the session that holds the lock. The
 * session's errors are mapped to the ids the dump program's errors get (access denied, expired
 * password, cannot connect).
 *
 * <p>Used by one thread at a time (the caller hands it on, e.g. to the thread that releases the
 * lock); {@link #close()} ends the session, which also releases any lock it holds.
 */
final class ServerSession implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Shown in the server's processlist and connection attributes, so an operator sees who holds the lock. */
    static final String PROGRAM_NAME = "cairn-backup";

    private static final Driver DRIVER;

    static {
        try {
            DRIVER = new Driver();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot load MySQL Connector/J", e);
        }
    }

    /** MariaDB or MySQL (and its forks: Percona Server), as the server names itself. */
    enum Flavour {
        MARIADB,
        MYSQL;

        /** From {@code VERSION()} and {@code @@version_comment}: MariaDB says so in one of them. */
        static Flavour of(String version, String versionComment) {
            String v = (version == null ? "" : version) + " " + (versionComment == null ? "" : versionComment);
            return v.toLowerCase(Locale.ROOT).contains("mariadb") ? MARIADB : MYSQL;
        }
    }

    private final Connection connection;
    private final HostPort server;
    private final String version;
    private final Flavour flavour;
    private final long connectionId;

    private ServerSession(Connection connection, HostPort server, String version, Flavour flavour, long connectionId) {
        this.connection = connection;
        this.server = server;
        this.version = version;
        this.flavour = flavour;
        this.connectionId = connectionId;
    }

    /**
     * Connects to {@code server}; {@code readTimeout} bounds every statement (it must exceed the
     * longest lock wait the session asks the server for).
     */
    static ServerSession open(HostPort server, String user, String password, Duration readTimeout) throws SourceException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password == null ? "" : password);
        p.setProperty("connectTimeout", Long.toString(CONNECT_TIMEOUT.toMillis()));
        p.setProperty("socketTimeout", Long.toString(readTimeout.toMillis()));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("autoReconnect", "false");
        p.setProperty("allowMultiQueries", "false");
        p.setProperty("connectionAttributes", "program_name:" + PROGRAM_NAME);
        p.setProperty("cacheServerConfiguration", "false");
        Connection c = null;
        try {
            c = DRIVER.connect("jdbc:mysql://" + server + "/", p);
            if (c == null) throw new SQLException("Connector/J refused the URL for " + server);
            Map<String, String> row = query(c, "SELECT VERSION() AS v, @@version_comment AS c, CONNECTION_ID() AS id").get(0);
            return new ServerSession(c, server, row.get("v"), Flavour.of(row.get("v"), row.get("c")), Long.parseLong(row.get("id")));
        } catch (SQLException e) {
            closeQuietly(c);
            throw error(e, server, "connecting");
        }
    }

    HostPort server() {
        return server;
    }

    String version() {
        return version;
    }

    Flavour flavour() {
        return flavour;
    }

    /** This session's id in the server's processlist. */
    long connectionId() {
        return connectionId;
    }

    /** Runs one statement; {@code what} names it in the error. */
    void exec(String sql, String what) throws SourceException {
        try (Statement st = connection.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw error(e, server, what);
        }
    }

    /** The rows of a query with {@code ?} parameters (strings or numbers), columns by label; SQL NULL is null. */
    List<Map<String, String>> query(String sql, String what, Object... args) throws SourceException {
        try {
            if (args.length == 0) return query(connection, sql);
            try (PreparedStatement st = connection.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) st.setObject(i + 1, args[i]);
                try (ResultSet rs = st.executeQuery()) {
                    return rows(rs);
                }
            }
        } catch (SQLException e) {
            throw error(e, server, what);
        }
    }

    private static List<Map<String, String>> query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rows(rs);
        }
    }

    private static List<Map<String, String>> rows(ResultSet rs) throws SQLException {
        List<Map<String, String>> rows = new ArrayList<>();
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 1; i <= md.getColumnCount(); i++) row.put(md.getColumnLabel(i), rs.getString(i));
            rows.add(row);
        }
        return rows;
    }

    /** Maps a server or driver error to the id an operator acts on (the same ids the dump program's errors get). */
    static SourceException error(SQLException e, HostPort server, String what) {
        String where = " (" + what + " on " + server + ")";
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        int code = e.getErrorCode();
        if (code == 1820 || code == 1862 || msg.contains("password has expired")) {
            return new SourceException(SourceErrors.PASSWORD_EXPIRED, "the password of the backup account has expired" + where
                    + ": run ALTER USER ... IDENTIFIED BY ... on the server and update password_file: " + msg, e);
        }
        if (code == 1045) return new SourceException(SourceErrors.ACCESS_DENIED, "access denied" + where + ": " + msg, e);
        if (code == 1227 || code == 1142) {
            return new SourceException(SourceErrors.ACCESS_DENIED, "the backup account lacks a privilege" + where
                    + " (the read lock needs RELOAD, INNODB_TRX needs PROCESS, the coordinates BINLOG MONITOR or REPLICATION CLIENT): " + msg, e);
        }
        if (e.getSQLState() != null && e.getSQLState().startsWith("08")) {
            return new SourceException(SourceErrors.CANNOT_CONNECT, "cannot connect" + where + ": " + msg, e);
        }
        return new SourceException(SourceErrors.DUMP_FAILED, "the server refused a statement" + where + ": " + msg, e);
    }

    private static void closeQuietly(Connection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (SQLException ignored) {
            // the session is gone either way
        }
    }

    @Override
    public void close() {
        closeQuietly(connection);
    }
}
