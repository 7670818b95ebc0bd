package dev.cairn.replication;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbCluster;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.replication.topology.TopologySnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * A real MariaDB primary + 2 replicas with Cairn's monitor user, and a Cairn host running the
 * replication module on it; shared by a test class.
 */
final class ReplicationFixture implements AutoCloseable {

    static final String MONITOR_USER = "cairn";
    static final String MONITOR_PASSWORD = "monitor-secret";

    final MariaDbCluster db;
    final Path dir;
    ReplicationModule module;
    TestHost host;

    ReplicationFixture(Path dir, String... mariadbArgs) throws Exception {
        this.dir = dir;
        this.db = MariaDbCluster.start(dir.resolve("db"), 2, mariadbArgs);
        db.primary().exec("CREATE USER '" + MONITOR_USER + "'@'127.0.0.1' IDENTIFIED BY '" + MONITOR_PASSWORD + "';"
                + " GRANT REPLICA MONITOR, BINLOG MONITOR, PROCESS ON *.* TO '" + MONITOR_USER + "'@'127.0.0.1';"
                + " GRANT CREATE, INSERT, UPDATE, SELECT ON cairn.* TO '" + MONITOR_USER + "'@'127.0.0.1';"
                + " CREATE USER 'limited'@'127.0.0.1' IDENTIFIED BY 'limited';"
                + " GRANT PROCESS ON *.* TO 'limited'@'127.0.0.1';");
        Files.writeString(dir.resolve("monitor.password"), MONITOR_PASSWORD + "\n");
        Files.writeString(dir.resolve("limited.password"), "limited\n");
        Files.writeString(dir.resolve("wrong.password"), "not-the-password\n");
        db.awaitCaughtUp(Duration.ofSeconds(30));
    }

    /** The nodes as config lines. */
    String nodes() {
        StringBuilder b = new StringBuilder();
        for (MariaDbServer s : db.nodes()) {
            b.append("          - { address: ").append(s.address()).append(", name: ").append(s.name()).append(" }\n");
        }
        return b.toString();
    }

    /** A cluster section under replication.clusters with fast test timings. */
    String cluster(String name, String passwordFile, String user, String extra) {
        return "    " + name + ":\n"
                + "      nodes:\n" + nodes().replace("          ", "        ")
                + "      user: " + user + "\n"
                + "      password_file: " + passwordFile + "\n"
                + "      interval: 250ms\n"
                + "      connect_timeout: 500ms\n"
                + "      read_timeout: 1s\n"
                + extra;
    }

    void startHost(String yaml) throws Exception {
        module = new ReplicationModule();
        host = TestHost.start(dir, yaml, module);
    }

    ClusterMonitor monitor(String cluster) {
        return module.monitor(cluster).orElseThrow();
    }

    /** Waits for a snapshot newer than now that satisfies {@code p}; returns it. */
    TopologySnapshot await(String cluster, Duration timeout, String what, Predicate<TopologySnapshot> p) throws InterruptedException {
        java.time.Instant after = java.time.Instant.now();
        TopologySnapshot[] hit = new TopologySnapshot[1];
        try {
            TestHost.await(timeout, what, () -> {
                TopologySnapshot s = monitor(cluster).latest();
                if (s != null && !s.at().isBefore(after) && p.test(s)) {
                    hit[0] = s;
                    return true;
                }
                return false;
            });
        } catch (AssertionError e) {
            TopologySnapshot s = monitor(cluster).latest();
            throw new AssertionError(e.getMessage() + "\nlast snapshot:\n"
                    + (s == null ? "none" : dev.cairn.replication.status.TopologyTree.render(s)), e);
        }
        return hit[0];
    }

    @Override
    public void close() {
        if (host != null) host.close();
        db.close();
    }
}
