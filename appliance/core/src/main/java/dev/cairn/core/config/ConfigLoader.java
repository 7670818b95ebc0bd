package dev.cairn.core.config;

import dev.cairn.spi.config.Suggestions;
import dev.cairn.core.catalog.EndpointConfig;
import dev.cairn.core.catalog.ServiceConfig;
import dev.cairn.spi.Module;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.cluster.ClusterMembership;
import dev.cairn.spi.config.ConfigProblems;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Reads the one config file: parses the YAML, binds the host's sections and every module's
 * section, then runs every validation (host and modules), and reports all errors at once.
 * Opens no port and changes nothing: this is what {@code cairn check} and a reload run first.
 */
public final class ConfigLoader {

    /** Service and node names end up in URLs and metric labels: keep them plain. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private final ModuleRegistry modules;
    private final Map<String, String> env;

    public ConfigLoader(ModuleRegistry modules, Map<String, String> env) {
        this.modules = modules;
        this.env = env;
    }

    public ConfigLoader(ModuleRegistry modules) {
        this(modules, System.getenv());
    }

    /** Loads and validates {@code file}; {@code node} (nullable) is the --node choice to check. */
    public CairnConfig load(Path file, String node) throws ConfigException {
        return load(file, node, null);
    }

    /**
     * Like {@link #load(Path, String)}, with the paths the file names (token_file, zone files,
     * secrets, directories) resolved from {@code baseDir} as if the file lived there, instead of
     * from the file's own directory; {@code null}: the file's directory. For {@code cairn check
     * --base-dir}, so a copy in a temporary directory (Ansible's {@code validate:}) is checked as
     * the file it will replace.
     */
    public CairnConfig load(Path file, String node, Path baseDir) throws ConfigException {
        Path dir = baseDir == null ? dirOf(file) : baseDir.toAbsolutePath().normalize();
        String label = file.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigError(label, 0, 0, "", "cannot read config file: "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()))));
        }
        String hash = HexFormat.of().formatHex(sha256(bytes)).substring(0, 16);
        Node root;
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(label).setAllowDuplicateKeys(true).build();
            String text = new String(bytes, StandardCharsets.UTF_8);
            Composer composer = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, text)));
            root = composer.getSingleNode().orElse(null);
        } catch (MarkedYamlEngineException e) {
            Mark m = e.getProblemMark().orElse(null);
            String msg = "YAML syntax error: " + e.getProblem()
                    + (e.getContext() != null ? " (" + e.getContext() + ")" : "");
            throw new ConfigException(List.of(new ConfigError(label,
                    m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1, "", msg)));
        } catch (YamlEngineException e) {
            throw new ConfigException(List.of(new ConfigError(label, 0, 0, "", "YAML error: " + e.getMessage())));
        }

        ConfigBinder binder = new ConfigBinder(label, env);
        Map<String, Node> sections = new LinkedHashMap<>();
        if (root != null && !ConfigBinder.isNull(root)) {
            if (!(root instanceof MappingNode m)) {
                binder.error(root, "", "the config file must be a mapping of sections (admin:, services:, ...)");
                throw new ConfigException(binder.errors());
            }
            Set<String> known = new TreeSet<>(ModuleRegistry.HOST_SECTIONS);
            known.addAll(modules.names());
            Map<String, Node> seenKeys = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode k)) {
                    binder.error(t.getKeyNode(), "", "section names must be plain words");
                    continue;
                }
                String key = k.getValue();
                if (seenKeys.containsKey(key)) {
                    int line = seenKeys.get(key).getStartMark().map(x -> x.getLine() + 1).orElse(0);
                    binder.error(k, key, "duplicate section '" + key + "' (first defined at line " + line + ")");
                    continue;
                }
                seenKeys.put(key, k);
                if (!known.contains(key)) {
                    binder.error(k, key, "unknown section '" + key + "'" + Suggestions.didYouMean(key, known)
                            + "; sections: " + String.join(", ", known));
                    continue;
                }
                sections.put(key, t.getValueNode());
            }
        }

        AdminConfig admin = (AdminConfig) binder.bind(sections.get("admin"), AdminConfig.class, "admin");
        @SuppressWarnings("unchecked")
        Map<String, ServiceConfig> services = (Map<String, ServiceConfig>) binder.bind(
                sections.get("services"), mapOf(ServiceConfig.class), "services");
        Map<String, Record> moduleConfigs = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : sections.entrySet()) {
            Optional<Module<?>> mod = modules.get(e.getKey());
            if (mod.isEmpty()) continue;
            Object bound = binder.bind(e.getValue(), mod.get().configType(), e.getKey());
            if (bound != null) moduleConfigs.put(e.getKey(), (Record) bound);
        }

        ClusterMembership cluster = null;
        for (Record r : moduleConfigs.values()) {
            if (r instanceof ClusterMembership c) cluster = c;
        }
        if (admin != null) validateAdmin(admin, dir, binder);
        if (cluster != null) validateCluster(cluster, binder, node);
        else if (node != null && !node.isBlank() && !NAME.matcher(node).matches()) {
            binder.error("--node", "'" + node + "' is not a valid node name");
        }
        if (services != null) validateServices(services, sections.get("services"), binder);

        if (!binder.hasErrors() || services != null) {
            Set<String> serviceNames = new LinkedHashSet<>(services == null ? Set.of() : services.keySet());
            publishedServices(modules, moduleConfigs).forEach((svc, module) -> {
                if (!serviceNames.add(svc)) {
                    binder.error("services." + svc, "'" + svc + "' is published by the " + module
                            + " module: it cannot also be defined under services");
                }
            });
            Set<String> nodeNames = new LinkedHashSet<>();
            if (cluster != null) cluster.members().forEach(n -> nodeNames.add(n.name()));
            ValidationContext vctx = new ValidationContext() {
                @Override public ConfigProblems problems() { return binder; }
                @Override public Set<String> serviceNames() { return serviceNames; }
                @Override public Set<String> nodeNames() { return nodeNames; }
                @Override public Path configDir() { return dir; }
            };
            for (Map.Entry<String, Record> e : moduleConfigs.entrySet()) {
                validateModule(modules.get(e.getKey()).orElseThrow(), e.getValue(), vctx, binder);
            }
        }
        if (binder.hasErrors() || admin == null || services == null) {
            throw new ConfigException(binder.errors());
        }
        return new CairnConfig(file, hash, admin, cluster, services, moduleConfigs);
    }

    /** The services modules publish themselves (name to module), in config order. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Map<String, String> publishedServices(ModuleRegistry modules, Map<String, Record> moduleConfigs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Record> e : moduleConfigs.entrySet()) {
            Module m = modules.get(e.getKey()).orElseThrow();
            Set<String> names = m.publishedServices(e.getValue());
            for (String n : names) out.putIfAbsent(n, e.getKey());
        }
        return out;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void validateModule(Module module, Record config, ValidationContext ctx, ConfigBinder binder) {
        try {
            module.validate(config, ctx);
        } catch (RuntimeException e) {
            binder.error(module.name(), "validation failed: " + e);
        }
    }

    private void validateAdmin(AdminConfig admin, Path dir, ConfigBinder problems) {
        if (admin.tokenFile() != null) {
            Path token = dir.resolve(admin.tokenFile());
            try {
                if (Files.readString(token).isBlank()) {
                    problems.error(admin, "token_file", "token file " + token + " is empty");
                }
            } catch (IOException e) {
                problems.error(admin, "token_file", "cannot read token file " + token + ": " + e.getMessage());
            }
        } else if (!isLoopback(admin.listen().host())) {
            problems.error(admin, "listen", "the admin API on a non-loopback address ("
                    + admin.listen() + ") needs token_file: anyone who reaches it could reload or drain");
        }
    }

    /** Names and addresses are the cluster module's to check; --node is the host's. */
    private static void validateCluster(ClusterMembership cluster, ConfigBinder problems, String node) {
        Set<String> names = new HashSet<>();
        cluster.members().forEach(n -> names.add(n.name()));
        if (node != null && !node.isBlank() && !names.contains(node)) {
            problems.error("--node", "no node named '" + node + "' in cluster.nodes"
                    + Suggestions.didYouMean(node, names));
        }
    }

    private static void validateServices(Map<String, ServiceConfig> services, Node node, ConfigBinder problems) {
        Map<String, Node> keyNodes = new LinkedHashMap<>();
        if (node instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k) keyNodes.put(k.getValue(), k);
            }
        }
        for (Map.Entry<String, ServiceConfig> e : services.entrySet()) {
            if (!NAME.matcher(e.getKey()).matches()) {
                problems.error(keyNodes.get(e.getKey()), "services." + e.getKey(),
                        "'" + e.getKey() + "' is not a valid service name (letters, digits, _ . -)");
            }
            if (e.getValue().endpoints().isEmpty()) {
                problems.error(e.getValue(), "endpoints", "a service needs at least one endpoint");
            }
            Set<String> names = new HashSet<>();
            for (EndpointConfig ep : e.getValue().endpoints()) {
                if (!names.add(ep.effectiveName())) {
                    problems.error(ep, ep.name() != null ? "name" : "address",
                            "duplicate endpoint '" + ep.effectiveName() + "' in service " + e.getKey());
                }
            }
        }
    }

    /** Parses a YAML snippet into a node: used for defaults and tests. */
    static Node parse(String yaml) {
        LoadSettings settings = LoadSettings.builder().build();
        return new Composer(settings, new ParserImpl(settings, new StreamReader(settings, yaml)))
                .getSingleNode().orElse(null);
    }

    static boolean isLoopback(String host) {
        if (host.isEmpty()) return false;
        if (host.equals("localhost")) return true;
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Path dirOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".").toAbsolutePath() : parent;
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Type mapOf(Class<?> value) {
        return new ParameterizedType() {
            @Override public Type[] getActualTypeArguments() { return new Type[] {String.class, value}; }
            @Override public Type getRawType() { return Map.class; }
            @Override public Type getOwnerType() { return null; }
        };
    }

    /** For tests: all messages of an exception, one per line. */
    public static List<String> messages(ConfigException e) {
        List<String> out = new ArrayList<>();
        e.errors().forEach(x -> out.add(x.toString()));
        return out;
    }
}
