package dev.cairn.core.config;

import dev.cairn.core.catalog.ServiceConfig;
import dev.cairn.spi.cluster.ClusterMembership;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loaded and validated config file: the host's own sections plus one bound record per module
 * section present (in file order). Immutable.
 *
 * @param file the file it came from
 * @param hash short SHA-256 of the file's bytes, what nodes compare to detect drift
 * @param cluster the cluster section's members, null without a cluster
 * @param modules module name to its bound config record
 */
public record CairnConfig(
        Path file,
        String hash,
        AdminConfig admin,
        ClusterMembership cluster,
        Map<String, ServiceConfig> services,
        Map<String, Record> modules) {

    public CairnConfig {
        // Copies that keep the file's order: the status page, `cairn status` and the catalog list
        // services and modules in config order (Map.copyOf would not).
        services = Collections.unmodifiableMap(new LinkedHashMap<>(services));
        modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
    }

    /** The directory relative paths in the file are resolved against. */
    public Path dir() {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".").toAbsolutePath() : parent;
    }
}
