package dev.cairn.cluster.election;

import dev.cairn.cluster.ClusterErrors;
import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.NodeConfig;
import dev.cairn.cluster.QuorumMode;
import dev.cairn.cluster.TrackConfig;
import dev.cairn.cluster.VipConfig;
import dev.cairn.cluster.advert.Advert;
import dev.cairn.cluster.advert.AdvertCodec;
import dev.cairn.cluster.vip.Commands;
import dev.cairn.cluster.vip.VipDriver;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O and time around an {@link ElectionCore}: the advert socket, the clock, the VIP driver
 * and the notify hooks. The core decides; this loop feeds it events (adverts that passed the
 * HMAC, ticks, track samples, driver results) and performs the {@link Effect}s it returns.
 *
 * <p>Threads: one election thread owns the core and the socket; the driver thread runs
 * {@link VipDriver} calls in order; the notify thread runs hooks; the witness (if any) probes on
 * its own thread. Other threads talk to the election thread through {@link #submit} and read
 * {@link #snapshot()}.
 */
public final class VipElection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VipElection.class);

    private final String self;
    private final Supplier<String> configHash;
    private final Predicate<TrackConfig> trackProbe;
    private final ClusterMetrics metrics;
    private final VipDriver driver;
    private final ExecutorService driverThread;
    private final ExecutorService notifyThread;
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running;
    private volatile Snapshot snapshot;
    /** Test hook: packets from matching senders are dropped on arrival, as a partition would. */
    private volatile Predicate<InetAddress> dropFrom = a -> false;

    // ---- owned by the election thread ----
    private ClusterConfig cfg;
    private AdvertCodec codec;
    private ElectionCore core;
    private List<InetSocketAddress> peerAddresses = List.of();
    private DatagramSocket socket;
    private Witness witness;
    private long nextTrackNanos;
    private long lastPublishNanos;
    private long lastRejectLogNanos = Long.MIN_VALUE;
    private long lastSendErrorLogNanos = Long.MIN_VALUE;
    private long lastLoopNanos;

    /** An immutable view for status pages; built by the election thread. */
    public record Snapshot(String node, String quorum, boolean quorumOk, List<Map<String, Object>> nodes,
                           List<Map<String, Object>> vips, int hashMismatches, String witness,
                           Map<String, Long> adverts) {
    }

    public VipElection(ClusterConfig cfg, String self, AdvertCodec codec, VipDriver driver, ClusterMetrics metrics,
                       Supplier<String> configHash, Predicate<TrackConfig> trackProbe) {
        this.self = self;
        this.driver = driver;
        this.metrics = metrics;
        this.configHash = configHash;
        this.trackProbe = trackProbe;
        this.driverThread = Executors.newSingleThreadExecutor(r -> daemon(r, "cluster-vip"));
        this.notifyThread = Executors.newSingleThreadExecutor(r -> daemon(r, "cluster-notify"));
        this.thread = new Thread(this::loop, "cluster-election");
        this.thread.setDaemon(true);
        this.cfg = cfg;
        this.codec = codec;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Binds the advert socket on this node's address and starts electing. */
    public void start() throws IOException {
        // A node killed with -9 (or a crashed host that kept its interface) leaves its VIPs
        // configured: remove them before electing, or this node would answer ARP for a VIP it
        // does not hold.
        for (VipConfig v : cfg.vips()) {
            if (Boolean.TRUE.equals(driver.holds(v))) {
                log.warn("[{}] VIP {} is on {} from an earlier run: removing it before the election", self, v.key(), v.dev());
                try {
                    driver.release(v);
                } catch (Exception e) {
                    throw new IOException("cannot remove stale VIP " + v.key() + ": " + e.getMessage(), e);
                }
            }
        }
        NodeConfig me = cfg.node(self);
        socket = new DatagramSocket(null);
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(me.address(), cfg.portOf(me)));
        long now = System.nanoTime();
        core = new ElectionCore(cfg, self, configHash, now, System.currentTimeMillis());
        applyIo(null, cfg);
        perform(core.step(new Event.Tick(now, System.currentTimeMillis(), witnessOk())));
        nextTrackNanos = now;
        publish(now);
        running = true;
        thread.start();
    }

    /** Applies a changed config (VIPs, peers, priorities, timers, secret) on the election thread, keeping state. */
    public void reconfigure(ClusterConfig next, AdvertCodec nextCodec) {
        submit(() -> {
            ClusterConfig prev = cfg;
            cfg = next;
            codec = nextCodec;
            applyIo(prev, next);
            perform(core.step(new Event.Reconfigured(next)));
            publish(System.nanoTime());
        });
    }

    /** Runs {@code r} on the election thread. */
    void submit(Runnable r) {
        inbox.add(r);
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** The peers' socket addresses and the witness prober follow the config. */
    private void applyIo(ClusterConfig prev, ClusterConfig next) {
        peerAddresses = next.nodes().stream().filter(n -> !n.name().equals(self))
                .map(n -> new InetSocketAddress(n.address(), next.portOf(n))).toList();
        String w = next.effectiveQuorum() == QuorumMode.WITNESS ? next.witness() : null;
        boolean witnessChanged = prev == null || !Objects.equals(w,
                prev.effectiveQuorum() == QuorumMode.WITNESS ? prev.witness() : null)
                || !prev.advertInterval().equals(next.advertInterval());
        if (witnessChanged) {
            if (witness != null) witness.close();
            witness = w == null ? null : new Witness(w, next.advertInterval());
        }
    }

    private long witnessOk() {
        return witness == null ? Event.Tick.NEVER : witness.lastOkNanos();
    }

    // ---------------------------------------------------------------- loop

    private void loop() {
        byte[] buf = new byte[AdvertCodec.MAX_PACKET];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        while (running) {
            try {
                Runnable r;
                while ((r = inbox.poll()) != null) r.run();
                if (!running) break;
                long interval = core.intervalNanos();
                long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(interval / 10,
                        TimeUnit.MILLISECONDS.toNanos(50)));
                long wait = Math.max(1, Math.min(tick, core.nextAdvertNanos() - System.nanoTime()));
                socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
                boolean changed = false;
                try {
                    packet.setLength(buf.length);
                    socket.receive(packet);
                    changed = receive(packet, System.nanoTime());
                } catch (SocketTimeoutException e) {
                    // no advert this tick
                }
                long now = System.nanoTime();
                if (lastLoopNanos != 0 && now - lastLoopNanos > interval) {
                    // Timers assume the loop runs every tick: a stall (CPU starvation, GC)
                    // longer than an interval explains transitions that follow it.
                    log.warn("[{}] election loop stalled for {} ms", self, TimeUnit.NANOSECONDS.toMillis(now - lastLoopNanos));
                }
                lastLoopNanos = now;
                if (now >= nextTrackNanos) {
                    changed |= perform(core.step(new Event.TracksSampled(sampleTracks())));
                    nextTrackNanos = now + interval;
                }
                changed |= perform(core.step(new Event.Tick(now, System.currentTimeMillis(), witnessOk())));
                if (changed || now - lastPublishNanos >= interval) publish(now);
            } catch (IOException e) {
                if (running) log.warn("[{}] cluster socket error: {}", self, e.toString());
            } catch (RuntimeException e) {
                log.atError().addKeyValue("error_id", ClusterErrors.ELECTION_LOOP_FAILED.id()).setCause(e).log("[{}] election loop error: {}", self, e.toString());
            }
        }
    }

    private Map<TrackConfig, Boolean> sampleTracks() {
        Map<TrackConfig, Boolean> healthy = new LinkedHashMap<>();
        for (TrackConfig t : cfg.track()) {
            boolean ok;
            try {
                ok = trackProbe.test(t);
            } catch (RuntimeException ex) {
                ok = false;
            }
            healthy.put(t, ok);
        }
        return healthy;
    }

    /** Decodes and verifies one packet and hands it to the core; true when anything changed. */
    private boolean receive(DatagramPacket packet, long now) {
        if (dropFrom.test(packet.getAddress())) return false;
        Advert a;
        try {
            a = codec.decode(packet.getData(), packet.getLength());
        } catch (AdvertCodec.RejectedException e) {
            metrics.advert(e.result());
            // A flood of forged packets must not flood the log: one line per interval at most.
            if (lastRejectLogNanos == Long.MIN_VALUE || now - lastRejectLogNanos > core.intervalNanos()) {
                lastRejectLogNanos = now;
                log.atWarn().addKeyValue("error_id", ClusterErrors.ADVERT_REJECTED.id()).log("[{}] advert rejected ({}): {}",
                        self, e.result(), packet.getSocketAddress() + ": " + e.getMessage());
            }
            return true;
        }
        return perform(core.step(new Event.Received(a, now, System.currentTimeMillis())));
    }

    // ---------------------------------------------------------------- effects

    /** Performs the core's effects in order; true when there were any. */
    private boolean perform(List<Effect> effects) {
        for (Effect e : effects) {
            if (e instanceof Effect.SendAdvert s) {
                send(s.advert());
            } else if (e instanceof Effect.AddVip a) {
                VipConfig vc = a.vip();
                driverThread.execute(() -> {
                    try {
                        driver.acquire(vc);
                    } catch (Exception ex) {
                        log.atError().addKeyValue("error_id", ClusterErrors.VIP_DRIVER_FAILED.id()).log("[{}] VIP {}: could not take it: {}",
                                self, vc.key(), ex.getMessage());
                        String msg = ex.getMessage();
                        submit(() -> perform(core.step(new Event.AcquireFailed(vc.key(), msg, System.nanoTime()))));
                    }
                });
            } else if (e instanceof Effect.RemoveVip r) {
                VipConfig vc = r.vip();
                driverThread.execute(() -> {
                    try {
                        driver.release(vc);
                    } catch (Exception ex) {
                        log.atError().addKeyValue("error_id", ClusterErrors.VIP_DRIVER_FAILED.id()).log("[{}] VIP {}: could not release it: {}",
                                self, vc.key(), ex.getMessage());
                    } finally {
                        submit(() -> perform(core.step(new Event.Released(vc.key()))));
                    }
                });
            } else if (e instanceof Effect.AnnounceVip a) {
                VipConfig vc = a.vip();
                driverThread.execute(() -> {
                    try {
                        driver.announce(vc);
                    } catch (Exception ex) {
                        log.warn("[{}] announcing {} failed: {}", self, vc.key(), ex.toString());
                    }
                });
            } else if (e instanceof Effect.RunHooks h) {
                notifyThread.execute(() -> {
                    for (String cmd : h.commands()) {
                        try {
                            Commands.Result r = Commands.shell(cmd, h.env(), h.timeout());
                            if (!r.ok()) log.warn("[{}] notify hook '{}' exited {}: {}", self, cmd, r.exit(), r.output());
                        } catch (IOException ex) {
                            log.warn("[{}] notify hook '{}' failed: {}", self, cmd, ex.toString());
                        }
                    }
                });
            } else if (e instanceof Effect.VipAdded v) {
                metrics.state(v.vip(), v.state());
            } else if (e instanceof Effect.VipForgotten v) {
                metrics.forgetVip(v.vip());
            } else if (e instanceof Effect.StateChanged c) {
                metrics.state(c.vip(), c.to());
                metrics.transition(c.vip(), c.to());
            } else if (e instanceof Effect.EpochKnown k) {
                metrics.epoch.labelValues(k.vip()).set(k.epoch());
            } else if (e instanceof Effect.PeerUp p) {
                metrics.peerUp.labelValues(p.peer()).set(p.up() ? 1 : 0);
            } else if (e instanceof Effect.PeerForgotten p) {
                metrics.peerUp.remove(p.peer());
            } else if (e instanceof Effect.AdvertCounted c) {
                metrics.advert(c.result());
            }
        }
        return !effects.isEmpty();
    }

    private void send(Advert a) {
        byte[] bytes = codec.encode(a);
        for (InetSocketAddress to : peerAddresses) {
            try {
                socket.send(new DatagramPacket(bytes, bytes.length, to));
            } catch (IOException e) {
                // Unreachable peers are normal during a partition; liveness tracks them.
                long t = System.nanoTime();
                if (lastSendErrorLogNanos == Long.MIN_VALUE || t - lastSendErrorLogNanos > core.intervalNanos() * 10) {
                    lastSendErrorLogNanos = t;
                    log.info("[{}] advert to {} failed: {}", self, to, e.toString());
                }
            }
        }
    }

    // ---------------------------------------------------------------- status

    private void publish(long now) {
        lastPublishNanos = now;
        ElectionCore.Snapshot s = core.snapshot(now);
        for (Map<String, Object> n : s.nodes()) {
            // A peer that timed out (no advert) is down without an event: the gauge follows the view.
            if (!Boolean.TRUE.equals(n.get("self"))) {
                metrics.peerUp.labelValues((String) n.get("name")).set(Boolean.TRUE.equals(n.get("up")) ? 1 : 0);
            }
        }
        metrics.hashMismatch.set(s.hashMismatches());
        Map<String, Long> adverts = new LinkedHashMap<>();
        for (String r : ClusterMetrics.RESULTS) adverts.put(r, (long) metrics.adverts.labelValues(r).get());
        String quorum = witness == null ? s.quorum() : s.quorum().replaceFirst("\\(.*\\)$", "(" + witness.lastResult() + ")");
        snapshot = new Snapshot(self, quorum, s.quorumOk(), s.nodes(), s.vips(), s.hashMismatches(),
                witness == null ? null : witness.lastResult(), adverts);
    }

    // ---------------------------------------------------------------- stop

    /**
     * Graceful stop: releases held VIPs (waiting for the driver), then tells every peer with a
     * shutdown advert (priority 0) so a backup takes over at once instead of after master-down.
     */
    @Override
    public void close() {
        if (!running) {
            shutdownThreads();
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        submit(() -> {
            try {
                perform(core.step(new Event.Stopping()));
                // Wait for the releases so the VIP is gone before a backup adds it.
                driverThread.submit(() -> { }).get(10, TimeUnit.SECONDS);
                perform(core.step(new Event.Shutdown(System.nanoTime(), System.currentTimeMillis())));
            } catch (Exception e) {
                log.warn("[{}] graceful cluster stop incomplete: {}", self, e.toString());
            } finally {
                running = false;
                done.complete(null);
            }
        });
        try {
            done.get(15, TimeUnit.SECONDS);
        } catch (Exception e) {
            running = false;
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutdownThreads();
    }

    private void shutdownThreads() {
        running = false;
        if (socket != null) socket.close();
        if (witness != null) witness.close();
        driverThread.shutdown();
        notifyThread.shutdown();
        try {
            notifyThread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        driver.close();
    }

    /** Test hook: drop adverts from matching senders (simulates a partition on one machine). */
    public void dropFrom(Predicate<InetAddress> filter) {
        this.dropFrom = filter;
    }

    /** Test hook: stops dead, like kill -9: no shutdown advert, VIPs left as they are. */
    public void crash() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutdownThreads();
    }

    /** For tests: the address a node's socket listens on. */
    public InetAddress boundAddress() {
        return socket.getLocalAddress();
    }
}
