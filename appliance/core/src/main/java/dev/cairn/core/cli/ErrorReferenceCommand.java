package dev.cairn.core.cli;

import dev.cairn.core.ErrorReference;
import dev.cairn.core.config.ModuleRegistry;
import picocli.CommandLine.Command;

@Command(name = "errors-reference", mixinStandardHelpOptions = true,
        description = "Print every error id with its meaning and what to do (Markdown, the text of docs/errors.md).")
final class ErrorReferenceCommand implements Runnable {
    @Override
    public void run() {
        System.out.print(ErrorReference.markdown(ModuleRegistry.discover()));
    }
}
