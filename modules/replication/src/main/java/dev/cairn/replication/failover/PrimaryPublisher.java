package dev.cairn.replication.failover;

import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.PublishedEndpoint;
import dev.cairn.spi.catalog.PublishedService;
import java.util.List;
import java.util.Optional;

/**
 * Moves the cluster's primary service ({@code mysql-primary}) in the catalog under an epoch: the
 * catalog refuses an epoch lower than the one it holds, so a stale decision cannot undo a newer
 * one, and removing an endpoint makes the TCP proxy close its sessions to it.
 */
public final class PrimaryPublisher {

    private final Catalog catalog;
    private final String service;

    public PrimaryPublisher(Catalog catalog, String service) {
        this.catalog = catalog;
        this.service = service;
    }

    public String service() {
        return service;
    }

    /** The epoch the catalog holds for the service, 0 when none. */
    public long epoch() {
        return catalog.publishedEpoch(service).orElse(0L);
    }

    /** Publishes {@code primary} (none: fenced, no endpoint) under {@code epoch}; false when refused. */
    public boolean publish(long epoch, Optional<NodeSql> primary, String why) {
        List<PublishedEndpoint> eps = primary.map(p -> List.of(PublishedEndpoint.up(p.name(), p.host(), p.port(), why)))
                .orElse(List.of());
        return catalog.publish(new PublishedService(service, epoch, eps));
    }
}
