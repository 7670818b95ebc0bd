package dev.cairn.core.cli;

import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.lifecycle.ReloadPlan;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Load and validate the config file (and the files it names) without opening any port.",
                "With --against RUNNING: also print what a reload from RUNNING to this file would change (keys live or",
                "restart, services and endpoints, modules, zones and serials, listeners that re-open), applying nothing.",
                "Exit 0: valid. Exit 1: invalid, every error printed as FILE:LINE:COL: key: message."})
final class CheckCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--against", paramLabel = "RUNNING",
            description = "The config file running now: print the plan of a reload from it to this file.")
    Path against;

    @Option(names = "--base-dir", paramLabel = "DIR",
            description = {"Resolve the relative paths the file names (token_file, zone files, secrets, directories) from DIR,",
                    "as if the file lived there; default: the file's own directory. For checking a copy before it",
                    "replaces the real file, e.g. Ansible's validate: cairn check --base-dir /etc/cairn -c %s"})
    Path baseDir;

    @Override
    public Integer call() {
        if (baseDir != null && !java.nio.file.Files.isDirectory(baseDir)) {
            System.err.println("--base-dir " + baseDir + ": not a directory");
            return 1;
        }
        try {
            ModuleRegistry modules = ModuleRegistry.discover();
            CairnConfig cfg = new ConfigLoader(modules).load(config.file, config.node, baseDir);
            System.out.println(config.file + ": OK (hash " + cfg.hash() + "; " + cfg.services().size()
                    + " services; modules: " + (cfg.modules().isEmpty() ? "none" : String.join(", ", cfg.modules().keySet())) + ")");
            if (against != null) {
                CairnConfig running;
                try {
                    running = new ConfigLoader(modules).load(against, config.node);
                } catch (ConfigException e) {
                    System.err.println(e.getMessage());
                    System.err.println(against + ": the running config does not load (" + e.errors().size() + " error(s)): no plan");
                    return 1;
                }
                System.out.println("reload from " + against + " (hash " + running.hash() + ") would change:");
                for (String line : ReloadPlan.lines(modules, running, cfg)) System.out.println("  " + line);
            }
            return 0;
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.err.println(config.file + ": " + e.errors().size() + " error(s)");
            return 1;
        }
    }
}
