package dev.cairn.core.cli;

import dev.cairn.core.importer.ConfigImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Translate HAProxy, keepalived and BIND configs into a Cairn config on standard output.",
                "What cannot be translated is printed on stderr as FILE:LINE: directive: note.",
                "Exit 0: everything that matters was translated. Exit 1: something that changes behaviour was not",
                "(the notes marked [changes behaviour]); the config is still written. Exit 64: usage."})
final class ImportCommand implements Callable<Integer> {

    @Option(names = "--haproxy", paramLabel = "FILE", description = "haproxy.cfg")
    Path haproxy;

    @Option(names = "--keepalived", paramLabel = "FILE",
            description = "keepalived.conf; once per node, so that every node's priority is known")
    List<Path> keepalived = new ArrayList<>();

    @Option(names = "--bind", paramLabel = "FILE", description = "named.conf (its includes are followed)")
    Path bind;

    @Override
    public Integer call() throws Exception {
        if (haproxy == null && keepalived.isEmpty() && bind == null) {
            System.err.println("cairn import: give at least one of --haproxy, --keepalived, --bind");
            return Main.EXIT_USAGE;
        }
        for (Path p : files()) {
            if (!Files.isReadable(p)) {
                System.err.println("cairn import: cannot read " + p);
                return 1;
            }
        }
        ConfigImporter.Result r = ConfigImporter.translate(haproxy, keepalived, bind);
        System.out.print(r.yaml());
        System.out.flush();
        for (String n : r.notes()) System.err.println(n);
        if (r.behaviourChanges()) {
            System.err.println("cairn import: some directives that change behaviour were not translated (see above)");
            return 1;
        }
        return 0;
    }

    private List<Path> files() {
        List<Path> all = new ArrayList<>(keepalived);
        if (haproxy != null) all.add(haproxy);
        if (bind != null) all.add(bind);
        return all;
    }
}
