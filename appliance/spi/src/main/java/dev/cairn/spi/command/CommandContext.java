package dev.cairn.spi.command;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the host gives a {@link ModuleCommand}.
 *
 * @param <C> the module's config record
 */
public interface CommandContext<C extends Record> {

    /** Exit code for a usage error (sysexits.h EX_USAGE). */
    int EXIT_USAGE = 64;

    /** The arguments after the verb, less the shared options the host consumed. */
    List<String> args();

    /**
     * The module's section of the config file, bound and validated like {@code cairn check}
     * does; empty when the file has no such section. A command that needs it and finds it
     * empty reports that and exits 1. An invalid file never reaches the command: the host
     * prints its errors and exits 1.
     */
    Optional<C> config();

    /** Directory of the config file: relative paths in the config resolve against it. */
    Path configDir();

    /** This node's name, as {@code cairn run} would resolve it. */
    String nodeName();

    PrintStream out();

    PrintStream err();

    /** True when standard output is a terminal (progress bars); false for pipes and files. */
    boolean interactive();

    /** The running daemon's admin API, found from the config's {@code admin:} or {@code --url}. */
    AdminCall admin();
}
