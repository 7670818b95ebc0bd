package dev.cairn.replication.failover;

import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbCluster;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import dev.cairn.replication.ReplicationModule;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.catalog.ServiceView;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A real MariaDB primary + replicas (semi-sync AFTER_SYNC on every node, as {@code durability:
 * lossless} wants) under a Cairn host running the replication module with failover on, plus
 * writers that follow {@code mysql-primary} in the catalog and log every acknowledged key.
 */
final class FailoverFixture implements AutoCloseable {

    /** Every node: semi-sync replica on, AFTER_SYNC; only the primary turns the master side on. */
    static final String[] SEMI_SYNC = {
            "--rpl-semi-sync-slave-enabled=ON",
            "--rpl-semi-sync-master-wait-point=AFTER_SYNC", "--rpl-semi-sync-master-timeout=30000"};

    final MariaDbCluster db;
    final ReplicationModule module;
    final TestHost host;
    final Path dir;

    private FailoverFixture(Path dir, MariaDbCluster db, TestHost host, ReplicationModule module) {
        this.dir = dir;
        this.db = db;
        this.host = host;
        this.module = module;
    }

    /**
     * Starts {@code replicas} replicas and a host whose cluster {@code main} has
     * {@code failoverYaml} (lines indented under {@code failover:}).
     */
    static FailoverFixture start(Path dir, int replicas, String failoverYaml) throws Exception {
        return start(dir, replicas, failoverYaml, false);
    }

    /**
     * Like {@link #start(Path, int, String)}; with {@code proxy} the host also runs the proxy
     * module with a TCP forward on {@code mysql-primary} ({@link #proxyPort}, balance first).
     */
    static FailoverFixture start(Path dir, int replicas, String failoverYaml, boolean proxy) throws Exception {
        MariaDbCluster db = MariaDbCluster.start(dir.resolve("db"), replicas, SEMI_SYNC);
        try {
            db.primary().exec("SET GLOBAL rpl_semi_sync_master_enabled = ON");
            for (MariaDbServer r : db.replicas()) {
                r.exec("STOP SLAVE; START SLAVE"); // reconnect as a semi-sync replica of the primary
            }
            db.awaitReplicating(Duration.ofSeconds(20));
            TestHost.await(Duration.ofSeconds(20), "every replica a semi-sync client", () -> Integer.toString(replicas)
                    .equals(db.primary().query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'").get(0).get("Value")));
            db.primary().exec("CREATE DATABASE app; CREATE TABLE app.t (k VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB;"
                    + " CREATE USER 'app'@'%' IDENTIFIED BY 'app'; GRANT ALL ON app.* TO 'app'@'%'");
            try {
                db.awaitCaughtUp(Duration.ofSeconds(20));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; replicas: " + db.replicas().stream()
                        .map(r -> r.name() + " " + r.slaveStatus()).toList(), e);
            }
            return onto(dir, db, failoverYaml, true, proxy);
        } catch (Exception | Error e) {
            db.close();
            throw e;
        }
    }

    /** A second Cairn host (another decision-maker) on the same servers; closing it leaves them running. */
    FailoverFixture anotherCairn(Path otherDir, String failoverYaml) throws Exception {
        return onto(otherDir, db, failoverYaml, false, false, "node1");
    }

    /** Like {@link #anotherCairn(Path, String)} once {@code primary} (not node1) is the primary. */
    FailoverFixture anotherCairn(Path otherDir, String failoverYaml, String primary) throws Exception {
        return onto(otherDir, db, failoverYaml, false, false, primary);
    }

    private static FailoverFixture onto(Path dir, MariaDbCluster db, String failoverYaml, boolean ownsDb, boolean proxy)
            throws Exception {
        return onto(dir, db, failoverYaml, ownsDb, proxy, "node1");
    }

    private static FailoverFixture onto(Path dir, MariaDbCluster db, String failoverYaml, boolean ownsDb, boolean proxy,
                                        String primary) throws Exception {
        Files.writeString(dir.resolve("repl.pw"), MariaDbServer.REPL_PASSWORD + "\n");
        StringBuilder y = new StringBuilder("""
                services: {}
                replication:
                  clusters:
                    main:
                      user: root
                      password: ""
                      interval: 250ms
                      connect_timeout: 500ms
                      read_timeout: 1s
                      publish: { primary: mysql-primary, replicas: mysql-replicas }
                      nodes:
                """);
        for (MariaDbServer n : db.nodes()) {
            y.append("        - { address: ").append(n.address()).append(", name: ").append(n.name()).append(" }\n");
        }
        y.append("      failover:\n");
        failoverYaml.lines().forEach(l -> y.append("        ").append(l).append('\n'));
        y.append("        replication_password_file: repl.pw\n");
        int proxyPort = 0;
        if (proxy) {
            proxyPort = TestHost.freePort();
            y.append("proxy:\n  tcp:\n    - { bind: \"127.0.0.1:").append(proxyPort)
                    .append("\", service: mysql-primary, balance: first }\n");
        }
        ReplicationModule module = new ReplicationModule();
        TestHost host = proxy ? TestHost.start(dir, y.toString(), module, new dev.cairn.proxy.ProxyModule())
                : TestHost.start(dir, y.toString(), module);
        FailoverFixture ready = new FailoverFixture(dir, db, host, module);
        ready.yaml = y.toString();
        ready.proxyPort = proxyPort;
        ready.ownsDb = false;
        try {
            ready.awaitPrimary(primary, Duration.ofSeconds(20));
            TestHost.await(Duration.ofSeconds(10), "the failover's first round", () -> ready.failover().status().containsKey("analysis"));
        } catch (Exception | Error e) {
            ready.close();
            throw e;
        }
        ready.ownsDb = ownsDb;
        return ready;
    }

    private boolean ownsDb = true;
    /** The config the host runs. */
    String yaml;
    /** The TCP forward on mysql-primary (127.0.0.1), 0 without the proxy. */
    int proxyPort;

    /** Rewrites the config with {@code from} replaced by {@code to} and reloads (as SIGHUP); fails if refused. */
    void reload(String from, String to) throws java.io.IOException {
        org.assertj.core.api.Assertions.assertThat(yaml).contains(from);
        String next = yaml.replace(from, to);
        var r = host.reload(next);
        org.assertj.core.api.Assertions.assertThat(r.ok()).as(r.toString()).isTrue();
        yaml = next;
    }

    FailoverController failover() {
        return module.failover("main").orElseThrow();
    }

    /** The UP endpoint of mysql-primary, if any. */
    Optional<EndpointView> primaryEndpoint() {
        return host.host().catalog().service("mysql-primary").map(ServiceView::endpoints).orElse(List.of()).stream()
                .filter(e -> e.health() == Health.UP).findFirst();
    }

    long publishedEpoch() {
        return host.host().catalog().publishedEpoch("mysql-primary").orElse(0L);
    }

    void awaitPrimary(String node, Duration timeout) throws InterruptedException {
        TestHost.await(timeout, "mysql-primary published as " + node + " (now " + primaryEndpoint() + ")",
                () -> primaryEndpoint().map(e -> e.name().equals(node)).orElse(false));
    }

    /** Waits until the failover loop has finished a promotion (success or failure). */
    Promotion.Result awaitPromotion(Duration timeout) throws InterruptedException {
        TestHost.await(timeout, "a promotion to finish", () -> failover().lastResult().isPresent()
                && failover().state().phase() != FailoverDecision.Phase.RECOVERING);
        return failover().lastResult().orElseThrow();
    }

    static Connection connect(String host, int port, String user, String pw) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", pw);
        p.setProperty("connectTimeout", "500");
        p.setProperty("socketTimeout", "5000");
        return DriverManager.getConnection("jdbc:mysql://" + host + ":" + port + "/", p);
    }

