package dev.cairn.cluster.election;

import dev.cairn.cluster.ClusterErrors;
import dev.cairn.cluster.ClusterConfig;
import dev.cairn.cluster.NodeConfig;
import dev.cairn.cluster.TrackConfig;
import dev.cairn.cluster.VipConfig;
import dev.cairn.cluster.advert.Advert;
import dev.cairn.cluster.advert.VipState;
import dev.cairn.cluster.vip.ScriptVipDriver;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VRRPv3-style election of every VIP of one node, as a deterministic state machine:
 * {@link #step(Event)} takes an event (time passing, an advert, the driver finishing, a reload)
 * and returns the {@link Effect}s to perform (send an advert, add or remove a VIP, run hooks,
 * update metrics). It reads no clock, opens no socket, starts no thread: {@link VipElection}
 * does the I/O and time, and tests drive it in simulated time (the etcd-io/raft shape).
 *
 * <p>The protocol: every node (master or not) sends one advert per interval to every peer, and
 * one at once after any change, so each node knows every candidate's priority and whom each node
 * follows. A master-down timer of {@code 3 × interval + skew} (skew from the master's priority,
 * RFC 5798) detects a dead master; the best live candidate (priority, then address) claims the
 * VIP with a new epoch. With quorum {@code majority}, a claim becomes MASTER (and the VIP is
 * added) only once a majority of nodes acknowledge it, and a master keeps the VIP only while
 * those acknowledgements are younger than its lease ({@code 2.5 × interval}), which expires
 * before any backup's master-down timer: a master cut off into a minority releases the VIP
 * before the majority elects another. A node that cannot see a majority never claims, so it
 * cannot raise the epoch while partitioned, and a claim with an epoch older than the newest
 * known is ignored (counted as stale_epoch).
 *
 * <p>Per VIP the states are INIT → BACKUP ⇄ CLAIMING → MASTER, and FAULT (tracked health,
 * driver failure, witness lost); {@link VipRace} holds one VIP's state. Not thread-safe: one
 * thread owns an instance.
 */
public final class ElectionCore {

    private static final Logger log = LoggerFactory.getLogger(ElectionCore.class);

    /** A master keeps its VIP this many intervals after the send time of the last acknowledged advert. */
    static final double LEASE_INTERVALS = 2.5;
    /** Sent adverts remembered for their send time (acks refer to them by sequence number). */
    static final int SENT_HISTORY = 1024;
    /** After a driver failure the node stays in FAULT this many intervals, so another node takes the VIP. */
    static final int DRIVER_FAULT_INTERVALS = 10;

    private final String self;
    private final Supplier<String> configHash;
    private ClusterConfig cfg;
    private Quorum quorum;
    private NodeConfig me;
    private byte[] myAddress;
    private final Map<String, Peer> peers = new LinkedHashMap<>();
    private final Map<String, VipRace> vips = new LinkedHashMap<>();
    private final Map<TrackConfig, TrackState> tracks = new LinkedHashMap<>();
    private final LinkedHashMap<Long, Long> sentAt = new LinkedHashMap<>(SENT_HISTORY * 2, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> e) {
            return size() > SENT_HISTORY;
        }
    };
    private final long startedNanos;
    private long seq;
    private long nextAdvertNanos;
    private long witnessOkNanos = Event.Tick.NEVER;
    private long lastWallMillis;
    private long lastEventNanos;
    private long lastRejectLogNanos = Long.MIN_VALUE;
    private boolean sendNow;
    private List<Effect> out = new ArrayList<>();

    /** What this node knows of one peer, from its last advert. */
    private static final class Peer {
        final NodeConfig node;
        final byte[] address;
        long lastSeq = Long.MIN_VALUE;
        Advert last;
        long lastRecv;
        long lastRecvWallMillis;
        boolean up;
        boolean heard;

        Peer(NodeConfig node) {
            this.node = node;
            this.address = addressBytes(node.address());
        }
    }

    /** One VIP's election state on this node. */
    private static final class VipRace {
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
        long sinceWallMillis;
        String reason = "starting";
        String driverError;
        /** Transitions by state entered, as cairn_vip_transitions_total counts them. */
        final Map<String, Long> transitions = new LinkedHashMap<>();

        VipRace(VipConfig cfg, boolean candidate, long wallMillis) {
            this.cfg = cfg;
            this.candidate = candidate;
            this.sinceWallMillis = wallMillis;
        }
    }

    private static final class TrackState {
        boolean healthy = true;
        int streak;
    }

    /** An immutable view for status pages. */
    public record Snapshot(String node, String quorum, boolean quorumOk, List<Map<String, Object>> nodes,
                           List<Map<String, Object>> vips, int hashMismatches) {
    }

    /**
     * A node starting at {@code now} / {@code wallMillis}: every VIP in INIT until it has heard
     * every peer or a master-down time has passed. The first {@link #step} returns the
     * {@link Effect.VipAdded} of the configured VIPs.
     */
    public ElectionCore(ClusterConfig cfg, String self, Supplier<String> configHash, long now, long wallMillis) {
        this.self = self;
        this.configHash = configHash;
        this.startedNanos = now;
        this.nextAdvertNanos = now;
        this.lastWallMillis = wallMillis;
        apply(cfg);
    }

    /** Takes one event; returns what to do, in order. */
    public List<Effect> step(Event e) {
        if (e instanceof Event.Tick t) {
            lastWallMillis = t.wallMillis();
            witnessOkNanos = t.witnessOkNanos();
            tick(t.now());
        } else if (e instanceof Event.Received r) {
            lastWallMillis = r.wallMillis();
            lastEventNanos = r.now();
            receive(r.advert(), r.now(), r.wallMillis());
        } else if (e instanceof Event.TracksSampled s) {
            sampleTracks(s.healthy());
        } else if (e instanceof Event.AcquireFailed f) {
            acquireFailed(f.vip(), f.message(), f.now());
        } else if (e instanceof Event.Released r) {
            VipRace v = vips.get(r.vip());
            if (v != null) v.releasing = false;
            sendNow = true; // now tell the peers we let go
        } else if (e instanceof Event.Reconfigured c) {
            apply(c.config());
        } else if (e instanceof Event.Stopping) {
            for (VipRace v : vips.values()) {
                if (v.held) release(v);
            }
        } else if (e instanceof Event.Shutdown s) {
            lastWallMillis = s.wallMillis();
            out.add(new Effect.SendAdvert(advert(true, s.now())));
            out.add(new Effect.SendAdvert(advert(true, s.now()))); // a second copy, in case one is lost
        }
        List<Effect> done = out;
        out = new ArrayList<>();
        return done;
    }

    /** When the next {@link Event.Tick} is due at the latest (the next advert). */
    public long nextAdvertNanos() {
        return nextAdvertNanos;
    }

    public long intervalNanos() {
        return cfg.advertInterval().toNanos();
    }

    /** For tests: this node's state of one VIP. */
    public VipState state(String vip) {
        VipRace v = vips.get(vip);
        return v == null ? null : v.state;
    }

    /** For tests: the epoch this node knows for one VIP. */
    public long epoch(String vip) {
        VipRace v = vips.get(vip);
        return v == null ? -1 : v.epoch;
    }

    /** For tests: whom this node follows (or is) for one VIP, or null. */
    public String leader(String vip) {
        VipRace v = vips.get(vip);
        return v == null ? null : v.leader;
    }

    // ---------------------------------------------------------------- config

    private void apply(ClusterConfig next) {
        ClusterConfig prev = this.cfg;
        this.cfg = next;
        this.quorum = Quorum.of(next);
        this.me = next.node(self);
        this.myAddress = addressBytes(me.address());
        Map<String, Peer> old = new HashMap<>(peers);
        peers.clear();
        for (NodeConfig n : next.nodes()) {
            if (n.name().equals(self)) continue;
            Peer was = old.remove(n.name());
            Peer p = new Peer(n);
            if (was != null) {
                p.lastSeq = was.lastSeq;
                p.last = was.last;
                p.lastRecv = was.lastRecv;
                p.lastRecvWallMillis = was.lastRecvWallMillis;
                p.up = was.up;
                p.heard = was.heard;
            }
            peers.put(n.name(), p);
            out.add(new Effect.PeerUp(n.name(), p.up));
        }
        for (String gone : old.keySet()) out.add(new Effect.PeerForgotten(gone));
        Map<String, VipRace> oldVips = new HashMap<>(vips);
        vips.clear();
        for (VipConfig vc : next.vips()) {
            VipRace was = oldVips.remove(vc.key());
            boolean candidate = vc.candidate(self);
            if (was != null && was.cfg.dev().equals(vc.dev()) && Objects.equals(was.cfg.label(), vc.label())) {
                was.cfg = vc;
                if (!candidate && was.candidate) leave(was, "no longer a candidate node");
                was.candidate = candidate;
                vips.put(vc.key(), was);
            } else {
                if (was != null) leave(was, "interface or label changed");
                VipRace v = new VipRace(vc, candidate, lastWallMillis);
                vips.put(vc.key(), v);
                out.add(new Effect.VipAdded(vc.key(), v.state));
            }
        }
        for (VipRace gone : oldVips.values()) {
            leave(gone, "removed from the config");
            out.add(new Effect.VipForgotten(gone.cfg.key()));
        }
        if (prev == null || !prev.track().equals(next.track())) {
            Map<TrackConfig, TrackState> keep = new HashMap<>(tracks);
            tracks.clear();
            for (TrackConfig t : next.track()) tracks.put(t, keep.getOrDefault(t, new TrackState()));
        }
        sendNow = true;
    }

    /** Gives a VIP up for good (config change): releases it if held. */
    private void leave(VipRace v, String reason) {
        if (v.held) release(v);
        if (v.state == VipState.MASTER || v.state == VipState.CLAIMING) {
            transition(v, VipState.BACKUP, reason);
            v.leader = null;
        }
    }

    // ---------------------------------------------------------------- timing

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

    private long ownDownAfter(int priority) {
        return downAfter((int) cfg.advertInterval().toMillis(), priority);
    }

    private long leaseNanos() {
        return (long) (LEASE_INTERVALS * intervalNanos());
    }

    private boolean alive(Peer p, long now) {
        return p.up && p.last != null && now - p.lastRecv < downAfter(p);
    }

    private boolean witnessReachable(long now) {
        long ok = witnessOkNanos;
        return ok != Event.Tick.NEVER && now - ok < ownDownAfter(255);
    }

    private void tick(long now) {
        for (VipRace v : vips.values()) evaluate(v, now);
        if (sendNow || now >= nextAdvertNanos) {
            out.add(new Effect.SendAdvert(advert(false, now)));
            nextAdvertNanos = now + intervalNanos();
            sendNow = false;
        }
    }

    // ---------------------------------------------------------------- receive

    private void receive(Advert a, long now, long wallMillis) {
        if (!a.cluster().equals(cfg.name())) {
            reject("wrong_cluster", a.node() + " is in cluster '" + a.cluster() + "'");
            return;
        }
        Peer p = peers.get(a.node());
        if (p == null) {
            reject("unknown_peer", "advert from '" + a.node() + "', not in cluster.nodes");
            return;
        }
        if (a.seq() <= p.lastSeq) {
            reject("replay", "advert from " + a.node() + " with sequence " + a.seq() + " <= " + p.lastSeq);
            return;
        }
        p.lastSeq = a.seq();
        p.last = a;
        p.lastRecv = now;
        p.lastRecvWallMillis = wallMillis;
        p.heard = true;
        boolean wasUp = p.up;
        p.up = !a.shutdown();
        if (wasUp != p.up) {
            peerChanged(p, a.shutdown() ? "stopped gracefully" : "adverts arrive");
        }
        boolean stale = false;
        for (VipRace v : vips.values()) {
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
                    followLiveClaimant(v, now);
                }
            }
        }
        out.add(new Effect.AdvertCounted(stale ? "stale_epoch" : "ok"));
    }

    private void reject(String result, String why) {
        out.add(new Effect.AdvertCounted(result));
        // A flood of forged packets must not flood the log: one line per interval at most.
        if (lastRejectLogNanos == Long.MIN_VALUE || lastEventNanos - lastRejectLogNanos > intervalNanos()) {
            lastRejectLogNanos = lastEventNanos;
            log.atWarn().addKeyValue("error_id", ClusterErrors.ADVERT_REJECTED.id()).log("[{}] advert rejected ({}): {}", self, result, why);
        }
    }

    private void peerChanged(Peer p, String why) {
        out.add(new Effect.PeerUp(p.node.name(), p.up));
        log.info("[{}] cluster peer {} is {} ({})", self, p.node.name(), p.up ? "up" : "down", why);
        sendNow = true;
        if (p.up) {
            // A returning peer may have held our VIPs while partitioned: announce them again so
            // every neighbour's ARP cache points here.
            for (VipRace v : vips.values()) {
                if (v.held) out.add(new Effect.AnnounceVip(v.cfg));
            }
        }
    }

    /** A higher epoch than ours became known: a master or claimant of an older epoch steps down. */
    private void learnEpoch(VipRace v, long epoch, String claimant) {
        v.epoch = epoch;
        out.add(new Effect.EpochKnown(v.cfg.key(), epoch));
        if (v.state == VipState.MASTER || v.state == VipState.CLAIMING) {
            stepDown(v, claimant == null ? "a newer epoch " + epoch + " exists" : claimant + " claims epoch " + epoch);
        }
    }

    private void onClaim(VipRace v, Peer p, Advert.VipView va, long now) {
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
                if (v.held) out.add(new Effect.AnnounceVip(v.cfg));
                return;
            }
        }
        if (name.equals(v.leader)) {
            v.leaderSeen = now;
            v.leaderPriority = va.priority();
            // Acknowledge at once (our next advert carries its sequence number): the master's
            // lease then counts from its latest advert, not from up to two intervals before, so a
            // master paused for a fraction of its lease (GC, a CPU hog) still holds it on resume.
            // The periodic timer restarts with this send, so steady state sends no more adverts.
            sendNow = true;
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
        }
    }

    /** After our master went away: follow at once a live peer that already claims the VIP (a preempting node). */
    private void followLiveClaimant(VipRace v, long now) {
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
    private boolean canSwitch(VipRace v, long now) {
        if (v.leader == null || v.leader.equals(self)) return true;
        Peer leader = peers.get(v.leader);
        return leader == null || !alive(leader, now) || now - v.leaderSeen >= leaseNanos();
    }

    // ---------------------------------------------------------------- decide

    private void sampleTracks(Map<TrackConfig, Boolean> healthy) {
        for (Map.Entry<TrackConfig, TrackState> e : tracks.entrySet()) {
            TrackConfig t = e.getKey();
            TrackState s = e.getValue();
            boolean ok = Boolean.TRUE.equals(healthy.get(t));
            if (ok == s.healthy) {
                s.streak = 0;
                continue;
            }
            s.streak++;
            if (s.streak >= (ok ? t.rise() : t.fall())) {
                s.healthy = ok;
                s.streak = 0;
                log.info("[{}] tracked {} is now {}", self, t.what(), ok ? "healthy" : "unhealthy");
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
    private int effectivePriority(VipRace v) {
        if (!v.candidate) return 0;
        int p = me.priority();
        for (Map.Entry<TrackConfig, TrackState> e : tracks.entrySet()) {
            if (!e.getValue().healthy) p += e.getKey().weight();
        }
        return Math.max(1, Math.min(254, p));
    }

    private static boolean better(int prioA, byte[] addrA, int prioB, byte[] addrB) {
        if (prioA != prioB) return prioA > prioB;
        return Arrays.compareUnsigned(addrA, addrB) > 0;
    }

    private void evaluate(VipRace v, long now) {
        String faultWhy = !v.candidate ? null
                : trackFault() ? "tracked health failed"
                : now < v.faultUntil ? "driver failed recently"
                : quorum.gatesOnWitness() && !witnessReachable(now) ? "witness unreachable" : null;
        boolean fault = faultWhy != null;
        if (v.leader != null && !v.leader.equals(self)) {
            Peer lp = peers.get(v.leader);
            if (lp == null || !alive(lp, now)) {
                log.info("[{}] VIP {}: master {} is down (no advert for {} ms)", self, v.cfg.key(), v.leader,
                        lp == null ? 0 : TimeUnit.NANOSECONDS.toMillis(now - lp.lastRecv));
                v.reason = "master " + v.leader + " down";
                v.leader = null;
                sendNow = true;
                followLiveClaimant(v, now);
            }
        }
        switch (v.state) {
            case INIT -> {
                boolean heardAll = peers.values().stream().allMatch(p -> p.heard);
                if (heardAll || now - startedNanos >= ownDownAfter(me.priority())) {
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
                } else if (claimHeld(v, now) && holdsQuorum(v, now) && !anotherHolder(v, now)) {
                    becomeMaster(v, "quorum acknowledged epoch " + v.epoch);
                } else if (now - v.claimStart > ownDownAfter(me.priority())) {
                    stepDown(v, "no quorum acknowledged the claim");
                }
            }
            case MASTER -> {
                if (fault) {
                    stepDown(v, faultWhy);
                    transition(v, VipState.FAULT, faultWhy);
                } else if (!holdsQuorum(v, now)) {
                    log.atError().addKeyValue("error_id", ClusterErrors.QUORUM_LOST.id())
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

    /**
     * Whether this node may start a claim. With majority, fresh contact only (an advert within 2
     * intervals), not mere liveness: a master that just lost its lease still sees its peers as
     * alive for a while, and must not raise the epoch from a minority.
     */
    private boolean preVote(long now) {
        int fresh = 1;
        for (Peer p : peers.values()) {
            if (alive(p, now) && now - p.lastRecv < 2 * Math.max(intervalNanos(),
                    TimeUnit.MILLISECONDS.toNanos(p.last.intervalMillis()))) fresh++;
        }
        return quorum.preVote(fresh, witnessReachable(now));
    }

    /**
     * A node that started less than a lease ago may have promised another master before it
     * crashed (a promise lasts a lease from the last advert it received, and a restart forgets
     * it): until that has run out it neither claims nor acknowledges anyone.
     */
    private boolean promisesMayLinger(long now) {
        return now - startedNanos < leaseNanos();
    }

    private boolean shouldClaim(VipRace v, long now) {
        int prio = effectivePriority(v);
        if (promisesMayLinger(now) || !preVote(now)) return false;
        Peer leader = v.leader == null ? null : peers.get(v.leader);
        if (leader != null) {
            if (!cfg.preempt() || prio <= v.leaderPriority) {
                v.preemptSince = -1;
                return false;
            }
            if (v.preemptSince < 0) v.preemptSince = now;
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

    private void claim(VipRace v, long now) {
        v.epoch = v.epoch + 1;
        out.add(new Effect.EpochKnown(v.cfg.key(), v.epoch));
        String previous = v.leader;
        v.leader = self;
        v.leaderPriority = effectivePriority(v);
        v.claimStart = now;
        v.preemptSince = -1;
        sendNow = true;
        transition(v, VipState.CLAIMING, previous == null ? "no live master" : "preempting " + previous);
        if (claimHeld(v, now) && holdsQuorum(v, now) && !anotherHolder(v, now)) {
            becomeMaster(v, "quorum " + quorum.label() + " at epoch " + v.epoch);
        }
    }

    private void becomeMaster(VipRace v, String reason) {
        v.held = true;
        v.heldEpoch = v.epoch;
        transition(v, VipState.MASTER, reason);
        v.driverError = null;
        out.add(new Effect.AddVip(v.cfg));
    }

    private void stepDown(VipRace v, String reason) {
        if (v.held) release(v);
        if (self.equals(v.leader)) v.leader = null;
        transition(v, VipState.BACKUP, reason);
        sendNow = true;
    }

    /**
     * Without majority acknowledgements (quorum none or witness) nothing makes a claimant wait
     * for the other node's news: two nodes that claim at the same moment (one restarting, one
     * seeing it down) would both add the VIP. A claim is therefore held for a quarter interval,
     * so each hears the other's claim (the lower epoch or priority then yields) before either
     * adds it. With majority the acknowledgement round trip is that wait.
     */
    private boolean claimHeld(VipRace v, long now) {
        return quorum instanceof Quorum.Majority || now - v.claimStart >= intervalNanos() / 4;
    }

    private boolean holdsQuorum(VipRace v, long now) {
        return quorum.holds(acks(v, now), witnessReachable(now));
    }

    /**
     * A live peer that still says it is MASTER of the VIP, or claims it (at any epoch): it has not removed the
     * address yet (it steps down when it hears our newer epoch, and says so once its driver is
     * done). A claimant waits for that before adding the VIP. With quorum majority the
     * acknowledgements already wait for it; with witness or none (a pair preempting) this is
     * what keeps the two from holding the VIP at once.
     */
    private boolean anotherHolder(VipRace v, long now) {
        for (Peer p : peers.values()) {
            if (!alive(p, now)) continue;
            Advert.VipView pv = p.last.vip(v.cfg.key());
            // CLAIMING too: a claimant may turn MASTER (with acknowledgements given before ours,
            // e.g. by this very node just before it preempted) while our claim is in flight. It
            // yields when it hears our claim (a newer epoch, or the same with a higher priority).
            if (pv != null && pv.claims(p.node.name())) return true;
        }
        return false;
    }

    /** This node plus every peer whose last advert follows us at our epoch and acknowledges an advert younger than the lease. */
    private int acks(VipRace v, long now) {
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
        return switch (quorum.label()) {
            case "majority" -> live + "/" + cfg.nodes().size() + " nodes seen";
            case "witness" -> witnessReachable(now) ? "witness reachable" : "witness unreachable";
            default -> "quorum none";
        };
    }

    // ---------------------------------------------------------------- act

    private void transition(VipRace v, VipState to, String reason) {
        VipState from = v.state;
        v.reason = reason;
        if (from == to) return;
        v.state = to;
        v.sinceWallMillis = lastWallMillis;
        v.transitions.merge(to.name(), 1L, Long::sum);
        out.add(new Effect.StateChanged(v.cfg.key(), from, to, reason, v.epoch));
        log.info("[{}] VIP {}: {} -> {} ({}, epoch {})", self, v.cfg.key(), from, to, reason, v.epoch);
        sendNow = true;
        List<String> hooks = cfg.notifyHooks();
        if (!hooks.isEmpty()) {
            Map<String, String> env = new HashMap<>(ScriptVipDriver.env(v.cfg, self, to.name()));
            env.put("CAIRN_PREVIOUS_STATE", from.name());
            env.put("CAIRN_EPOCH", Long.toString(v.epoch));
            env.put("CAIRN_REASON", reason);
            env.put("CAIRN_CLUSTER", cfg.name());
            out.add(new Effect.RunHooks(hooks, Map.copyOf(env), cfg.driver().commandTimeout()));
        }
    }

    private void acquireFailed(String key, String message, long now) {
        VipRace v = vips.get(key);
        if (v == null) return;
        v.driverError = message;
        // Hold off for a while so another node (whose driver may work) takes the VIP.
        v.faultUntil = now + DRIVER_FAULT_INTERVALS * intervalNanos();
        if (v.state == VipState.MASTER) {
            stepDown(v, "driver failed");
            transition(v, VipState.FAULT, "driver failed: " + message);
        }
    }

    private void release(VipRace v) {
        v.held = false;
        v.releasing = true;
        out.add(new Effect.RemoveVip(v.cfg));
    }

    private Advert advert(boolean shutdown, long now) {
        seq = Math.max(seq + 1, lastWallMillis * 1000);
        sentAt.put(seq, now);
        Map<String, Long> acks = new LinkedHashMap<>();
        for (Peer p : peers.values()) {
            if (p.lastSeq != Long.MIN_VALUE) acks.put(p.node.name(), p.lastSeq);
        }
        List<Advert.VipView> views = new ArrayList<>();
        for (VipRace v : vips.values()) {
            views.add(shutdown
                    ? new Advert.VipView(v.cfg.key(), VipState.BACKUP, 0, v.epoch, null)
                    : v.releasing && !v.held
                    ? new Advert.VipView(v.cfg.key(), VipState.MASTER, effectivePriority(v), v.heldEpoch, self)
                    : new Advert.VipView(v.cfg.key(), v.state, effectivePriority(v), v.epoch,
                            promisesMayLinger(now) && !self.equals(v.leader) ? null : v.leader));
        }
        return new Advert(cfg.name(), self, configHash.get(), seq, (int) cfg.advertInterval().toMillis(), shutdown, acks, views);
    }

    // ---------------------------------------------------------------- status

    /** The status view at {@code now}. */
    public Snapshot snapshot(long now) {
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
            nodes.add(m);
        }
        List<Map<String, Object>> vipList = new ArrayList<>();
        for (VipRace v : vips.values()) {
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
        boolean ok = !(quorum instanceof Quorum.Unconditional) ? preVote(now) : true;
        return new Snapshot(self, quorum.label() + " (" + quorumText(now) + ")", ok, nodes, vipList, mismatches);
    }

    private static byte[] addressBytes(String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + literal + "' is not an IP address", e);
        }
    }
}
