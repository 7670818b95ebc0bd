package dev.cairn.replication.failover;

import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.PublishedEndpoint;
import dev.cairn.spi.catalog.PublishedService;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Moves the cluster's primary service ({@code mysql-primary}) in the catalog under an epoch: the
 * catalog refuses an epoch lower than the one it holds, so a stale decision cannot undo a newer
 * one, and removing an endpoint makes the TCP proxy close its sessions to it. The monitor's own
 * publisher (which republishes every round) is told through {@link Fences}: the new epoch, and
 * which nodes it must leave out (the old primary for good, the candidate until it is published
 * here), so it never publishes a half-promoted node.
 */
public final class PrimaryPublisher {

    /** The monitor's publisher, as the failover steers it. */
    public interface Fences {
        void fence(String node);

        void unfence(String node);

        void epoch(long epoch);

        /** The servers' epoch record was read once and the fences set: the primary may be published. */
        default void ready() {
        }

        Fences NONE = new Fences() {
            @Override
            public void fence(String node) {
            }

            @Override
            public void unfence(String node) {
            }

            @Override
            public void epoch(long epoch) {
            }
        };
    }

    private final Catalog catalog;
    private final String service;
    private final Fences fences;

    public PrimaryPublisher(Catalog catalog, String service, Fences fences) {
        this.catalog = catalog;
        this.service = service;
        this.fences = fences;
    }

    public String service() {
        return service;
    }

    public Fences fences() {
        return fences;
    }

    /** The epoch the catalog holds for the service, 0 when none. */
    public long epoch() {
        return service == null ? 0 : catalog.publishedEpoch(service).orElse(0L);
    }

    /** Publishes {@code primary} (none: fenced, no endpoint) under {@code epoch}; false when refused. */
    public boolean publish(long epoch, Optional<NodeSql> primary, String why) {
        fences.epoch(epoch);
        if (service == null) {
            return true;
        }
        List<PublishedEndpoint> eps = primary.map(p -> List.of(new PublishedEndpoint(p.name(), p.host(), p.port(),
                dev.cairn.spi.catalog.Health.UP, 1, Set.of("primary"), why))).orElse(List.of());
        return catalog.publish(new PublishedService(service, epoch, eps));
    }
}
