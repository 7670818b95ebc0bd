package dev.cairn.spi;

import dev.cairn.spi.config.ConfigProblems;
import java.nio.file.Path;
import java.util.Set;

/** What a module may look at while validating. Opens nothing, changes nothing. */
public interface ValidationContext {

    /** Where to report problems; each is printed with file, line, column and key. */
    ConfigProblems problems();

    /** Names of the services defined in the catalog ({@code services:}). */
    Set<String> serviceNames();

    /** Names of the cluster nodes ({@code cluster.nodes[].name}); empty without a cluster. */
    Set<String> nodeNames();

    /** Directory of the config file. */
    Path configDir();

    /** Resolves a path from the config against {@link #configDir()}. */
    default Path resolve(Path p) {
        return p == null ? null : configDir().resolve(p).normalize();
    }
}
