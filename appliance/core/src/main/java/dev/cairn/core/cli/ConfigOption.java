package dev.cairn.core.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code -c FILE}, shared by the commands that read the config. */
final class ConfigOption {
    static final String DEFAULT = "/etc/cairn/cairn.yml";

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = DEFAULT,
            description = "Config file (default: ${DEFAULT-VALUE}).")
    Path file;

    @Option(names = "--node", paramLabel = "NAME",
            description = "This node's name in cluster.nodes (default: the node whose address is on this machine).")
    String node;
}
