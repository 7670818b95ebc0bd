package dev.cairn.core.cli;

import dev.cairn.core.config.ConfigReference;
import dev.cairn.core.config.ModuleRegistry;
import picocli.CommandLine.Command;

@Command(name = "config-reference", mixinStandardHelpOptions = true,
        description = "Print the reference of every config key (Markdown, the text of docs/config.md).")
final class ConfigReferenceCommand implements Runnable {
    @Override
    public void run() {
        System.out.print(ConfigReference.markdown(ModuleRegistry.discover()));
    }
}
