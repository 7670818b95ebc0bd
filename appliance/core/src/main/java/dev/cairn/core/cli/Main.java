package dev.cairn.core.cli;

import dev.cairn.core.config.ModuleRegistry;

import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cairn} command line. */
@Command(name = "cairn", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "One process per VM: load balancer, DNS, replication monitor, metrics, backups, VIP failover.")
public final class Main implements Runnable {

    /** The built-in commands, in the order help lists them; then help and the modules' verbs. */
    static final List<Class<?>> COMMANDS = List.of(RunCommand.class, CheckCommand.class, StatusCommand.class,
            ReloadCommand.class, EndpointCommand.Drain.class, EndpointCommand.Enable.class, ImportCommand.class,
            ConfigReferenceCommand.class, ErrorReferenceCommand.class, VersionCommand.class);

    /** sysexits.h EX_USAGE: the command line was wrong. */
    public static final int EXIT_USAGE = 64;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        // `cairn run -c FILE ...` as the unit and the launcher's users write it: parsed without
        // picocli (its ~170 classes are Java 5 class files, which CDS cannot archive: parsed and
        // verified at every start). Anything else, help and errors included, goes to picocli.
        RunCommand quick = RunCommand.parseCommon(args);
        if (quick != null) return RunCommand.callAsPicocliWould(quick);
        return execute(ModuleRegistry::discover, args);
    }

    /** Runs the command line with exactly these modules' verbs (tests). */
    public static int execute(ModuleRegistry modules, String... args) {
        return execute(() -> modules, args);
    }

    /** The built-in commands' names (and help's): not module verbs ({@link #COMMANDS}' names; a test keeps them equal). */
    static final java.util.Set<String> BUILT_IN = java.util.Set.of("run", "check", "status", "reload", "drain", "enable", "import",
            "config-reference", "errors-reference", "version", "help");

    /** The module registry is looked up only for a command line that needs the modules' verbs. */
    private static int execute(java.util.function.Supplier<ModuleRegistry> modules, String... args) {
        if (args.length > 0 && !args[0].startsWith("-") && !BUILT_IN.contains(args[0])) {
            // `cairn backup run JOB`, `cairn restore ...`: a module's verb, parsed without picocli
            // (as `cairn run` above): its Java 5 classes and the model of every command cost a
            // no-change backup run about 0.3 s CPU of its start.
            ModuleRegistry registry = modules.get();
            ModuleVerb quick = ModuleVerb.parseQuick(registry, BUILT_IN, args);
            if (quick != null) return RunCommand.callAsPicocliWould(quick);
            return picocli(() -> registry, args);
        }
        return picocli(modules, args);
    }

    /** The command line as picocli parses it (a test compares the quick paths with it). */
    static int picocli(java.util.function.Supplier<ModuleRegistry> modules, String... args) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> named = args.length == 0 ? null : COMMANDS.stream()
                .filter(c -> c.getAnnotation(Command.class).name().equals(args[0])).findFirst().orElse(null);
        if (named != null) {
            // `cairn run`, `cairn check` ...: picocli builds the model of this command only, not of
            // every command and module verb (reflection over ~20 classes: a third of a check's time).
            cl.addSubcommand(named);
        } else {
            COMMANDS.forEach(cl::addSubcommand);
            cl.addSubcommand(new CommandLine.HelpCommand());
            ModuleVerb.addAll(cl, modules.get());
        }
        return cl
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    cmd.getErr().println("cairn: " + ex.getMessage());
                    return 1;
                })
                .setParameterExceptionHandler((ex, argv) -> {
                    CommandLine cmd = ex.getCommandLine();
                    cmd.getErr().println("cairn: " + ex.getMessage());
                    CommandLine.UnmatchedArgumentException.printSuggestions(ex, cmd.getErr());
                    cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help'.");
                    return EXIT_USAGE;
                })
                .execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: run, check, status, reload, drain, enable, version");
    }
}
