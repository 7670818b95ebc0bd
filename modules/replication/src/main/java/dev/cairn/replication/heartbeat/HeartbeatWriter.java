package dev.cairn.replication.heartbeat;

import dev.cairn.replication.ReplicationErrors;
import dev.cairn.replication.ReplicationConfig.HeartbeatConfig;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.Role;
import dev.cairn.replication.topology.TopologySnapshot;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the heartbeat row of the cluster's primary every {@code heartbeat.interval}, in
 * pt-heartbeat's table layout ({@code ts} as UTC {@code 2026-12-03T11:32:37.123456},
 * {@code server_id} primary key, file/position columns left NULL): read it with
 * {@code pt-heartbeat --check --utc} or mysqld_exporter's {@code --collect.heartbeat.utc}.
 *
 * <p>Writes only to the node the newest snapshot calls the primary, when it answered, is not
 * read_only and replicates from nobody; and it checks {@code @@read_only} on the same connection
 * right before each write. A demoted node thus gets no heartbeat (it would become an errant
 * transaction). One thread per cluster; a slow write delays only the heartbeat.
 */
public final class HeartbeatWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatWriter.class);
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

    private final String cluster;
    private final HeartbeatConfig config;
    private final Supplier<TopologySnapshot> snapshots;
    private final Function<String, DataSource> pools;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile String lastError;
    private volatile String lastNode;
    private volatile Instant lastWrite;
    private boolean tableChecked;

    public HeartbeatWriter(String cluster, HeartbeatConfig config, Supplier<TopologySnapshot> snapshots,
                           Function<String, DataSource> pools, Clock clock) {
        this.cluster = cluster;
        this.config = config;
        this.snapshots = snapshots;
        this.pools = pools;
        this.clock = clock;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cairn-repl-heartbeat-" + cluster);
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        long ms = config.interval().toMillis();
        thread.scheduleWithFixedDelay(this::tick, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Successful writes since start. */
    public long writes() {
        return writes.get();
    }

    /** Failed writes since start. */
    public long failures() {
        return failures.get();
    }

    /** The last failure's message (with its id), or null after a success. */
    public String lastError() {
        return lastError;
    }

    /** Node of the last successful write, or null. */
    public String lastNode() {
        return lastNode;
    }

    public Instant lastWrite() {
        return lastWrite;
    }

    /** The primary this round may write to, or null: reachable, writable, replicating from nobody. */
    static NodeView target(TopologySnapshot s) {
        if (s == null) return null;
        NodeView p = s.primaryNode().orElse(null);
        if (p == null || p.role() != Role.PRIMARY || !p.state().writable() || !p.state().channelsKnown()
                || p.state().channel() != null) {
            return null;
        }
        return p;
    }

    private void tick() {
        NodeView p = target(snapshots.get());
        if (p == null) return;
        try {
            if (!write(pools.apply(p.name()))) return;
            writes.incrementAndGet();
            lastError = null;
            lastNode = p.name();
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException se && (se.getErrorCode() == 1146 || se.getErrorCode() == 1049)) {
                tableChecked = false; // dropped meanwhile: create it again on the next tick
            }
            failures.incrementAndGet();
            String msg = ReplicationErrors.HEARTBEAT_WRITE_FAILED.id() + " heartbeat write to " + p.name() + " failed: " + e.getMessage() + grantHint(e);
            if (!msg.equals(lastError)) {
                log.atWarn().addKeyValue("error_id", ReplicationErrors.HEARTBEAT_WRITE_FAILED.id()).addKeyValue("cluster", cluster).log(msg);
            }
            lastError = msg;
        }
    }

    private String grantHint(Exception e) {
        if (e instanceof SQLException se && (se.getErrorCode() == 1142 || se.getErrorCode() == 1044)) {
            return " (the monitor user needs CREATE, INSERT, UPDATE and SELECT on " + config.schema() + ".*)";
        }
        return "";
    }

    /** False when the node turned out read_only: nothing written. */
    private boolean write(DataSource ds) throws SQLException {
        String table = "`" + config.schema() + "`.`" + config.tableName() + "`";
        try (Connection c = ds.getConnection()) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@global.read_only")) {
                rs.next();
                String ro = rs.getString(1);
                if (!"0".equals(ro) && !"OFF".equalsIgnoreCase(ro)) return false; // demoted since the snapshot
            }
            if (!tableChecked) {
                create(c, table);
                tableChecked = true;
            }
            String ts = TS.format(clock.instant());
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (ts, server_id) VALUES (?, @@server_id)"
                    + " ON DUPLICATE KEY UPDATE ts = ?")) {
                ps.setString(1, ts);
                ps.setString(2, ts);
                ps.executeUpdate();
            }
            lastWrite = clock.instant();
            return true;
        }
    }

    /** pt-heartbeat's table, created if missing (a node with the table already changes nothing). */
    private void create(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"
                    + config.schema() + "' AND TABLE_NAME = '" + config.tableName() + "'")) {
                if (rs.next()) return;
            }
            s.execute("CREATE DATABASE IF NOT EXISTS `" + config.schema() + "`");
            s.execute("CREATE TABLE IF NOT EXISTS " + table + " (ts varchar(26) NOT NULL,"
                    + " server_id int unsigned NOT NULL PRIMARY KEY, file varchar(255) DEFAULT NULL,"
                    + " position bigint unsigned DEFAULT NULL, relay_master_log_file varchar(255) DEFAULT NULL,"
                    + " exec_master_log_pos bigint unsigned DEFAULT NULL)");
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
