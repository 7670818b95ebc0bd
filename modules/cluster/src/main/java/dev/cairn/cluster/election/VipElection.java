package dev.cairn.cluster.election;

import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.NodeConfig;
import dev.cairn.cluster.QuorumMode;
import dev.cairn.cluster.TrackConfig;
import dev.cairn.cluster.VipConfig;
import dev.cairn.cluster.advert.Advert;
import dev.cairn.cluster.advert.AdvertCodec;
import dev.cairn.cluster.advert.VipState;
import dev.cairn.cluster.vip.Commands;
import dev.cairn.cluster.vip.ScriptVipDriver;
import dev.cairn.cluster.vip.VipDriver;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VRRPv3-style election of every VIP of this node, over authenticated UDP unicast adverts.
 *
 * <p>Every node (master or not) sends one advert per interval to every peer, and one at once
 * after any change, so each node knows every candidate's priority and whom each node follows.
 * A master-down timer of {@code 3 × interval + skew} (skew from the master's priority, RFC 5798)
 * detects a dead master; the best live candidate (priority, then address) claims the VIP with a
 * new epoch. With quorum {@code majority}, a claim becomes MASTER (and the VIP is added) only
 * once a majority of nodes acknowledge it, and a master keeps the VIP only while those
 * acknowledgements are younger than its lease ({@code 2.5 × interval}), which expires before
 * any backup's master-down timer: a master cut off into a minority releases the VIP before the
 * majority elects another. A node that cannot see a majority never claims, so it cannot raise
 * the epoch while partitioned, and a claim with an epoch older than the newest known is ignored
 * (counted as stale_epoch).
 *
 * <p>Threads: one election thread owns all state (socket, peers, VIPs); the driver thread runs
 * {@link VipDriver} calls in order; the notify thread runs hooks. Other threads talk to the
 * election thread through {@link #submit} and read {@link #snapshot()}.
 */
public final class VipElection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VipElection.class);

    /** A master keeps its VIP this many intervals after the send time of the last acknowledged advert. */
    static final double LEASE_INTERVALS = 2.5;
    static final int SENT_HISTORY = 1024;

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
    private NodeConfig me;
    private byte[] myAddress;
    private DatagramSocket socket;
    private Witness witness;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final Map<String, Vip> vips = new LinkedHashMap<>();
    private final Map<TrackConfig, TrackState> tracks = new LinkedHashMap<>();
    private final LinkedHashMap<Long, Long> sentAt = new LinkedHashMap<>(SENT_HISTORY * 2, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> e) {
            return size() > SENT_HISTORY;
        }
    };
    private long seq;
    private long startedNanos;
    private long nextAdvertNanos;
    private long nextTrackNanos;
    private boolean sendNow;
    private boolean dirty = true;
    private long lastRejectLogNanos = Long.MIN_VALUE;
    private long lastSendErrorLogNanos = Long.MIN_VALUE;
    private long lastLoopNanos;

    private static final class Peer {
        final NodeConfig node;
        final InetSocketAddress to;
        final byte[] address;
        long lastSeq = Long.MIN_VALUE;
        Advert last;
        long lastRecv;
        long lastRecvWallMillis;
        boolean up;
        boolean heard;

        Peer(NodeConfig node, int port) {
            this.node = node;
            this.to = new InetSocketAddress(node.address(), port);
            this.address = to.getAddress().getAddress();
        }
    }

    private static final class Vip {
        VipConfig cfg;
        boolean candidate;
        VipState state = VipState.INIT;
        long epoch;
        String leader;
        long leaderSeen;
        int leaderPriority;
        long claimStart;
        long preemptSince = -1;
        boolean held;
        /** Epoch at which this node added the VIP; while {@link #releasing}, adverts still claim it at that epoch. */
        long heldEpoch;
        /**
         * The driver is still removing the VIP after a step-down. Until it has, adverts keep
         * claiming the old epoch: a peer stops following us (and acknowledges a new master) only
         * once the address is really gone from this node, so two nodes never hold it at once.
         */
        boolean releasing;
        long faultUntil = Long.MIN_VALUE;
        long sinceWallMillis = System.currentTimeMillis();
        String reason = "starting";
        String driverError;
        /** Transitions by state entered, as cairn_vip_transitions_total counts them. */
        final Map<String, Long> transitions = new LinkedHashMap<>();

        Vip(VipConfig cfg, boolean candidate) {
            this.cfg = cfg;
            this.candidate = candidate;
        }
    }

    private static final class TrackState {
        boolean healthy = true;
        int streak;
    }

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
        apply(cfg, codec);
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
        for (Vip v : vips.values()) {
            if (Boolean.TRUE.equals(driver.holds(v.cfg))) {
                log.warn("[{}] VIP {} is on {} from an earlier run: removing it before the election", self, v.cfg.key(), v.cfg.dev());
                try {
                    driver.release(v.cfg);
                } catch (Exception e) {
                    throw new IOException("cannot remove stale VIP " + v.cfg.key() + ": " + e.getMessage(), e);
                }
            }
        }
        socket = new DatagramSocket(null);
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(me.address(), cfg.portOf(me)));
        startedNanos = System.nanoTime();
        nextAdvertNanos = startedNanos;
        nextTrackNanos = startedNanos;
        publish(startedNanos);
        running = true;
        thread.start();
    }

    /** Applies a changed config (VIPs, peers, priorities, timers, secret) on the election thread, keeping state. */
    public void reconfigure(ClusterConfig next, AdvertCodec nextCodec) {
        submit(() -> apply(next, nextCodec));
    }

    /** Runs {@code r} on the election thread. */
    void submit(Runnable r) {
        inbox.add(r);
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    // ---------------------------------------------------------------- config

    private void apply(ClusterConfig next, AdvertCodec nextCodec) {
        ClusterConfig prev = this.cfg;
        this.cfg = next;
        this.codec = nextCodec;
        this.me = next.node(self);
        this.myAddress = new InetSocketAddress(me.address(), 0).getAddress().getAddress();
        Map<String, Peer> old = new HashMap<>(peers);
        peers.clear();
        for (NodeConfig n : next.nodes()) {
            if (n.name().equals(self)) continue;
            Peer was = old.remove(n.name());
            Peer p = new Peer(n, next.portOf(n));
            if (was != null) {
                p.lastSeq = was.lastSeq;
                p.last = was.last;
                p.lastRecv = was.lastRecv;
                p.lastRecvWallMillis = was.lastRecvWallMillis;
                p.up = was.up;
                p.heard = was.heard;
            }
            peers.put(n.name(), p);
            metrics.peerUp.labelValues(n.name()).set(p.up ? 1 : 0);
        }
        old.keySet().forEach(metrics.peerUp::remove);
        Map<String, Vip> oldVips = new HashMap<>(vips);
        vips.clear();
        for (VipConfig vc : next.vips()) {
            Vip was = oldVips.remove(vc.key());
            boolean candidate = vc.candidate(self);
            if (was != null && was.cfg.dev().equals(vc.dev()) && java.util.Objects.equals(was.cfg.label(), vc.label())) {
                was.cfg = vc;
                if (!candidate && was.candidate) leave(was, "no longer a candidate node");
                was.candidate = candidate;
                vips.put(vc.key(), was);
            } else {
                if (was != null) leave(was, "interface or label changed");
                Vip v = new Vip(vc, candidate);
                vips.put(vc.key(), v);
                metrics.state(vc.key(), v.state);
            }
        }
        for (Vip gone : oldVips.values()) {
            leave(gone, "removed from the config");
            metrics.forgetVip(gone.cfg.key());
        }
        if (prev == null || !prev.track().equals(next.track())) {
            Map<TrackConfig, TrackState> keep = new HashMap<>(tracks);
            tracks.clear();
            for (TrackConfig t : next.track()) tracks.put(t, keep.getOrDefault(t, new TrackState()));
        }
        String w = next.effectiveQuorum() == QuorumMode.WITNESS ? next.witness() : null;
        boolean witnessChanged = prev == null || !java.util.Objects.equals(w,
                prev.effectiveQuorum() == QuorumMode.WITNESS ? prev.witness() : null)
                || !prev.advertInterval().equals(next.advertInterval());
        if (witnessChanged) {
            if (witness != null) witness.close();
            witness = w == null ? null : new Witness(w, next.advertInterval());
        }
        sendNow = true;
        dirty = true;
    }

    /** Gives a VIP up for good (config change): releases it if held. */
    private void leave(Vip v, String reason) {
        if (v.held) release(v);
        if (v.state == VipState.MASTER || v.state == VipState.CLAIMING) {
            transition(v, VipState.BACKUP, reason);
            v.leader = null;
        }
    }

    // ---------------------------------------------------------------- timing

    private long intervalNanos() {
        return cfg.advertInterval().toNanos();
    }

    /** RFC 5798: Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, skew = (256 − priority) × interval / 256. */
    private long downAfter(int intervalMillis, int priority) {
        long interval = Math.max(intervalNanos(), TimeUnit.MILLISECONDS.toNanos(intervalMillis));
        int p = Math.max(1, Math.min(255, priority));
        return 3 * interval + (256 - p) * interval / 256;
    }

    private long downAfter(Peer p) {
        int prio = p.node.priority();
        if (p.last != null) {
            for (Advert.VipView v : p.last.vips()) prio = Math.max(prio, v.priority());
            return downAfter(p.last.intervalMillis(), prio);
        }
        return downAfter((int) cfg.advertInterval().toMillis(), prio);
    }

    private long leaseNanos() {
        return (long) (LEASE_INTERVALS * intervalNanos());
    }

    private boolean alive(Peer p, long now) {
        return p.up && p.last != null && now - p.lastRecv < downAfter(p);
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
                long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(5), Math.min(intervalNanos() / 10,
                        TimeUnit.MILLISECONDS.toNanos(50)));
                long wait = Math.max(1, Math.min(tick, nextAdvertNanos - System.nanoTime()));
                socket.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait)));
                try {
                    packet.setLength(buf.length);
                    socket.receive(packet);
                    receive(packet, System.nanoTime());
                } catch (SocketTimeoutException e) {
                    // no advert this tick
                }
                long now = System.nanoTime();
                if (lastLoopNanos != 0 && now - lastLoopNanos > intervalNanos()) {
                    // Timers here assume the loop runs every tick: a stall (CPU starvation, GC)
                    // longer than an interval explains transitions that follow it.
                    log.warn("[{}] election loop stalled for {} ms", self, TimeUnit.NANOSECONDS.toMillis(now - lastLoopNanos));
                }
                lastLoopNanos = now;
                if (now >= nextTrackNanos) {
                    sampleTracks();
                    nextTrackNanos = now + intervalNanos();
                }
                for (Vip v : vips.values()) evaluate(v, now);
                if (sendNow || now >= nextAdvertNanos) {
                    sendAdvert(false);
                    nextAdvertNanos = now + intervalNanos();
                    sendNow = false;
                    dirty = true;
                }
                if (dirty) {
                    publish(now);
                    dirty = false;
                }
            } catch (IOException e) {
                if (running) log.warn("[{}] cluster socket error: {}", self, e.toString());
            } catch (RuntimeException e) {
                log.atError().addKeyValue("error_id", "CAIRN-CLUSTER-0005").setCause(e).log("[{}] election loop error: {}", self, e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- receive

    private void receive(DatagramPacket packet, long now) {
        if (dropFrom.test(packet.getAddress())) return;
        Advert a;
        try {
            a = codec.decode(packet.getData(), packet.getLength());
        } catch (AdvertCodec.RejectedException e) {
            reject(e.result(), packet.getSocketAddress() + ": " + e.getMessage(), now);
            return;
        }
        if (!a.cluster().equals(cfg.name())) {
            reject("wrong_cluster", a.node() + " is in cluster '" + a.cluster() + "'", now);
            return;
        }
        Peer p = peers.get(a.node());
        if (p == null) {
            reject("unknown_peer", "advert from '" + a.node() + "' at " + packet.getSocketAddress() + ", not in cluster.nodes", now);
            return;
        }
        if (a.seq() <= p.lastSeq) {
            reject("replay", "advert from " + a.node() + " with sequence " + a.seq() + " <= " + p.lastSeq, now);
            return;
        }
        p.lastSeq = a.seq();
        p.last = a;
        p.lastRecv = now;
        p.lastRecvWallMillis = System.currentTimeMillis();
        p.heard = true;
        boolean wasUp = p.up;
        p.up = !a.shutdown();
        if (wasUp != p.up) {
            peerChanged(p, a.shutdown() ? "stopped gracefully" : "adverts arrive");
        }
        boolean stale = false;
        for (Vip v : vips.values()) {
            Advert.VipView va = a.vip(v.cfg.key());
            if (va == null) continue;
            if (!a.shutdown() && va.claims(a.node())) {
                if (va.epoch() < v.epoch) {
                    stale = true;
                    sendNow = true; // our advert tells it about the newer epoch
                    // The master we follow still claims at its old epoch: it has not removed
                    // the VIP yet (its driver is still releasing it, or it has not heard of the
                    // newer epoch). Keep our promise, so we do not acknowledge the new claimant
                    // while the old one may still answer ARP. Bounded: it steps down as soon as
                    // it hears any advert at the newer epoch, or loses its lease.
                    if (a.node().equals(v.leader)) v.leaderSeen = now;
                    continue;
                }
                onClaim(v, p, va, now);
            } else {
                if (va.epoch() > v.epoch) learnEpoch(v, va.epoch(), null);
                if (a.node().equals(v.leader)) {
                    v.leader = null;
                    v.reason = "master " + a.node() + (a.shutdown() ? " stopped" : " gave the VIP up");
                    sendNow = true;
                    dirty = true;
                    followLiveClaimant(v, now);
                }
            }
        }
        metrics.advert(stale ? "stale_epoch" : "ok");
    }

    private void reject(String result, String why, long now) {
        metrics.advert(result);
        dirty = true;
        // A flood of forged packets must not flood the log: one line per interval at most.
        if (lastRejectLogNanos == Long.MIN_VALUE || now - lastRejectLogNanos > intervalNanos()) {
            lastRejectLogNanos = now;
            log.atWarn().addKeyValue("error_id", "CAIRN-CLUSTER-0001").log("[{}] advert rejected ({}): {}", self, result, why);
        }
    }

    private void peerChanged(Peer p, String why) {
        metrics.peerUp.labelValues(p.node.name()).set(p.up ? 1 : 0);
        log.info("[{}] cluster peer {} is {} ({})", self, p.node.name(), p.up ? "up" : "down", why);
        sendNow = true;
        dirty = true;
        if (p.up) {
            // A returning peer may have held our VIPs while partitioned: announce them again so
            // every neighbour's ARP cache points here.
            for (Vip v : vips.values()) {
                if (v.held) driverThread.execute(() -> {
                    try {
                        driver.announce(v.cfg);
                    } catch (Exception e) {
                        log.warn("[{}] re-announcing {} failed: {}", self, v.cfg.key(), e.toString());
                    }
                });
            }
        }
    }

    /** A higher epoch than ours became known: a master or claimant of an older epoch steps down. */
    private void learnEpoch(Vip v, long epoch, String claimant) {
        v.epoch = epoch;
        metrics.epoch.labelValues(v.cfg.key()).set(epoch);
        if (v.state == VipState.MASTER || v.state == VipState.CLAIMING) {
            stepDown(v, claimant == null ? "a newer epoch " + epoch + " exists" : claimant + " claims epoch " + epoch);
        }
    }

    private void onClaim(Vip v, Peer p, Advert.VipView va, long now) {
        String name = p.node.name();
        if (va.epoch() > v.epoch) {
            learnEpoch(v, va.epoch(), name);
        }
        if ((v.state == VipState.MASTER || v.state == VipState.CLAIMING) && self.equals(v.leader)) {
            // Two claims of the same epoch: the higher (priority, address) keeps it.
            if (better(va.priority(), p.address, effectivePriority(v), myAddress)) {
                stepDown(v, name + " claims the same epoch " + va.epoch() + " with a higher priority");
            } else {
                sendNow = true;
                if (v.held) announceLater(v);
                return;
            }
        }
        if (name.equals(v.leader)) {
            v.leaderSeen = now;
            v.leaderPriority = va.priority();
            return;
        }
        if (canSwitch(v, now)) {
            String before = v.leader;
            v.leader = name;
            v.leaderSeen = now;
            v.leaderPriority = va.priority();
            v.preemptSince = -1;
            v.reason = "following " + name + " (epoch " + va.epoch() + ")" + (before != null ? ", was " + before : "");
            log.info("[{}] VIP {}: following master {} at epoch {}", self, v.cfg.key(), name, va.epoch());
            sendNow = true;
            dirty = true;
        }
    }

    /** After our master went away: follow at once a live peer that already claims the VIP (a preempting node). */
    private void followLiveClaimant(Vip v, long now) {
        Peer best = null;
        Advert.VipView bestView = null;
        for (Peer p : peers.values()) {
            if (!alive(p, now)) continue;
            Advert.VipView pv = p.last.vip(v.cfg.key());
            if (pv == null || !pv.claims(p.node.name()) || pv.epoch() < v.epoch) continue;
            if (bestView == null || pv.epoch() > bestView.epoch()
                    || (pv.epoch() == bestView.epoch() && better(pv.priority(), p.address, bestView.priority(), best.address))) {
                best = p;
                bestView = pv;
            }
        }
        if (best != null) onClaim(v, best, bestView, now);
    }

    /** A node acknowledges a new master only once its promise to the previous one (the lease) has run out. */
    private boolean canSwitch(Vip v, long now) {
        if (v.leader == null || v.leader.equals(self)) return true;
        Peer leader = peers.get(v.leader);
        return leader == null || !alive(leader, now) || now - v.leaderSeen >= leaseNanos();
    }

    private void announceLater(Vip v) {
        driverThread.execute(() -> {
            try {
                driver.announce(v.cfg);
            } catch (Exception e) {
                log.warn("[{}] announcing {} failed: {}", self, v.cfg.key(), e.toString());
            }
        });
    }

    // ---------------------------------------------------------------- decide

    private void sampleTracks() {
        for (Map.Entry<TrackConfig, TrackState> e : tracks.entrySet()) {
            TrackConfig t = e.getKey();
            TrackState s = e.getValue();
            boolean ok;
            try {
                ok = trackProbe.test(t);
            } catch (RuntimeException ex) {
                ok = false;
            }
            if (ok == s.healthy) {
                s.streak = 0;
                continue;
            }
            s.streak++;
            if (s.streak >= (ok ? t.rise() : t.fall())) {
                s.healthy = ok;
                s.streak = 0;
                log.info("[{}] tracked {} is now {}", self, t.what(), ok ? "healthy" : "unhealthy");
                dirty = true;
                sendNow = true;
            }
        }
    }

    private boolean trackFault() {
        for (Map.Entry<TrackConfig, TrackState> e : tracks.entrySet()) {
            if (!e.getValue().healthy && e.getKey().weight() == 0) return true;
        }
        return false;
    }

    /** Base priority plus the weights of unhealthy tracks, within 1..254; 0 when not a candidate. */
    private int effectivePriority(Vip v) {
        if (!v.candidate) return 0;
        int p = me.priority();
        for (Map.Entry<TrackConfig, TrackState> e : tracks.entrySet()) {
            if (!e.getValue().healthy) p += e.getKey().weight();
        }
        return Math.max(1, Math.min(254, p));
    }

    private static boolean better(int prioA, byte[] addrA, int prioB, byte[] addrB) {
        if (prioA != prioB) return prioA > prioB;
        return java.util.Arrays.compareUnsigned(addrA, addrB) > 0;
    }

    private void evaluate(Vip v, long now) {
        String faultWhy = !v.candidate ? null
                : trackFault() ? "tracked health failed"
                : now < v.faultUntil ? "driver failed recently"
                : witnessLost(now) ? "witness unreachable" : null;
        boolean fault = faultWhy != null;
        if (v.leader != null && !v.leader.equals(self)) {
            Peer lp = peers.get(v.leader);
            if (lp == null || !alive(lp, now)) {
                log.info("[{}] VIP {}: master {} is down (no advert for {} ms)", self, v.cfg.key(), v.leader,
                        lp == null ? 0 : TimeUnit.NANOSECONDS.toMillis(now - lp.lastRecv));
                v.reason = "master " + v.leader + " down";
                v.leader = null;
                sendNow = true;
                dirty = true;
                followLiveClaimant(v, now);
            }
        }
        switch (v.state) {
            case INIT -> {
                boolean heardAll = peers.values().stream().allMatch(p -> p.heard);
                if (heardAll || now - startedNanos >= downAfter((int) cfg.advertInterval().toMillis(), me.priority())) {
                    transition(v, fault ? VipState.FAULT : VipState.BACKUP,
                            fault ? faultWhy : heardAll ? "heard every peer" : "startup wait over");
                }
            }
            case FAULT -> {
                if (!fault) transition(v, VipState.BACKUP, "fault cleared");
            }
            case BACKUP -> {
                if (fault) {
                    transition(v, VipState.FAULT, faultWhy);
                } else if (v.candidate && shouldClaim(v, now)) {
                    claim(v, now);
                }
            }
            case CLAIMING -> {
                if (fault) {
                    stepDown(v, faultWhy);
                    transition(v, VipState.FAULT, faultWhy);
                } else if (quorum(v, now) && !anotherHolder(v, now)) {
                    v.held = true;
                    v.heldEpoch = v.epoch;
                    transition(v, VipState.MASTER, "quorum acknowledged epoch " + v.epoch);
                    acquire(v);
                } else if (now - v.claimStart > downAfter((int) cfg.advertInterval().toMillis(), me.priority())) {
                    stepDown(v, "no quorum acknowledged the claim");
                }
            }
            case MASTER -> {
                if (fault) {
                    stepDown(v, faultWhy);
                    transition(v, VipState.FAULT, faultWhy);
                } else if (!quorum(v, now)) {
                    log.atError().addKeyValue("error_id", "CAIRN-CLUSTER-0002")
                            .log("[{}] VIP {}: lost quorum ({}), releasing it", self, v.cfg.key(), quorumText(now));
                    stepDown(v, "lost quorum");
                } else if (effectivePriority(v) < v.leaderPriority) {
                    v.leaderPriority = effectivePriority(v);
                    sendNow = true; // peers see the lower priority now, so one may preempt
                } else {
                    v.leaderPriority = effectivePriority(v);
                }
            }
        }
    }

    /** With quorum witness, a node that cannot reach the witness is in FAULT: it neither holds nor competes. */
    private boolean witnessLost(long now) {
        return cfg.effectiveQuorum() == QuorumMode.WITNESS
                && (witness == null || !witness.reachable(now, downAfter((int) cfg.advertInterval().toMillis(), 255)));
    }

    private boolean preVote(long now) {
        return switch (cfg.effectiveQuorum()) {
            case MAJORITY -> {
                // Fresh contact only (an advert within 2 intervals), not mere liveness: a master
                // that just lost its lease still sees its peers as alive for a while, and must not
                // raise the epoch from a minority.
                int fresh = 1;
                for (Peer p : peers.values()) {
                    if (alive(p, now) && now - p.lastRecv < 2 * Math.max(intervalNanos(),
                            TimeUnit.MILLISECONDS.toNanos(p.last.intervalMillis()))) fresh++;
                }
                yield fresh * 2 > cfg.nodes().size();
            }
            case WITNESS -> witness != null && witness.reachable(now, downAfter((int) cfg.advertInterval().toMillis(), 255));
            default -> true;
        };
    }

    private boolean shouldClaim(Vip v, long now) {
        int prio = effectivePriority(v);
        if (!preVote(now)) return false;
        Peer leader = v.leader == null ? null : peers.get(v.leader);
        if (leader != null) {
            if (!cfg.preempt() || prio <= v.leaderPriority) {
                v.preemptSince = -1;
                return false;
            }
            if (v.preemptSince < 0) {
                v.preemptSince = now;
                dirty = true;
            }
            if (now - v.preemptSince < cfg.preemptDelay().toNanos()) return false;
        }
        for (Peer p : peers.values()) {
            if (!alive(p, now) || p == leader) continue;
            Advert.VipView pv = p.last.vip(v.cfg.key());
            if (pv == null) continue;
            if (leader == null && pv.leader() != null && !pv.leader().equals(self)) {
                return false; // a live peer still follows (or is) a master: wait until it lets go
            }
            if (pv.priority() > 0 && pv.state() != VipState.FAULT && better(pv.priority(), p.address, prio, myAddress)) {
                return false;
            }
        }
        return true;
    }

    private void claim(Vip v, long now) {
        v.epoch = v.epoch + 1;
        metrics.epoch.labelValues(v.cfg.key()).set(v.epoch);
        String previous = v.leader;
        v.leader = self;
        v.leaderPriority = effectivePriority(v);
        v.claimStart = now;
        v.preemptSince = -1;
        sendNow = true;
        transition(v, VipState.CLAIMING, previous == null ? "no live master" : "preempting " + previous);
        if (quorum(v, now) && !anotherHolder(v, now)) {
            v.held = true;
            v.heldEpoch = v.epoch;
            transition(v, VipState.MASTER, "quorum " + cfg.effectiveQuorum().name().toLowerCase() + " at epoch " + v.epoch);
            acquire(v);
        }
    }

    private void stepDown(Vip v, String reason) {
        if (v.held) release(v);
        if (self.equals(v.leader)) v.leader = null;
        transition(v, VipState.BACKUP, reason);
        sendNow = true;
    }

    private boolean quorum(Vip v, long now) {
        return switch (cfg.effectiveQuorum()) {
            case MAJORITY -> acks(v, now) * 2 > cfg.nodes().size();
            case WITNESS -> witness != null && witness.reachable(now, downAfter((int) cfg.advertInterval().toMillis(), 255));
            default -> true;
        };
    }

    /**
     * A live peer that still says it is MASTER of the VIP (at any epoch): it has not removed the
     * address yet (it steps down when it hears our newer epoch, and says so once its driver is
     * done). A claimant waits for that before adding the VIP. With quorum majority the
     * acknowledgements already wait for it; with witness or none (a pair preempting) this is
     * what keeps the two from holding the VIP at once.
     */
    private boolean anotherHolder(Vip v, long now) {
        for (Peer p : peers.values()) {
            if (!alive(p, now)) continue;
            Advert.VipView pv = p.last.vip(v.cfg.key());
            if (pv != null && pv.state() == VipState.MASTER && p.node.name().equals(pv.leader())) return true;
        }
        return false;
    }

    /** This node plus every peer whose last advert follows us at our epoch and acknowledges an advert younger than the lease. */
    private int acks(Vip v, long now) {
        int n = 1;
        for (Peer p : peers.values()) {
            if (p.last == null || !p.up) continue;
            Advert.VipView pv = p.last.vip(v.cfg.key());
            if (pv == null || !self.equals(pv.leader()) || pv.epoch() != v.epoch) continue;
            Long ack = p.last.acks().get(self);
            Long sent = ack == null ? null : sentAt.get(ack);
            if (sent != null && now - sent < leaseNanos()) n++;
        }
        return n;
    }

    private String quorumText(long now) {
        int live = 1;
        for (Peer p : peers.values()) if (alive(p, now)) live++;
        return switch (cfg.effectiveQuorum()) {
            case MAJORITY -> live + "/" + cfg.nodes().size() + " nodes seen";
            case WITNESS -> witness == null ? "no witness" : witness.lastResult();
            default -> "quorum none";
        };
    }

    // ---------------------------------------------------------------- act

    private void transition(Vip v, VipState to, String reason) {
        VipState from = v.state;
        v.reason = reason;
        dirty = true;
        if (from == to) return;
        v.state = to;
        v.sinceWallMillis = System.currentTimeMillis();
        metrics.state(v.cfg.key(), to);
        metrics.transition(v.cfg.key(), to);
        v.transitions.merge(to.name(), 1L, Long::sum);
        log.info("[{}] VIP {}: {} -> {} ({}, epoch {})", self, v.cfg.key(), from, to, reason, v.epoch);
        sendNow = true;
        List<String> hooks = cfg.notifyHooks();
        if (!hooks.isEmpty()) {
            Map<String, String> env = new HashMap<>(ScriptVipDriver.env(v.cfg, self, to.name()));
            env.put("CAIRN_PREVIOUS_STATE", from.name());
            env.put("CAIRN_EPOCH", Long.toString(v.epoch));
            env.put("CAIRN_REASON", reason);
            env.put("CAIRN_CLUSTER", cfg.name());
            Duration timeout = cfg.driver().commandTimeout();
            notifyThread.execute(() -> {
                for (String h : hooks) {
                    try {
                        Commands.Result r = Commands.shell(h, env, timeout);
                        if (!r.ok()) log.warn("[{}] notify hook '{}' exited {}: {}", self, h, r.exit(), r.output());
                    } catch (IOException e) {
                        log.warn("[{}] notify hook '{}' failed: {}", self, h, e.toString());
                    }
                }
            });
        }
    }

    private void acquire(Vip v) {
        VipConfig vc = v.cfg;
        v.driverError = null;
        driverThread.execute(() -> {
            try {
                driver.acquire(vc);
            } catch (Exception e) {
                log.atError().addKeyValue("error_id", "CAIRN-CLUSTER-0003").log("[{}] VIP {}: could not take it: {}", self, vc.key(), e.getMessage());
                submit(() -> driverFailed(vc.key(), e.getMessage()));
            }
        });
    }

    private void driverFailed(String key, String message) {
        Vip v = vips.get(key);
        if (v == null) return;
        v.driverError = message;
        // Hold off for a while so another node (whose driver may work) takes the VIP.
        v.faultUntil = System.nanoTime() + 10 * intervalNanos();
        if (v.state == VipState.MASTER) {
            stepDown(v, "driver failed");
            transition(v, VipState.FAULT, "driver failed: " + message);
        }
    }

    private void release(Vip v) {
        v.held = false;
        v.releasing = true;
        VipConfig vc = v.cfg;
        driverThread.execute(() -> {
            try {
                driver.release(vc);
            } catch (Exception e) {
                log.atError().addKeyValue("error_id", "CAIRN-CLUSTER-0003").log("[{}] VIP {}: could not release it: {}", self, vc.key(), e.getMessage());
            } finally {
                submit(() -> {
                    v.releasing = false;
                    sendNow = true; // now tell the peers we let go
                });
            }
        });
    }

    private void sendAdvert(boolean shutdown) {
        long now = System.nanoTime();
        seq = Math.max(seq + 1, System.currentTimeMillis() * 1000);
        sentAt.put(seq, now);
        Map<String, Long> acks = new LinkedHashMap<>();
        for (Peer p : peers.values()) {
            if (p.lastSeq != Long.MIN_VALUE) acks.put(p.node.name(), p.lastSeq);
        }
        List<Advert.VipView> views = new ArrayList<>();
        for (Vip v : vips.values()) {
            views.add(shutdown
                    ? new Advert.VipView(v.cfg.key(), VipState.BACKUP, 0, v.epoch, null)
                    : v.releasing && !v.held
                    ? new Advert.VipView(v.cfg.key(), VipState.MASTER, effectivePriority(v), v.heldEpoch, self)
                    : new Advert.VipView(v.cfg.key(), v.state, effectivePriority(v), v.epoch, v.leader));
        }
        Advert a = new Advert(cfg.name(), self, configHash.get(), seq, (int) cfg.advertInterval().toMillis(), shutdown, acks, views);
        byte[] bytes = codec.encode(a);
        for (Peer p : peers.values()) {
            try {
                socket.send(new DatagramPacket(bytes, bytes.length, p.to));
            } catch (IOException e) {
                // Unreachable peers are normal during a partition; liveness tracks them.
                long t = System.nanoTime();
                if (lastSendErrorLogNanos == Long.MIN_VALUE || t - lastSendErrorLogNanos > intervalNanos() * 10) {
                    lastSendErrorLogNanos = t;
                    log.info("[{}] advert to {} failed: {}", self, p.node.name(), e.toString());
                }
            }
        }
    }

    // ---------------------------------------------------------------- status

    private void publish(long now) {
        String myHash = configHash.get();
        int mismatches = 0;
        List<Map<String, Object>> nodes = new ArrayList<>();
        Map<String, Object> mine = new LinkedHashMap<>();
        mine.put("name", self);
        mine.put("address", me.address());
        mine.put("self", true);
        mine.put("up", true);
        mine.put("priority", me.priority());
        mine.put("config_hash", myHash);
        nodes.add(mine);
        for (Peer p : peers.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            boolean up = alive(p, now);
            m.put("name", p.node.name());
            m.put("address", p.node.address());
            m.put("self", false);
            m.put("up", up);
            m.put("priority", p.node.priority());
            m.put("last_advert", p.heard ? Instant.ofEpochMilli(p.lastRecvWallMillis).toString() : "never");
            m.put("last_advert_ms_ago", p.heard ? TimeUnit.NANOSECONDS.toMillis(now - p.lastRecv) : -1);
            String hash = p.last == null ? "" : p.last.configHash();
            m.put("config_hash", hash);
            boolean same = hash.equals(myHash);
            m.put("config_hash_matches", p.last == null || same);
            if (up && !same) mismatches++;
            if (p.last != null) {
                Map<String, Object> states = new LinkedHashMap<>();
                for (Advert.VipView v : p.last.vips()) {
                    states.put(v.vip(), v.state().name() + " prio " + v.priority() + " epoch " + v.epoch()
                            + (v.leader() == null ? "" : " follows " + v.leader()));
                }
                m.put("vips", states);
            }
            if (up != p.up || (p.last != null && !up)) {
                metrics.peerUp.labelValues(p.node.name()).set(up ? 1 : 0);
            }
            nodes.add(m);
        }
        metrics.hashMismatch.set(mismatches);
        List<Map<String, Object>> vipList = new ArrayList<>();
        boolean ok = true;
        for (Vip v : vips.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("vip", v.cfg.key());
            m.put("dev", v.cfg.dev());
            if (v.cfg.label() != null) m.put("label", v.cfg.label());
            m.put("candidate", v.candidate);
            m.put("state", v.state.name());
            m.put("held", v.held);
            m.put("priority", effectivePriority(v));
            m.put("epoch", v.epoch);
            m.put("master", v.leader == null ? "" : v.leader);
            m.put("since", Instant.ofEpochMilli(v.sinceWallMillis).toString());
            m.put("reason", v.reason);
            if (v.driverError != null) m.put("driver_error", v.driverError);
            // The transition counter, so `cairn status` shows a flapping VIP without a scraper.
            m.put("transitions", new LinkedHashMap<>(v.transitions));
            vipList.add(m);
        }
        if (cfg.effectiveQuorum() == QuorumMode.MAJORITY || cfg.effectiveQuorum() == QuorumMode.WITNESS) ok = preVote(now);
        Map<String, Long> adverts = new LinkedHashMap<>();
        for (String r : ClusterMetrics.RESULTS) adverts.put(r, (long) metrics.adverts.labelValues(r).get());
        snapshot = new Snapshot(self, cfg.effectiveQuorum().name().toLowerCase() + " (" + quorumText(now) + ")", ok, nodes,
                vipList, mismatches, witness == null ? null : witness.lastResult(), adverts);
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
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        submit(() -> {
            try {
                for (Vip v : vips.values()) {
                    if (v.held) release(v);
                }
                // Wait for the releases so the VIP is gone before a backup adds it.
                driverThread.submit(() -> { }).get(10, TimeUnit.SECONDS);
                sendAdvert(true);
                sendAdvert(true); // a second copy, in case one is lost
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
