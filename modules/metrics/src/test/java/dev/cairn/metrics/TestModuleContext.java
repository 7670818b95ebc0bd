package dev.cairn.metrics;

import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.catalog.Catalog;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The smallest real {@link ModuleContext}: node "test", config hash "abc", the given registry.
 *
 * <p>{@link #catalog()} returns null: the metrics module never looks at the catalog (it serves
 * the registry, and other modules export their own catalog metrics), so there is nothing for a
 * test catalog to do here.
 */
record TestModuleContext(PrometheusRegistry metrics, Path configDir) implements ModuleContext {

    @Override
    public String nodeName() {
        return "test";
    }

    @Override
    public Catalog catalog() {
        return null;
    }

    @Override
    public String configHash() {
        return "abc";
    }

    /** No other modules run in these tests. */
    @Override
    public Optional<ModuleStatus> moduleStatus(String module) {
        return Optional.empty();
    }
}
