package dev.cairn.core.cli;

import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.node.NodeIdentity;
import dev.cairn.spi.Module;
import dev.cairn.spi.command.AdminCall;
import dev.cairn.spi.command.CommandContext;
import dev.cairn.spi.command.ModuleCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Runs a verb a module adds ({@link ModuleCommand}): parses the options every command shares and
 * hands the rest of the arguments to the module.
 */
@Command(name = "module-verb", mixinStandardHelpOptions = false)
final class ModuleVerb implements Callable<Integer> {

    private final ModuleRegistry registry;
    private final Module<?> module;
    private final ModuleCommand<?> command;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Config file (default: " + ConfigOption.DEFAULT + ").")
    Path file;

    @Option(names = "--node", paramLabel = "NAME", description = "This node's name in cluster.nodes.")
    String node;

    @Option(names = "--url", paramLabel = "URL", description = "Admin API base URL of the running daemon.")
    String url;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the admin bearer token.")
    Path tokenFile;

    @Parameters(paramLabel = "ARGS")
    List<String> args = new ArrayList<>();

    ModuleVerb(ModuleRegistry registry, Module<?> module, ModuleCommand<?> command) {
        this.registry = registry;
        this.module = module;
        this.command = command;
    }

    /**
     * {@code cairn VERB ARGS...} of a module's verb ({@code cairn backup run JOB}), parsed without
     * picocli as picocli would parse it: {@code -c/--config}, {@code --node}, {@code --url} and
     * {@code --token-file} anywhere (as {@code -c FILE} or {@code --config=FILE}, once each), every
     * other argument the module's. Null when the line needs picocli: no module or a built-in
     * command has that name, two modules add it, or a form this does not read ({@code -cFILE},
     * {@code @file}, {@code --}, a repeated option, a missing value).
     */
    static ModuleVerb parseQuick(ModuleRegistry registry, java.util.Set<String> builtIn, String... argv) {
        if (argv.length == 0 || builtIn.contains(argv[0])) return null;
        ModuleVerb verb = null;
        for (Module<?> m : registry.all()) {
            for (ModuleCommand<?> c : m.commands()) {
                if (!c.name().equals(argv[0])) continue;
                if (verb != null) return null; // picocli reports the clash
                verb = new ModuleVerb(registry, m, c);
            }
        }
        if (verb == null) return null;
        String file = null, node = null, url = null, tokenFile = null;
        for (int i = 1; i < argv.length; i++) {
            String a = argv[i];
            if (a.equals("--") || a.startsWith("@")) return null;
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            boolean ours = switch (name) {
                case "-c", "--config", "--node", "--url", "--token-file" -> true;
                default -> false;
            };
            if (!ours) {
                if (a.startsWith("-c") || a.startsWith("--config") || a.startsWith("--node") || a.startsWith("--url")
                        || a.startsWith("--token-file")) {
                    return null; // -cFILE, -c=FILE, --nodeX: as picocli reads them
                }
                verb.args.add(a);
                continue;
            }
            if (value == null) {
                if (i + 1 >= argv.length) return null;
                value = argv[++i];
            }
            if (value.isEmpty() || value.startsWith("-")) return null;
            switch (name) {
                case "-c", "--config" -> {
                    if (file != null) return null;
                    file = value;
                }
                case "--node" -> {
                    if (node != null) return null;
                    node = value;
                }
                case "--url" -> {
                    if (url != null) return null;
                    url = value;
                }
                default -> {
                    if (tokenFile != null) return null;
                    tokenFile = value;
                }
            }
        }
        verb.file = file == null ? null : Path.of(file);
        verb.node = node;
        verb.url = url;
        verb.tokenFile = tokenFile == null ? null : Path.of(tokenFile);
        return verb;
    }

    /** Adds every module's verbs to the command line, refusing a verb that is already taken. */
    static void addAll(CommandLine cl, ModuleRegistry registry) {
        for (Module<?> m : registry.all()) {
            for (ModuleCommand<?> c : m.commands()) {
                if (cl.getSubcommands().containsKey(c.name())) {
                    throw new IllegalStateException("module " + m.name() + " adds the command '" + c.name()
                            + "', which already exists");
                }
                CommandLine sub = new CommandLine(new ModuleVerb(registry, m, c));
                sub.setUnmatchedArgumentsAllowed(true);
                sub.setUnmatchedOptionsArePositionalParams(true);
                sub.getCommandSpec().usageMessage().description(c.summary());
                cl.addSubcommand(c.name(), sub);
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        List<String> rest = new ArrayList<>(args);
        if (rest.contains("--help") || rest.contains("-h")) {
            System.out.println(command.usage());
            return 0;
        }
        Path cfgPath = file != null ? file : Path.of(ConfigOption.DEFAULT);
        CairnConfig cfg = null;
        if (file != null || Files.exists(cfgPath)) {
            try {
                cfg = new ConfigLoader(registry).load(cfgPath, node);
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                System.err.println(cfgPath + ": " + e.errors().size() + " error(s)");
                return 1;
            }
        }
        String nodeName;
        try {
            nodeName = NodeIdentity.resolve(cfg == null ? null : cfg.cluster(), node);
        } catch (NodeIdentity.UnknownNodeException e) {
            System.err.println("cairn " + command.name() + ": " + e.getMessage());
            return 1;
        }
        Optional<Record> section = cfg == null ? Optional.empty() : Optional.ofNullable(cfg.modules().get(module.name()));
        Path dir = cfg != null ? cfg.dir() : Path.of("").toAbsolutePath();
        AdminClient client = new AdminClient();
        client.configFile = file;
        client.url = url;
        client.tokenFile = tokenFile;
        client.registry = registry;
        client.timeout = java.time.Duration.ofHours(1);
        return run(command, new Context<>(rest, section, dir, nodeName, client));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int run(ModuleCommand c, Context ctx) throws Exception {
        return c.run(ctx);
    }

    private record Context<C extends Record>(List<String> args, Optional<C> config, Path configDir,
                                             String nodeName, AdminClient client) implements CommandContext<C> {
        @Override public PrintStream out() { return System.out; }
        @Override public PrintStream err() { return System.err; }
        @Override public boolean interactive() { return System.console() != null; }

        @Override
        public AdminCall admin() {
            return new AdminCall() {
                @Override
                public Response post(String module, String action, Map<String, String> params) throws IOException {
                    return call("POST", module, action, params);
                }

                @Override
                public Response get(String module, String action, Map<String, String> params) throws IOException {
                    return call("GET", module, action, params);
                }
            };
        }

        private AdminCall.Response call(String method, String module, String action, Map<String, String> params)
                throws IOException {
            StringBuilder path = new StringBuilder("/api/modules/").append(enc(module)).append('/').append(enc(action));
            char sep = '?';
            for (Map.Entry<String, String> e : params.entrySet()) {
                path.append(sep).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
                sep = '&';
            }
            try {
                AdminClient.Response r = client.call(method, path.toString());
                return new AdminCall.Response(r.status(), r.body().toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }

        private static String enc(String s) {
            return URLEncoder.encode(s, StandardCharsets.UTF_8);
        }
    }
}
