package dev.cairn.core.testing.mariadb;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A real MariaDB primary with N replicas on loopback, for tests: the servers start in parallel
 * from one template, each replica follows the primary by GTID ({@code MASTER_USE_GTID=slave_pos})
 * and the primary's {@code read_only} is cleared; replicas stay {@code read_only=1}.
 *
 * <p>Replicas are set to notice a silent primary fast: {@code slave_net_timeout=4},
 * {@code MASTER_HEARTBEAT_PERIOD=1}, {@code MASTER_CONNECT_RETRY=1}, so a SIGSTOPped or killed
 * primary is "lost" by its replicas within about 4 s.
 *
 * <pre>{@code
 * try (MariaDbCluster c = MariaDbCluster.start(tmp, 2)) {
 *     c.primary().exec("CREATE DATABASE app");
 *     c.awaitCaughtUp(Duration.ofSeconds(10));
 *     c.primary().pause();   // SIGSTOP
 * }
 * }</pre>
 *
 * Not thread-safe. {@link #close()} kills every server and deletes its data.
 */
public final class MariaDbCluster implements AutoCloseable {

    /** {@code MASTER_HEARTBEAT_PERIOD} each replica is set up with, seconds. */
    public static final double HEARTBEAT_PERIOD_SECONDS = 1;
    /** {@code MASTER_CONNECT_RETRY} each replica is set up with, seconds. */
    public static final int CONNECT_RETRY_SECONDS = 1;

    private final List<MariaDbServer> nodes;

    private MariaDbCluster(List<MariaDbServer> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts a primary ({@code node1}, server_id 1) and {@code replicas} replicas
     * ({@code node2}..., server_id 2...) under {@code baseDir}, with replication running.
     *
     * @param extraArgs further {@code mariadbd} options for every node
     */
    public static MariaDbCluster start(Path baseDir, int replicas, String... extraArgs)
            throws IOException, InterruptedException {
        List<MariaDbServer> created = new ArrayList<>();
        for (int i = 0; i <= replicas; i++) {
            created.add(MariaDbServer.create(baseDir, "node" + (i + 1), i + 1, List.of(extraArgs)));
        }
        MariaDbCluster cluster = new MariaDbCluster(created);
        ExecutorService pool = Executors.newFixedThreadPool(created.size());
        try {
            List<Future<?>> starts = new ArrayList<>();
            for (MariaDbServer s : created) {
                starts.add(pool.submit(() -> {
                    s.startAgain();
                    return null;
                }));
            }
            for (Future<?> f : starts) {
                f.get();
            }
            cluster.primary().exec("SET GLOBAL read_only = 0");
            for (MariaDbServer r : cluster.replicas()) {
                cluster.replicateFrom(r, cluster.primary());
            }
            cluster.awaitReplicating(Duration.ofSeconds(30));
            return cluster;
        } catch (ExecutionException e) {
            cluster.close();
            throw new IOException("cannot start the MariaDB cluster: " + e.getCause().getMessage(), e.getCause());
        } catch (RuntimeException | InterruptedException | Error e) {
            cluster.close();
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The node started as primary (node1); a test that moves the primary keeps track itself. */
    public MariaDbServer primary() {
        return nodes.get(0);
    }

    /** The nodes started as replicas, in order. */
    public List<MariaDbServer> replicas() {
        return nodes.subList(1, nodes.size());
    }

    /** Every node, primary first. */
    public List<MariaDbServer> nodes() {
        return nodes;
    }

    /** A node by name ({@code node1}, ...). */
    public MariaDbServer node(String name) {
        return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name));
    }

    /**
     * Points {@code replica} at {@code source} by GTID and starts replication:
     * {@code STOP SLAVE; CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos; START SLAVE}.
     */
    public void replicateFrom(MariaDbServer replica, MariaDbServer source) {
        replicateFrom(replica, source.host(), source.port());
    }

    /** Like {@link #replicateFrom(MariaDbServer, MariaDbServer)} towards any address (also a wrong one). */
    public void replicateFrom(MariaDbServer replica, String host, int port) {
        replica.exec("STOP SLAVE; CHANGE MASTER TO MASTER_HOST='" + host + "', MASTER_PORT=" + port
                + ", MASTER_USER='" + MariaDbServer.REPL_USER + "', MASTER_PASSWORD='" + MariaDbServer.REPL_PASSWORD + "'"
                + ", MASTER_USE_GTID=slave_pos"
                + ", MASTER_CONNECT_RETRY=" + CONNECT_RETRY_SECONDS
                + ", MASTER_HEARTBEAT_PERIOD=" + HEARTBEAT_PERIOD_SECONDS
                + "; START SLAVE");
    }

    /** Waits until every replica's IO and SQL threads run. */
    public void awaitReplicating(Duration timeout) throws InterruptedException {
        await(timeout, "every replica's IO and SQL threads running", () -> replicas().stream().allMatch(r -> {
            Map<String, String> st = r.slaveStatus();
            return "Yes".equals(st.get("Slave_IO_Running")) && "Yes".equals(st.get("Slave_SQL_Running"));
        }));
    }

    /** Waits until every running replica has applied the primary's whole binary log position. */
    public void awaitCaughtUp(Duration timeout) throws InterruptedException {
        String target = primary().value("SELECT @@gtid_binlog_pos");
        await(timeout, "replicas applied " + target, () -> replicas().stream()
                .filter(r -> r.running() && !r.paused())
                .allMatch(r -> Objects.equals(target, r.value("SELECT @@gtid_slave_pos"))));
    }

    private static void await(Duration timeout, String what, java.util.function.BooleanSupplier cond)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            Thread.sleep(25);
        }
    }

    /** Kills every server and deletes its data. */
    @Override
    public void close() {
        for (MariaDbServer s : nodes) {
            s.close();
        }
    }

    @Override
    public String toString() {
        return "MariaDbCluster" + nodes;
    }
}
