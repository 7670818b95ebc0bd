package dev.cairn.spi.command;

/**
 * A top-level CLI verb a module adds, e.g. {@code cairn backup ...} or {@code cairn replication ...}.
 * The host parses the options it shares with every command ({@code -c FILE}, {@code --node},
 * {@code --url}, {@code --token-file}) and hands the rest to {@link #run}. A command may work
 * offline from the config file (restore, list) or call the running daemon through
 * {@link CommandContext#admin()}.
 *
 * @param <C> the module's config record
 */
public interface ModuleCommand<C extends Record> {

    /** The verb, e.g. {@code "restore"}; unique among all commands. */
    String name();

    /** One line for {@code cairn --help}. */
    String summary();

    /** Usage text for {@code cairn VERB --help}: synopsis and the verb's own options. */
    String usage();

    /**
     * Runs the command. Exit codes: 0 done, 1 failed, 2 done but something is unhealthy or
     * damaged (as for {@code cairn status}), 64 usage error.
     */
    int run(CommandContext<C> ctx) throws Exception;
}
