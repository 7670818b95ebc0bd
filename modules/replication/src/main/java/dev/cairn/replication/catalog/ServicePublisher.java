package dev.cairn.replication.catalog;

import dev.cairn.replication.ReplicationErrors;
import dev.cairn.replication.ReplicationConfig.PublishConfig;
import dev.cairn.replication.probe.ReplicaChannel;
import dev.cairn.replication.topology.NodeView;
import dev.cairn.replication.topology.Role;
import dev.cairn.replication.topology.TopologySnapshot;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.catalog.PublishedEndpoint;
import dev.cairn.spi.catalog.PublishedService;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one cluster's {@code publish.primary} and {@code publish.replicas} services from each
 * snapshot: the primary service has the one primary, UP while it answers and is writable; the
 * replicas service has every replica, UP while it replicates from the primary under max_lag.
 * Publishes only when something changed.
 *
 * <p>The epoch: the monitor republishes under the current epoch (the catalog's, at start).
 * Part 2 moves the primary with {@link #epoch(long)} (a higher epoch, so a stale Cairn node cannot
 * undo it) and keeps an old primary out with {@link #fence(String)}. Thread-safe.
 */
public final class ServicePublisher {

    private static final Logger log = LoggerFactory.getLogger(ServicePublisher.class);

    private final String cluster;
    private final PublishConfig names;
    private final Catalog catalog;
    private final Set<String> fenced = ConcurrentHashMap.newKeySet();
    private volatile long epoch;
    private volatile boolean primaryHeld;
    private volatile PublishedService lastPrimary;
    private volatile PublishedService lastReplicas;

    public ServicePublisher(String cluster, PublishConfig names, Catalog catalog) {
        this.cluster = cluster;
        this.names = names;
        this.catalog = catalog;
        long e = 0;
        if (names.primary() != null) e = Math.max(e, catalog.publishedEpoch(names.primary()).orElse(0L));
        if (names.replicas() != null) e = Math.max(e, catalog.publishedEpoch(names.replicas()).orElse(0L));
        this.epoch = e;
    }

    /** The epoch publications carry. */
    public long epoch() {
        return epoch;
    }

    /** Raises the epoch (never lowers it); the next publication carries it. */
    public synchronized void epoch(long e) {
        if (e > epoch) epoch = e;
    }

    /** Keeps {@code node} out of both services until {@link #unfence}. */
    public void fence(String node) {
        fenced.add(node);
    }

    public void unfence(String node) {
        fenced.remove(node);
    }

    public Set<String> fenced() {
        return Set.copyOf(fenced);
    }

    /**
     * Publishes no primary until {@link #releasePrimary()}: with failover on, a node that starts
     * (or restarts a cluster on reload) first learns the servers' epoch record and its fences, so
     * it never publishes for one round an old primary that came back writable.
     */
    public void holdPrimary() {
        primaryHeld = true;
    }

    public void releasePrimary() {
        primaryHeld = false;
    }

    /** Publishes what {@code s} shows, when it differs from the last publication. */
    public synchronized void publish(TopologySnapshot s) {
        if (names.primary() != null && !primaryHeld) {
            List<PublishedEndpoint> eps = new ArrayList<>();
            NodeView p = s.primaryNode().orElse(null);
            if (p != null && !fenced.contains(p.name())) {
                boolean ok = p.state().writable();
                String why = ok ? "primary, writable" : !p.state().up() ? "primary, not answering: " + p.state().error()
                        : "primary, read_only";
                eps.add(new PublishedEndpoint(p.name(), p.address().host(), p.address().port(), ok ? Health.UP : Health.DOWN, 1,
                        Set.of("primary"), why));
            }
            lastPrimary = send(new PublishedService(names.primary(), epoch, eps), lastPrimary);
        }
        if (names.replicas() != null) {
            List<PublishedEndpoint> eps = new ArrayList<>();
            for (NodeView v : s.nodes()) {
                if (v.role() != Role.REPLICA || fenced.contains(v.name())) continue;
                eps.add(new PublishedEndpoint(v.name(), v.address().host(), v.address().port(),
                        v.servesReads() ? Health.UP : Health.DOWN, 1, Set.of("replica"), replicaWhy(v)));
            }
            lastReplicas = send(new PublishedService(names.replicas(), epoch, eps), lastReplicas);
        }
    }

    private static String replicaWhy(NodeView v) {
        if (!v.state().up()) return "not answering: " + v.state().error();
        ReplicaChannel ch = v.state().channel();
        if (ch == null) return "not replicating";
        String lag = v.lagSeconds() == null ? "lag unknown" : String.format(Locale.ROOT, "lag %.1fs", v.lagSeconds());
        return "io " + ch.io().name().toLowerCase(Locale.ROOT) + ", sql " + (ch.sqlRunning() ? "yes" : "no") + ", " + lag
                + (v.servesReads() ? "" : " (not serving)");
    }

    private PublishedService send(PublishedService next, PublishedService last) {
        if (last != null && last.equals(withoutChecks(next, last))) return last;
        if (!catalog.publish(next)) {
            long held = catalog.publishedEpoch(next.name()).orElse(0L);
            log.atWarn().addKeyValue("error_id", ReplicationErrors.STALE_PUBLICATION.id()).log(
                    "cluster {}: the catalog holds {} under epoch {} > {}; this node's view is stale and is not published",
                    cluster, next.name(), held, next.epoch());
            return last;
        }
        return next;
    }

    /**
     * {@code next} with the last publication's lastCheck texts where health is unchanged, so a
     * lag that moves by 0.1 s does not fire a catalog event every second.
     */
    private static PublishedService withoutChecks(PublishedService next, PublishedService last) {
        if (next.epoch() != last.epoch() || next.endpoints().size() != last.endpoints().size()) return next;
        List<PublishedEndpoint> eps = new ArrayList<>();
        for (int i = 0; i < next.endpoints().size(); i++) {
            PublishedEndpoint n = next.endpoints().get(i);
            PublishedEndpoint l = last.endpoints().get(i);
            boolean same = n.name().equals(l.name()) && n.host().equals(l.host()) && n.port() == l.port()
                    && n.health() == l.health() && n.weight() == l.weight() && n.tags().equals(l.tags());
            eps.add(same ? l : n);
        }
        return new PublishedService(next.name(), next.epoch(), eps);
    }
}
