package dev.cairn.core.config;

import dev.cairn.spi.config.Suggestions;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.DataSize;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Durations;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import dev.cairn.spi.config.Scalar;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Binds YAML nodes to Java records, strictly: unknown keys, duplicate keys, wrong types and
 * out-of-range values are all reported (with file, line, column and key path) instead of
 * stopping at the first. YAML keys are the snake_case form of record component names.
 *
 * <p>Also the {@link ConfigProblems} that validators report to: it remembers which YAML node
 * each bound record came from, so a later check can point at the right line.
 *
 * <p>Not thread-safe: one binder per load.
 */
public final class ConfigBinder implements ConfigProblems {

    /** Stands for "no value" inside an Optional; replaced by null before a record is built. */
    private static final Object NO_VALUE = new Object();

    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private final String file;
    private final Map<String, String> env;
    private final List<ConfigError> errors = new ArrayList<>();
    private final Map<Object, Located> locations = new IdentityHashMap<>();

    private record Located(String path, Node node) {
    }

    public ConfigBinder(String file, Map<String, String> env) {
        this.file = file;
        this.env = env;
    }

    public List<ConfigError> errors() {
        List<ConfigError> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.comparingInt(ConfigError::line).thenComparingInt(ConfigError::column));
        return sorted;
    }

    @Override
    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    // ---- ConfigProblems ----

    @Override
    public void error(Object record, String key, String message) {
        Located loc = record == null ? null : locations.get(record);
        if (loc == null) {
            errors.add(new ConfigError(file, 0, 0, key == null ? "" : key, message));
            return;
        }
        String path = key == null ? loc.path : join(loc.path, key);
        Node at = loc.node;
        if (key != null && loc.node instanceof MappingNode mapping) {
            for (NodeTuple t : mapping.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    at = t.getValueNode();
                }
            }
        }
        error(at, path, message);
    }

    @Override
    public void error(String path, String message) {
        errors.add(new ConfigError(file, 0, 0, path, message));
    }

    /** Reports a problem at a node. */
    public void error(Node node, String path, String message) {
        int line = 0;
        int col = 0;
        if (node != null) {
            Optional<Mark> mark = node.getStartMark();
            if (mark.isPresent()) {
                line = mark.get().getLine() + 1;
                col = mark.get().getColumn() + 1;
            }
        }
        errors.add(new ConfigError(file, line, col, path, message));
    }

    /** The node a bound record came from, for callers that report their own errors. */
    public Optional<Node> nodeOf(Object record) {
        Located l = locations.get(record);
        return l == null ? Optional.empty() : Optional.ofNullable(l.node);
    }

    // ---- binding ----

    /** Binds {@code node} (null: absent) to {@code type}; returns null after reporting an error. */
    public Object bind(Node node, Type type, String path) {
        Class<?> raw = rawClass(type);
        if (isStructured(raw)) {
            if (node == null || isNull(node)) {
                return bindRecord(null, raw, path, node);
            }
            if (node instanceof MappingNode m) {
                return bindRecord(m, raw, path, m);
            }
            if (node instanceof ScalarNode s && scalarComponent(raw) != null) {
                return bindScalarRecord(s, raw, path);
            }
            error(node, path, "expected a mapping (key: value lines), found " + describe(node));
            return null;
        }
        if (List.class.isAssignableFrom(raw) || Set.class.isAssignableFrom(raw)) {
            Type elem = typeArg(type, 0);
            List<Object> out = new ArrayList<>();
            if (node == null || isNull(node)) {
                return Set.class.isAssignableFrom(raw) ? Set.of() : List.of();
            }
            if (!(node instanceof SequenceNode seq)) {
                error(node, path, "expected a list, found " + describe(node));
                return null;
            }
            boolean ok = true;
            int i = 0;
            for (Node item : seq.getValue()) {
                Object v = bind(item, elem, path + "[" + i++ + "]");
                ok &= v != null;
                out.add(v);
            }
            if (!ok) return null;
            return Set.class.isAssignableFrom(raw)
                    ? Collections.unmodifiableSet(new LinkedHashSet<>(out))
                    : Collections.unmodifiableList(out);
        }
        if (Map.class.isAssignableFrom(raw)) {
            Type valueType = typeArg(type, 1);
            if (node == null || isNull(node)) {
                return Map.of();
            }
            if (!(node instanceof MappingNode m)) {
                error(node, path, "expected a mapping, found " + describe(node));
                return null;
            }
            Entries entries = entries(m, path);
            Map<String, Object> out = new LinkedHashMap<>();
            boolean ok = entries.ok;
            for (NodeTuple t : entries.tuples.values()) {
                String key = ((ScalarNode) t.getKeyNode()).getValue();
                Object v = bind(t.getValueNode(), valueType, join(path, key));
                ok &= v != null;
                out.put(key, v);
            }
            return ok ? Collections.unmodifiableMap(out) : null;
        }
        return bindScalar(node, raw, path, null);
    }

    private Object bindRecord(MappingNode node, Class<?> rc, String path, Node at) {
        RecordComponent[] comps = rc.getRecordComponents();
        Map<String, RecordComponent> byKey = new LinkedHashMap<>();
        for (RecordComponent c : comps) byKey.put(keyName(c.getName()), c);
        Map<String, Node> given = new LinkedHashMap<>();
        boolean ok = true;
        if (node != null) {
            Entries entries = entries(node, path);
            ok = entries.ok;
            for (Map.Entry<String, NodeTuple> e : entries.tuples.entrySet()) {
                if (!byKey.containsKey(e.getKey())) {
                    error(e.getValue().getKeyNode(), join(path, e.getKey()),
                            "unknown key '" + e.getKey() + "'" + Suggestions.didYouMean(e.getKey(), byKey.keySet()));
                    ok = false;
                    continue;
                }
                given.put(e.getKey(), e.getValue().getValueNode());
            }
        }
        Object[] args = new Object[comps.length];
        for (int i = 0; i < comps.length; i++) {
            RecordComponent c = comps[i];
            String key = keyName(c.getName());
            Node value = given.get(key);
            Doc doc = c.getAnnotation(Doc.class);
            String childPath = join(path, key);
            if (value == null || (isNull(value) && !isStructured(c.getType()))) {
                Optional<Object> absent = absent(c, value != null ? value : at, childPath);
                ok &= absent.isPresent();
                args[i] = absent.orElse(null);
                continue;
            }
            Object v = isStructured(c.getType()) || isContainer(c.getType())
                    ? bind(value, c.getGenericType(), childPath)
                    : bindScalar(value, c.getType(), childPath, c.getAnnotation(Range.class));
            if (v == null) {
                ok = false;
            }
            args[i] = v;
        }
        if (!ok) return null;
        return construct(rc, comps, args, node != null ? node : at, path, node);
    }

    private Object bindScalarRecord(ScalarNode s, Class<?> rc, String path) {
        RecordComponent[] comps = rc.getRecordComponents();
        Object[] args = new Object[comps.length];
        boolean ok = true;
        for (int i = 0; i < comps.length; i++) {
            RecordComponent c = comps[i];
            String childPath = join(path, keyName(c.getName()));
            if (c.isAnnotationPresent(Scalar.class)) {
                args[i] = bindScalar(s, c.getType(), path, c.getAnnotation(Range.class));
                ok &= args[i] != null;
            } else {
                Optional<Object> absent = absent(c, s, childPath);
                ok &= absent.isPresent();
                args[i] = absent.orElse(null);
            }
        }
        return ok ? construct(rc, comps, args, s, path, s) : null;
    }

    /** The value of a key that is absent: its default, its empty value, or an error if required. */
    private Optional<Object> absent(RecordComponent c, Node at, String childPath) {
        Doc doc = c.getAnnotation(Doc.class);
        if (doc != null && doc.required()) {
            error(at, childPath, "missing required key '" + keyName(c.getName()) + "'");
            return Optional.empty();
        }
        if (doc != null && !Doc.NONE.equals(doc.dflt())) {
            Object v = bind(parseDefault(doc.dflt()), c.getGenericType(), childPath);
            if (v == null) {
                throw new IllegalStateException("bad default for " + c.getDeclaringRecord().getName() + "." + c.getName());
            }
            return Optional.of(v);
        }
        // Optional.of cannot hold null: a key with neither default nor requirement binds to a sentinel.
        Object empty = emptyValue(c);
        return Optional.of(empty == null ? NO_VALUE : empty);
    }

    /** The keys of a mapping in order, reporting non-scalar and duplicate keys. */
    private record Entries(Map<String, NodeTuple> tuples, boolean ok) {
    }

    private Entries entries(MappingNode m, String path) {
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        Map<String, Node> seen = new HashMap<>();
        boolean ok = true;
        for (NodeTuple t : m.getValue()) {
            String key = keyOf(t, path);
            if (key == null || !checkDuplicate(seen, key, t.getKeyNode(), path)) {
                ok = false;
                continue;
            }
            out.put(key, t);
        }
        return new Entries(out, ok);
    }

    private Object construct(Class<?> rc, RecordComponent[] comps, Object[] args, Node at, String path,
                             Node source) {
        for (int i = 0; i < args.length; i++) {
            if (args[i] == NO_VALUE) args[i] = null;
        }
        try {
            Class<?>[] types = Arrays.stream(comps).map(RecordComponent::getType).toArray(Class<?>[]::new);
            Constructor<?> ctor = rc.getDeclaredConstructor(types);
            ctor.setAccessible(true);
            Object instance = ctor.newInstance(args);
            locations.put(instance, new Located(path, source != null ? source : at));
            return instance;
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalArgumentException) {
                error(at, path, cause.getMessage());
                return null;
            }
            throw new IllegalStateException("cannot build " + rc.getSimpleName() + " at " + path, cause);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot build " + rc.getSimpleName(), e);
        }
    }

    private Object bindScalar(Node node, Class<?> type, String path, Range range) {
        if (node == null || isNull(node)) {
            error(node, path, "needs a value");
            return null;
        }
        if (!(node instanceof ScalarNode s)) {
            error(node, path, "expected " + expected(type) + ", found " + describe(node));
            return null;
        }
        String text = substituteEnv(s, path);
        if (text == null) return null;
        try {
            if (type == String.class) return text;
            if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
                long v;
                try {
                    v = Long.parseLong(text.trim().replace("_", ""));
                } catch (NumberFormatException e) {
                    error(node, path, "'" + text + "' is not a whole number");
                    return null;
                }
                if (range != null && (v < range.min() || v > range.max())) {
                    error(node, path, v + " is out of range " + bound(range.min()) + ".." + bound(range.max()));
                    return null;
                }
                if ((type == int.class || type == Integer.class) && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                    error(node, path, v + " is too large");
                    return null;
                }
                return type == int.class || type == Integer.class ? (Object) (int) v : (Object) v;
            }
            if (type == double.class || type == Double.class) {
                double v = Double.parseDouble(text.trim());
                if (range != null && (v < range.min() || v > range.max())) {
                    error(node, path, text + " is out of range " + bound(range.min()) + ".." + bound(range.max()));
                    return null;
                }
                return v;
            }
            if (type == boolean.class || type == Boolean.class) {
                return switch (text.trim()) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> {
                        error(node, path, "expected true or false, found '" + text + "'");
                        yield null;
                    }
                };
            }
            if (type == Duration.class) return Durations.parse(text);
            if (type == DataSize.class) return DataSize.parse(text);
            if (type == HostPort.class) return HostPort.parse(text);
            if (type == Path.class) {
                if (text.isBlank()) {
                    error(node, path, "needs a path");
                    return null;
                }
                return Path.of(text);
            }
            if (type.isEnum()) {
                String want = text.trim().replace('-', '_').toUpperCase(Locale.ROOT);
                List<String> names = new ArrayList<>();
                for (Object c : type.getEnumConstants()) {
                    String n = ((Enum<?>) c).name();
                    if (n.equals(want)) return c;
                    names.add(n.toLowerCase(Locale.ROOT).replace('_', '-'));
                }
                error(node, path, "'" + text + "' is not one of " + String.join(", ", names)
                        + Suggestions.didYouMean(text, names));
                return null;
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            error(node, path, e.getMessage());
            return null;
        }
        throw new IllegalStateException("unsupported config type " + type.getName() + " at " + path);
    }

    private String substituteEnv(ScalarNode s, String path) {
        String text = s.getValue();
        Matcher m = ENV.matcher(text);
        StringBuilder sb = new StringBuilder();
        boolean ok = true;
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null) {
                error(s, path, "environment variable " + m.group(1) + " is not set");
                ok = false;
                value = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return ok ? sb.toString() : null;
    }

    private String keyOf(NodeTuple t, String path) {
        if (t.getKeyNode() instanceof ScalarNode k) {
            return k.getValue();
        }
        error(t.getKeyNode(), path, "keys must be plain words, found " + describe(t.getKeyNode()));
        return null;
    }

    private boolean checkDuplicate(Map<String, Node> seen, String key, Node keyNode, String path) {
        Node first = seen.putIfAbsent(key, keyNode);
        if (first == null) return true;
        int line = first.getStartMark().map(mk -> mk.getLine() + 1).orElse(0);
        error(keyNode, join(path, key), "duplicate key '" + key + "' (first defined at line " + line + ")");
        return false;
    }

    private static Object emptyValue(RecordComponent c) {
        Class<?> t = c.getType();
        if (t == boolean.class) return false;
        if (t == int.class) return 0;
        if (t == long.class) return 0L;
        if (t == double.class) return 0.0;
        if (List.class.isAssignableFrom(t)) return List.of();
        if (Set.class.isAssignableFrom(t)) return Set.of();
        if (Map.class.isAssignableFrom(t)) return Map.of();
        return null;
    }

    /** Records bind from mappings, except the value types written as one scalar. */
    private static boolean isStructured(Class<?> t) {
        return t.isRecord() && t != HostPort.class && t != DataSize.class;
    }

    private static boolean isContainer(Class<?> t) {
        return List.class.isAssignableFrom(t) || Set.class.isAssignableFrom(t) || Map.class.isAssignableFrom(t);
    }

    static Node parseDefault(String yaml) {
        LoadSettings settings = LoadSettings.builder().setLabel("default").build();
        Composer composer = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, yaml)));
        return composer.getSingleNode().orElse(null);
    }

    private static RecordComponent scalarComponent(Class<?> rc) {
        for (RecordComponent c : rc.getRecordComponents()) {
            if (c.isAnnotationPresent(Scalar.class)) return c;
        }
        return null;
    }

    static boolean isNull(Node node) {
        return node instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
    }

    private static String describe(Node node) {
        if (node instanceof MappingNode) return "a mapping";
        if (node instanceof SequenceNode) return "a list";
        if (node instanceof ScalarNode s) return "'" + s.getValue() + "'";
        return "nothing";
    }

    private static String expected(Class<?> type) {
        if (type == String.class || type == Path.class) return "a string";
        if (type == boolean.class || type == Boolean.class) return "true or false";
        if (type == Duration.class) return "a duration (e.g. 2s)";
        if (type == DataSize.class) return "a size (e.g. 512MiB)";
        if (type == HostPort.class) return "host:port";
        return "a single value";
    }

    private static String bound(long v) {
        return v == Long.MIN_VALUE ? "" : v == Long.MAX_VALUE ? "" : Long.toString(v);
    }

    /** {@code tokenFile -> token_file}. */
    public static String keyName(String component) {
        StringBuilder sb = new StringBuilder();
        for (char ch : component.toCharArray()) {
            if (Character.isUpperCase(ch)) {
                sb.append('_').append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    static String join(String path, String key) {
        return path == null || path.isEmpty() ? key : path + "." + key;
    }

    private static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) return c;
        if (t instanceof ParameterizedType p) return (Class<?>) p.getRawType();
        throw new IllegalStateException("unsupported type " + t);
    }

    private static Type typeArg(Type t, int i) {
        if (t instanceof ParameterizedType p) return p.getActualTypeArguments()[i];
        return String.class;
    }
}
