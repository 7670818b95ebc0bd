package dev.cairn.replication;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cairn.replication.ReplicationConfig.ClusterConfig;
import dev.cairn.replication.ReplicationConfig.NodeConfig;
import dev.cairn.replication.flavour.Dialect;
import dev.cairn.replication.probe.NodeProbe;
import dev.cairn.replication.probe.NodeState;
import dev.cairn.replication.probe.Reach;
import dev.cairn.replication.topology.Analyzer;
import dev.cairn.replication.topology.TopologySnapshot;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Monitors one cluster: every {@code interval} it probes all nodes in parallel, each on its own
 * thread over its own connection, waits for them at most {@code read_timeout} (a node that has
 * not answered by then is reported down, and its next probe waits for the hung one rather than
 * piling up), then turns the results into a {@link TopologySnapshot} and hands it to listeners.
 *
 * <p>Threads: one loop thread ({@code cairn-repl-CLUSTER}), one probe thread per node; listeners
 * run on the loop thread and must not block. {@link #pool(String)} gives a small HikariCP pool
 * per node (1-2 connections, the same hard timeouts) for the heartbeat writer and for actions
 * (part 2). {@link #close()} stops everything and closes every connection.
 */
public final class ClusterMonitor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterMonitor.class);
    /** Connections per node pool: one for the heartbeat writer, one for an action. */
    public static final int POOL_SIZE = 2;

    private final String name;
    private final ClusterConfig config;
    private final String password;
    private final Clock clock;
    private final Map<String, NodeProbe> probes = new LinkedHashMap<>();
    private final Map<String, ExecutorService> probeThreads = new LinkedHashMap<>();
    private final Map<String, Future<NodeState>> inFlight = new ConcurrentHashMap<>();
    private final Map<String, Instant> inFlightSince = new ConcurrentHashMap<>();
    private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();
    private final List<Consumer<TopologySnapshot>> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile TopologySnapshot latest;
    private volatile boolean closed;
    private Thread loop;
    private long seq;

    public ClusterMonitor(String name, ClusterConfig config, String password, Clock clock) {
        this.name = name;
        this.config = config;
        this.password = password;
        this.clock = clock;
        String hb = config.heartbeat().enabled() ? heartbeatTable(config) : null;
        for (NodeConfig n : config.nodes()) {
            String node = n.displayName();
            probes.put(node, new NodeProbe(node, n.address(), config.user(), password, config.connectTimeout(),
                    config.readTimeout(), hb, clock));
            probeThreads.put(node, Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "cairn-repl-probe-" + name + "-" + node);
                t.setDaemon(true);
                return t;
            }));
        }
    }

    /** {@code `schema`.`table`} of the heartbeat. */
    static String heartbeatTable(ClusterConfig c) {
        return "`" + c.heartbeat().schema() + "`.`" + c.heartbeat().tableName() + "`";
    }

    public String name() {
        return name;
    }

    public ClusterConfig config() {
        return config;
    }

    /** Starts the loop; the first snapshot follows within one read_timeout. */
    public synchronized void start() {
        if (loop != null) return;
        loop = new Thread(this::run, "cairn-repl-" + name);
        loop.setDaemon(true);
        loop.start();
    }

    /** The newest snapshot, or null before the first round finished. */
    public TopologySnapshot latest() {
        return latest;
    }

    /** Calls {@code l} with every new snapshot, on the loop thread. */
    public void subscribe(Consumer<TopologySnapshot> l) {
        listeners.add(l);
    }

    /** The dialect of a node as its last successful probe found it, or null. */
    public Dialect dialect(String node) {
        NodeProbe p = probes.get(node);
        return p == null ? null : p.dialect();
    }

    /**
     * A small connection pool to one node (created on first use) with the cluster's credentials
     * and timeouts; for writes and admin statements, never for probes.
     */
    public DataSource pool(String node) {
        if (closed) throw new IllegalStateException("cluster monitor " + name + " is closed");
        NodeConfig n = config.node(node);
        if (n == null) throw new IllegalArgumentException("no node " + node + " in cluster " + name);
        return pools.computeIfAbsent(node, k -> {
            HikariConfig hc = new HikariConfig();
            hc.setPoolName("cairn-repl-" + name + "-" + node);
            hc.setJdbcUrl(NodeProbe.jdbcUrl(n.address(), config.connectTimeout(), config.readTimeout()));
            hc.setDriverClassName("com.mysql.cj.jdbc.Driver");
            hc.setDataSourceProperties(NodeProbe.connectionProperties(config.user(), password,
                    config.connectTimeout(), config.readTimeout()));
            hc.setUsername(config.user());
            hc.setPassword(password == null ? "" : password);
            hc.setMaximumPoolSize(POOL_SIZE);
            hc.setMinimumIdle(0);
            hc.setConnectionTimeout(Math.max(250, config.connectTimeout().plus(config.readTimeout()).toMillis()));
            hc.setValidationTimeout(Math.max(250, config.readTimeout().toMillis()));
            hc.setIdleTimeout(Duration.ofMinutes(1).toMillis());
            hc.setInitializationFailTimeout(-1);
            hc.setRegisterMbeans(false);
            return new HikariDataSource(hc);
        });
    }

    private void run() {
        Duration interval = config.interval();
        try {
            while (!closed) {
                long start = System.nanoTime();
                TopologySnapshot s = round();
                if (closed) break;
                latest = s;
                for (Consumer<TopologySnapshot> l : listeners) {
                    try {
                        l.accept(s);
                    } catch (RuntimeException e) {
                        log.warn("replication listener failed on cluster {}: {}", name, e.toString());
                    }
                }
                long waitNanos = interval.toNanos() - (System.nanoTime() - start);
                if (waitNanos > 0 && stopped.await(waitNanos, TimeUnit.NANOSECONDS)) break;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.atError().addKeyValue("error_id", ReplicationErrors.MONITOR_STOPPED.id()).log("replication monitor of cluster {} stopped: {}", name, e.toString());
        }
    }

    /**
     * One probe round: all nodes in parallel, no longer than read_timeout in total (plus
     * connect_timeout when a node has to connect first).
     */
    TopologySnapshot round() throws InterruptedException {
        Instant roundStart = clock.instant();
        boolean connecting = probes.values().stream().anyMatch(p -> !p.connected());
        long deadline = System.nanoTime() + config.readTimeout().toNanos() + (connecting ? config.connectTimeout().toNanos() : 0);
        Map<String, NodeState> states = new LinkedHashMap<>();
        for (NodeConfig n : config.nodes()) {
            String node = n.displayName();
            Future<NodeState> prev = inFlight.get(node);
            if (prev != null && !prev.isDone()) {
                Duration hung = Duration.between(inFlightSince.get(node), roundStart);
                states.put(node, NodeState.failed(node, n.address(), roundStart, Reach.DOWN, ReplicationErrors.NO_ANSWER.id() + " node " + node
                        + " (" + n.address() + ") has not answered for " + hung.toMillis() + " ms (read_timeout "
                        + config.readTimeout().toMillis() + " ms)", hung.toNanos() / 1e9));
                continue;
            }
            NodeProbe probe = probes.get(node);
            inFlight.put(node, probeThreads.get(node).submit(probe::probe));
            inFlightSince.put(node, roundStart);
        }
        for (NodeConfig n : config.nodes()) {
            String node = n.displayName();
            if (states.containsKey(node)) continue;
            Future<NodeState> f = inFlight.get(node);
            long left = deadline - System.nanoTime();
            try {
                states.put(node, f.get(Math.max(0, left), TimeUnit.NANOSECONDS));
                inFlight.remove(node);
            } catch (TimeoutException e) {
                states.put(node, NodeState.failed(node, n.address(), roundStart, Reach.DOWN, ReplicationErrors.NO_ANSWER.id() + " node " + node
                        + " (" + n.address() + ") did not answer within read_timeout (" + config.readTimeout().toMillis() + " ms)",
                        Duration.between(roundStart, clock.instant()).toNanos() / 1e9));
            } catch (ExecutionException e) {
                inFlight.remove(node);
                states.put(node, NodeState.failed(node, n.address(), roundStart, Reach.DOWN, ReplicationErrors.PROBE_FAILED.id() + " probe of " + node
                        + " failed: " + e.getCause(), 0));
            }
        }
        List<NodeState> ordered = new ArrayList<>(states.values());
        ordered.sort((a, b) -> Integer.compare(index(a.node()), index(b.node())));
        return Analyzer.analyze(name, config, ordered, latest, ++seq, roundStart);
    }

    private int index(String node) {
        for (int i = 0; i < config.nodes().size(); i++) {
            if (config.nodes().get(i).displayName().equals(node)) return i;
        }
        return Integer.MAX_VALUE;
    }

    @Override
    public void close() {
        closed = true;
        stopped.countDown();
        Thread t;
        synchronized (this) {
            t = loop;
        }
        for (NodeProbe p : probes.values()) p.close();
        for (ExecutorService e : probeThreads.values()) e.shutdownNow();
        if (t != null) {
            try {
                t.join(config.readTimeout().toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (HikariDataSource ds : pools.values()) ds.close();
        pools.clear();
    }
}
