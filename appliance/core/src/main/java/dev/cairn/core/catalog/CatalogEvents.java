package dev.cairn.core.catalog;

import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.Catalog.CatalogListener;
import dev.cairn.spi.catalog.CatalogEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog's subscribers and its one event thread: events are delivered in the order they were
 * fired, one at a time; a listener that throws is logged and the others still hear the event.
 * Owns the thread and stops it on {@link #close}.
 */
final class CatalogEvents implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatalogRegistry.class);

    private final ExecutorService thread = Executors.newSingleThreadExecutor(CatalogRegistry.daemon("cairn-catalog-events"));
    private final List<CatalogListener> listeners = new CopyOnWriteArrayList<>();

    Catalog.Subscription subscribe(CatalogListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    void fire(CatalogEvent event) {
        for (CatalogListener l : listeners) {
            thread.execute(() -> {
                try {
                    l.onChange(event);
                } catch (RuntimeException e) {
                    log.error("catalog listener {} failed on {}", l, event, e);
                }
            });
        }
    }

    /** Delivers what is queued (for at most 2 s), then stops the thread. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
