package dev.cairn.replication.failover;

import com.mysql.cj.jdbc.Driver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * How the failover reaches one MariaDB node: a short-lived Connector/J connection with explicit
 * connect and read timeouts (its defaults wait forever), so a hung or SIGSTOPped server fails a
 * step within the timeout instead of holding the promotion. Immutable; every call opens its own
 * connection unless it is given one.
 *
 * @param name the node's name in the config
 */
public record NodeSql(String name, String host, int port, String user, String password,
                      Duration connectTimeout, Duration readTimeout) {

    private static final Driver DRIVER;

    static {
        try {
            DRIVER = new Driver();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot load MySQL Connector/J", e);
        }
    }

    public String address() {
        return host + ":" + port;
    }

    /** The same node with another read timeout (e.g. for a MASTER_GTID_WAIT call). */
    public NodeSql withReadTimeout(Duration t) {
        return new NodeSql(name, host, port, user, password, connectTimeout, t);
    }

    /** Opens a connection; the caller closes it. */
    public Connection open() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password == null ? "" : password);
        p.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
        p.setProperty("socketTimeout", Long.toString(readTimeout.toMillis()));
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("autoReconnect", "false");
        p.setProperty("allowMultiQueries", "false");
        p.setProperty("connectionAttributes", "program_name:cairn-failover");
        p.setProperty("cacheServerConfiguration", "false");
        p.setProperty("useLocalSessionState", "true");
        Connection c = DRIVER.connect("jdbc:mysql://" + host + ":" + port + "/", p);
        if (c == null) {
            throw new SQLException("Connector/J refused the URL for " + address());
        }
        return c;
    }

    /** Runs statements in order on a fresh connection. */
    public void exec(String... sql) throws SQLException {
        try (Connection c = open()) {
            exec(c, sql);
        }
    }

    public static void exec(Connection c, String... sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** The rows of a query on a fresh connection, columns by label; SQL NULL is null. */
    public List<Map<String, String>> query(String sql) throws SQLException {
        try (Connection c = open()) {
            return query(c, sql);
        }
    }

    public static List<Map<String, String>> query(Connection c, String sql) throws SQLException {
        List<Map<String, String>> rows = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getString(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** One value (first column of the first row), null when no row or NULL. */
    public static String value(Connection c, String sql) throws SQLException {
        List<Map<String, String>> rows = query(c, sql);
        return rows.isEmpty() ? null : rows.get(0).values().iterator().next();
    }

    /** {@code SHOW SLAVE STATUS} of the default connection, empty when the node is no replica. */
    public static Map<String, String> slaveStatus(Connection c) throws SQLException {
        List<Map<String, String>> rows = query(c, "SHOW SLAVE STATUS");
        return rows.isEmpty() ? Map.of() : rows.get(0);
    }

    /** A string literal for SQL (single quotes, backslashes and quotes escaped). */
    public static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
