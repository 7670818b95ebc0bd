package dev.cairn.spi.catalog;

import java.util.List;
import java.util.Optional;

/**
 * The shared service catalog: services, their endpoints and each endpoint's health, produced by
 * the host's active checks (run once per node and shared by every module) and by operators
 * draining endpoints. Thread-safe; every read returns an immutable snapshot.
 */
public interface Catalog {

    /** All services, in config order. */
    List<ServiceView> services();

    /** One service by name. */
    Optional<ServiceView> service(String name);

    /**
     * The active check's figures for a configured endpoint; empty when the service or endpoint is
     * unknown, is module-owned, or has no active check.
     */
    default Optional<CheckStats> checkStats(String service, String endpoint) {
        return Optional.empty();
    }

    /**
     * Marks an endpoint DOWN as if its active check had failed {@code fall} times (HAProxy's
     * {@code observe layer7 ... on-error mark-down}): it takes no traffic from any module until it
     * passes {@code rise} consecutive checks. A HEALTH event follows, as for a failed check;
     * none when it already was DOWN (its rise count starts again). Returns false (and changes
     * nothing) when the service or endpoint is unknown or the endpoint has no active check.
     *
     * @param reason why, for operators: shown as the endpoint's last check and logged
     */
    boolean markDown(String service, String endpoint, String reason);

    /**
     * Publishes or replaces the endpoints of a module-owned service (one the module declared in
     * {@code Module.publishedServices}). Endpoints that disappear fire an event with
     * {@code after == null}, so the proxy closes its TCP sessions to them (fencing). Returns false,
     * and changes nothing, when {@code service.epoch()} is lower than the epoch already published
     * for that name, or when the name belongs to a service of the {@code services:} section.
     */
    boolean publish(PublishedService service);

    /** The epoch last published for a module-owned service; empty when it was never published. */
    Optional<Long> publishedEpoch(String service);

    /**
     * Calls {@code listener} after every change (health, drain, weight, reload). Events are
     * delivered in order, one at a time, on the catalog's own event thread: a listener must
     * not block for long. Closing the subscription stops delivery.
     */
    Subscription subscribe(CatalogListener listener);

    /** A registration that can be cancelled. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** Receives catalog changes. */
    @FunctionalInterface
    interface CatalogListener {
        void onChange(CatalogEvent event);
    }
}
