package dev.cairn.spi;

import dev.cairn.spi.catalog.Catalog;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;

/** What the host gives a running module. Thread-safe; valid from start until stop. */
public interface ModuleContext {

    /** This node's name (from {@code --node} or the node whose address is local). */
    String nodeName();

    /** The shared service catalog with health state. */
    Catalog catalog();

    /** The registry served on {@code /metrics}. Register collectors once, in start. */
    PrometheusRegistry metrics();

    /** Directory of the config file: relative paths in the config resolve against it. */
    Path configDir();

    /** Short SHA-256 of the config file this node runs, published to peers and on status. */
    String configHash();

    /** Status of another running module (e.g. for VIP tracking); empty if it is not running. */
    java.util.Optional<ModuleStatus> moduleStatus(String module);
}
