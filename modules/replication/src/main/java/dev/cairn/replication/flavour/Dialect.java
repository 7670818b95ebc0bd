package dev.cairn.replication.flavour;

import dev.cairn.replication.probe.IoState;
import dev.cairn.replication.probe.ReplicaChannel;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every SQL statement and column name that differs between MariaDB and MySQL, in one table per
 * flavour (and MySQL version band): the only place in the module that knows dialect. Rows are
 * read by column name, never by position. Immutable and thread-safe.
 *
 * <p>Part 2 (failover) uses the statement builders: {@link #startSqlThreadOnly()},
 * {@link #waitForGtid()}, {@link #stopReplica()}, {@link #resetReplicaAll()},
 * {@link #setReadOnly(boolean)}, {@link #changeSourceByGtid}, {@link #killConnection(long)}.
 */
public final class Dialect {

    /** Logical replica-status fields; each dialect names the column that holds it. */
    public enum Field {
        CHANNEL, SOURCE_HOST, SOURCE_PORT, SOURCE_SERVER_ID, SOURCE_UUID, IO_RUNNING, SQL_RUNNING,
        SECONDS_BEHIND, SQL_DELAY, LAST_ERRNO, LAST_ERROR, LAST_IO_ERRNO, LAST_IO_ERROR, LAST_SQL_ERRNO,
        LAST_SQL_ERROR, RECEIVED_GTID, APPLIED_GTID, USING_GTID
    }

    /** Replication filter columns (same names in both flavours; a flavour lacks some). */
    private static final List<String> FILTER_COLUMNS = List.of("Replicate_Do_DB", "Replicate_Ignore_DB",
            "Replicate_Do_Table", "Replicate_Ignore_Table", "Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table",
            "Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids", "Replicate_Rewrite_DB");

    private static final Map<Field, String> MARIADB_COLUMNS = columns(
            "Connection_name", "Master_Host", "Master_Port", "Master_Server_Id", null, "Slave_IO_Running",
            "Slave_SQL_Running", "Seconds_Behind_Master", "SQL_Delay", "Last_Errno", "Last_Error", "Last_IO_Errno",
            "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error", "Gtid_IO_Pos", "Gtid_Slave_Pos", "Using_Gtid");
    private static final Map<Field, String> MYSQL_SLAVE_COLUMNS = columns(
            "Channel_Name", "Master_Host", "Master_Port", "Master_Server_Id", "Master_UUID", "Slave_IO_Running",
            "Slave_SQL_Running", "Seconds_Behind_Master", "SQL_Delay", "Last_Errno", "Last_Error", "Last_IO_Errno",
            "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error", "Retrieved_Gtid_Set", "Executed_Gtid_Set", "Auto_Position");
    private static final Map<Field, String> MYSQL_REPLICA_COLUMNS = columns(
            "Channel_Name", "Source_Host", "Source_Port", "Source_Server_Id", "Source_UUID", "Replica_IO_Running",
            "Replica_SQL_Running", "Seconds_Behind_Source", "SQL_Delay", "Last_Errno", "Last_Error", "Last_IO_Errno",
            "Last_IO_Error", "Last_SQL_Errno", "Last_SQL_Error", "Retrieved_Gtid_Set", "Executed_Gtid_Set", "Auto_Position");

    private final ServerVersion version;
    private final Map<Field, String> cols;
    private final String replicaStatus;
    private final String variables;
    private final String replicaWord;
    private final boolean sourceWords;

    private Dialect(ServerVersion version, Map<Field, String> cols, String replicaStatus, String variables,
                    String replicaWord, boolean sourceWords) {
        this.version = version;
        this.cols = cols;
        this.replicaStatus = replicaStatus;
        this.variables = variables;
        this.replicaWord = replicaWord;
        this.sourceWords = sourceWords;
    }

    /** The dialect of a server: MariaDB; MySQL 8.0.22+ (REPLICA/SOURCE words); older MySQL. */
    public static Dialect of(ServerVersion v) {
        if (v.flavour() == Flavour.MARIADB) {
            return new Dialect(v, MARIADB_COLUMNS, "SHOW ALL SLAVES STATUS",
                    "SELECT @@server_id AS server_id, '' AS server_uuid, @@read_only AS read_only, @@log_bin AS log_bin,"
                            + " @@log_slave_updates AS log_replica_updates, @@gtid_binlog_pos AS gtid_binlog,"
                            + " @@gtid_slave_pos AS gtid_applied",
                    "SLAVE", false);
        }
        boolean newWords = v.atLeast(8, 0, 22);
        String updates = v.atLeast(8, 0, 26) ? "@@log_replica_updates" : "@@log_slave_updates";
        String readOnly = v.atLeast(5, 7, 8) ? "(@@read_only OR @@super_read_only)" : "@@read_only";
        return new Dialect(v, newWords ? MYSQL_REPLICA_COLUMNS : MYSQL_SLAVE_COLUMNS,
                newWords ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS",
                "SELECT @@server_id AS server_id, @@server_uuid AS server_uuid, " + readOnly + " AS read_only,"
                        + " @@log_bin AS log_bin, " + updates + " AS log_replica_updates,"
                        + " @@gtid_executed AS gtid_binlog, @@gtid_executed AS gtid_applied",
                newWords ? "REPLICA" : "SLAVE", v.atLeast(8, 0, 23));
    }

    private static Map<Field, String> columns(String... names) {
        Map<Field, String> m = new EnumMap<>(Field.class);
        Field[] f = Field.values();
        for (int i = 0; i < f.length; i++) {
            if (names[i] != null) m.put(f[i], names[i]);
        }
        return m;
    }

    public ServerVersion version() {
        return version;
    }

    public Flavour flavour() {
        return version.flavour();
    }

    /** The column holding {@code f}, or null when this flavour has none. */
    public String column(Field f) {
        return cols.get(f);
    }

    /** The replica status statement (MariaDB: every connection of multi-source replication). */
    public String replicaStatusQuery() {
        return replicaStatus;
    }

    /**
     * One row with columns {@code server_id, server_uuid, read_only, log_bin, log_replica_updates,
     * gtid_binlog, gtid_applied}; needs no grant.
     */
    public String variablesQuery() {
        return variables;
    }

    /** Semi-sync status variables (absent when the plugin is not loaded). */
    public String semiSyncStatusQuery() {
        return "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'";
    }

    /** Semi-sync system variables (absent when the plugin is not loaded). */
    public String semiSyncVariablesQuery() {
        return "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'";
    }

    /** Parses a GTID position or set in this flavour's notation. */
    public GtidSet gtid(String text) {
        return GtidSet.parse(flavour(), text);
    }

    /** A replica-status row (columns by name, case-insensitive) as a channel. */
    public ReplicaChannel channel(Map<String, String> rowAnyCase) {
        Map<String, String> row = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        row.putAll(rowAnyCase);
        Map<String, String> filters = new LinkedHashMap<>();
        for (String c : FILTER_COLUMNS) {
            String v = row.get(c);
            if (v != null && !v.isBlank()) filters.put(c, v);
        }
        Map<String, Double> numeric = new TreeMap<>();
        for (Map.Entry<String, String> e : row.entrySet()) {
            Double d = exporterValue(e.getValue());
            if (d != null) numeric.put(exporterName(e.getKey()), d);
        }
        String using = get(row, Field.USING_GTID);
        return new ReplicaChannel(
                nz(get(row, Field.CHANNEL)),
                nz(get(row, Field.SOURCE_HOST)),
                (int) num(get(row, Field.SOURCE_PORT), 0),
                nullableLong(get(row, Field.SOURCE_SERVER_ID)),
                nz(get(row, Field.SOURCE_UUID)),
                IoState.parse(get(row, Field.IO_RUNNING)),
                "yes".equalsIgnoreCase(nz(get(row, Field.SQL_RUNNING))),
                nullableLong(get(row, Field.SECONDS_BEHIND)),
                num(get(row, Field.SQL_DELAY), 0),
                num(get(row, Field.LAST_ERRNO), 0),
                nz(get(row, Field.LAST_ERROR)),
                num(get(row, Field.LAST_IO_ERRNO), 0),
                nz(get(row, Field.LAST_IO_ERROR)),
                num(get(row, Field.LAST_SQL_ERRNO), 0),
                nz(get(row, Field.LAST_SQL_ERROR)),
                nz(get(row, Field.RECEIVED_GTID)).replace("\n", ""),
                nz(get(row, Field.APPLIED_GTID)).replace("\n", ""),
                using == null ? "" : using,
                filters,
                numeric);
    }

    private String get(Map<String, String> row, Field f) {
        String c = cols.get(f);
        return c == null ? null : row.get(c);
    }

    /**
     * mysqld_exporter's family suffix for a replica-status column: lower case, with MySQL
     * 8.0.22+'s Replica/Source words mapped back to Slave/Master, so {@code Replica_IO_Running}
     * is served as {@code mysql_slave_status_slave_io_running} as dashboards expect.
     */
    public static String exporterName(String column) {
        String[] words = column.toLowerCase(Locale.ROOT).split("_", -1);
        for (int i = 0; i < words.length; i++) {
            if (words[i].equals("replica")) words[i] = "slave";
            else if (words[i].equals("source")) words[i] = "master";
        }
        return String.join("_", words);
    }

    /** mysqld_exporter's value of a column: numbers, Yes/ON as 1, No/OFF/Connecting as 0; else null. */
    public static Double exporterValue(String v) {
        if (v == null) return null;
        String s = v.trim();
        switch (s.toLowerCase(Locale.ROOT)) {
            case "yes", "on":
                return 1.0;
            case "no", "off", "connecting":
                return 0.0;
            default:
                break;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static long num(String s, long dflt) {
        if (s == null || s.isBlank()) return dflt;
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static Long nullableLong(String s) {
        if (s == null || s.isBlank()) return null;
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ---- statements for actions (part 2 uses them; the monitor itself only reads) ----

    /** Starts only the applier: on MariaDB GTID, restarting the IO thread would purge the relay log. */
    public String startSqlThreadOnly() {
        return "START " + replicaWord + " SQL_THREAD";
    }

    /** Stops both replication threads. */
    public String stopReplica() {
        return "STOP " + replicaWord;
    }

    /** Forgets the replication source entirely (the promoted node becomes a primary). */
    public String resetReplicaAll() {
        return "RESET " + replicaWord + " ALL";
    }

    /** {@code read_only} on or off (MySQL: on also sets super_read_only, so SUPER users stop writing too). */
    public String setReadOnly(boolean on) {
        if (flavour() == Flavour.MYSQL && version.atLeast(5, 7, 8)) {
            return on ? "SET GLOBAL super_read_only = ON" : "SET GLOBAL read_only = OFF";
        }
        return "SET GLOBAL read_only = " + (on ? "ON" : "OFF");
    }

    /**
     * Points a replica at a new source by GTID (MariaDB: {@code MASTER_USE_GTID=slave_pos}; MySQL:
     * auto-position). Values are quoted here because CHANGE MASTER takes no bind parameters.
     */
    public String changeSourceByGtid(String host, int port, String user, String password,
                                     int connectRetrySeconds, double heartbeatPeriodSeconds) {
        if (flavour() == Flavour.MARIADB) {
            return "CHANGE MASTER TO MASTER_HOST=" + quote(host) + ", MASTER_PORT=" + port
                    + ", MASTER_USER=" + quote(user) + ", MASTER_PASSWORD=" + quote(password)
                    + ", MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=" + connectRetrySeconds
                    + ", MASTER_HEARTBEAT_PERIOD=" + heartbeatPeriodSeconds;
        }
        if (sourceWords) {
            return "CHANGE REPLICATION SOURCE TO SOURCE_HOST=" + quote(host) + ", SOURCE_PORT=" + port
                    + ", SOURCE_USER=" + quote(user) + ", SOURCE_PASSWORD=" + quote(password)
                    + ", SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=" + connectRetrySeconds
                    + ", SOURCE_HEARTBEAT_PERIOD=" + heartbeatPeriodSeconds;
        }
        return "CHANGE MASTER TO MASTER_HOST=" + quote(host) + ", MASTER_PORT=" + port
                + ", MASTER_USER=" + quote(user) + ", MASTER_PASSWORD=" + quote(password)
                + ", MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=" + connectRetrySeconds
                + ", MASTER_HEARTBEAT_PERIOD=" + heartbeatPeriodSeconds;
    }

    /**
     * A query with two parameters (GTID set text, timeout in seconds) that waits until this
     * server has applied the set; answers 0 when it has. MariaDB {@code MASTER_GTID_WAIT} answers
     * -1 on timeout, MySQL {@code WAIT_FOR_EXECUTED_GTID_SET} 1.
     */
    public String waitForGtid() {
        return flavour() == Flavour.MARIADB ? "SELECT MASTER_GTID_WAIT(?, ?)" : "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)";
    }

    /** Client sessions (id, user, host, command), without replication and system threads or this session. */
    public String clientSessionsQuery() {
        return "SELECT ID, USER, HOST, COMMAND FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
                + " AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL',"
                + " 'Slave_worker', 'Connect')"
                + " AND USER NOT IN ('system user', 'event_scheduler')";
    }

    /** Ends a session and its running statement. */
    public String killConnection(long id) {
        return "KILL CONNECTION " + id;
    }

    /** A SQL string literal. */
    public static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    @Override
    public String toString() {
        return "Dialect[" + version + ", " + replicaStatus + "]";
    }
}
