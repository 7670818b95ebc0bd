package dev.cairn.core.cli;

import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Load and validate the config file (and the files it names) without opening any port.",
                "Exit 0: valid. Exit 1: invalid, every error printed as FILE:LINE:COL: key: message."})
final class CheckCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() {
        try {
            CairnConfig cfg = new ConfigLoader(ModuleRegistry.discover()).load(config.file, config.node);
            System.out.println(config.file + ": OK (hash " + cfg.hash() + "; " + cfg.services().size()
                    + " services; modules: " + (cfg.modules().isEmpty() ? "none" : String.join(", ", cfg.modules().keySet())) + ")");
            return 0;
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.err.println(config.file + ": " + e.errors().size() + " error(s)");
            return 1;
        }
    }
}
