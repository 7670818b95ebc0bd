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