    /** Writers inserting unique keys into app.t through whatever mysql-primary is; bounded by {@link #stop()}. */
    final class Writers implements AutoCloseable {
        final Set<String> acked = ConcurrentHashMap.newKeySet();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();
        /** When each node first acknowledged a write (System.nanoTime). */
        final Map<String, Long> firstAck = new ConcurrentHashMap<>();

        long firstAckOn(String node) {
            return firstAck.get(node);
        }

        /** Null: follow mysql-primary in the catalog; else connect to 127.0.0.1 on this port (the TCP proxy). */
        private final Integer through;

        Writers(int n) {
            this(n, null);
        }

        /** Writers that connect through the TCP proxy, knowing nothing of the topology. */
        Writers(int n, Integer proxyPort) {
            this.through = proxyPort;
            for (int i = 0; i < n; i++) {
                String prefix = "w" + i + "-";
                Thread t = new Thread(() -> write(prefix), "writer-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void write(String prefix) {
            long seq = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            Connection c = null;
            String node = null;
            while (!stop.get() && System.nanoTime() < deadline) {
                try {
                    if (c == null && through != null) {
                        c = connect("127.0.0.1", through, "app", "app");
                        try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT @@server_id")) {
                            rs.next();
                            node = "node" + rs.getInt(1);
                        }
                    }
                    if (c == null) {
                        Optional<EndpointView> ep = primaryEndpoint();
                        if (ep.isEmpty()) {
                            pause();
                            continue;
                        }
                        c = connect(ep.get().host(), ep.get().port(), "app", "app");
                        node = ep.get().name();
                    }
                    String k = prefix + (seq++);
                    try (Statement st = c.createStatement()) {
                        st.executeUpdate("INSERT INTO app.t (k) VALUES ('" + k + "')");
                    }
                    acked.add(k);
                    firstAck.putIfAbsent(node, System.nanoTime());
                } catch (SQLException e) {
                    closeQuietly(c);
                    c = null;
                    pause();
                }
            }
            closeQuietly(c);
        }

        private void pause() {
            try {
                Thread.sleep(20); // pacing of a retrying client, not a wait for a condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitAcks(int more, Duration timeout) throws InterruptedException {
            int target = acked.size() + more;
            TestHost.await(timeout, more + " more acknowledged writes", () -> acked.size() >= target);
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(10_000);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone
            }
        }
    }

    /** Every key in app.t on {@code node}. */
    static Set<String> keys(MariaDbServer node) {
        Set<String> out = new java.util.HashSet<>();
        for (Map<String, String> r : node.query("SELECT k FROM app.t")) {
            out.add(r.get("k"));
        }
        return out;
    }

    /** Waits until {@code replica} applied everything {@code primary} has. */
    static void awaitCaughtUp(MariaDbServer primary, MariaDbServer replica, Duration timeout) throws InterruptedException {
        String target = primary.value("SELECT @@gtid_binlog_pos");
        TestHost.await(timeout, replica.name() + " applied " + target, () -> {
            GtidPosition have = GtidPosition.parse(replica.value("SELECT @@gtid_slave_pos"));
            return have.covers(GtidPosition.parse(target));
        });
    }

    @Override
    public void close() {
        if (host != null) {
            host.close();
        }
        if (ownsDb) {
            db.close();
        }
    }
}
