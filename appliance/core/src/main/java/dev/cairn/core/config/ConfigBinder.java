package dev.cairn.core.config;

import dev.cairn.spi.config.Suggestions;
import dev.cairn.spi.config.ConfigProblems;
import dev.cairn.spi.config.DataSize;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import dev.cairn.spi.config.Scalar;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
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
 * <p>Record, list and map binding live here; scalar types in {@link ScalarTypes}, {@code ${env:NAME}}
 * in {@link EnvSubstitution}, the problem list (which remembers the YAML node each bound record
 * came from, so a later check can point at the right line) in {@link ConfigProblemList}. The
 * binder is the {@link ConfigProblems} validators report to, handing each report to that list.
 *
 * <p>Not thread-safe: one binder per load.
 */
public final class ConfigBinder implements ConfigProblems {

    /** Stands for "no value" inside an Optional; replaced by null before a record is built. */
    private static final Object NO_VALUE = new Object();


    private final ConfigProblemList problems;
    private final EnvSubstitution env;

    public ConfigBinder(String file, Map<String, String> env) {
        this.problems = new ConfigProblemList(file);
        this.env = new EnvSubstitution(env);
    }

    /** Every problem reported so far, by line and column. */
    public List<ConfigError> errors() {
        return problems.errors();
    }

    // ---- ConfigProblems (the problem list's) ----

    @Override
    public boolean hasErrors() {
        return problems.hasErrors();
    }

    @Override
    public void error(Object record, String key, String message) {
        problems.error(record, key, message);
    }

    @Override
    public void error(String path, String message) {
        problems.error(path, message);
    }

    /** Reports a problem at a node. */
    public void error(Node node, String path, String message) {
        problems.error(node, path, message);
    }

    /** The node a bound record came from, for callers that report their own errors. */
    public Optional<Node> nodeOf(Object record) {
        return problems.nodeOf(record);
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
            error(node, path, "expected a mapping (key: value lines), found " + ScalarTypes.describe(node));
            return null;
        }
        if (List.class.isAssignableFrom(raw) || Set.class.isAssignableFrom(raw)) {
            Type elem = typeArg(type, 0);
            List<Object> out = new ArrayList<>();
            if (node == null || isNull(node)) {
                return Set.class.isAssignableFrom(raw) ? Set.of() : List.of();
            }
            if (!(node instanceof SequenceNode seq)) {
                error(node, path, "expected a list, found " + ScalarTypes.describe(node));
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
                error(node, path, "expected a mapping, found " + ScalarTypes.describe(node));
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
            problems.located(instance, path, source != null ? source : at);
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
        return ScalarTypes.bind(node, type, path, range, env, problems);
    }

    private String keyOf(NodeTuple t, String path) {
        if (t.getKeyNode() instanceof ScalarNode k) {
            return k.getValue();
        }
        error(t.getKeyNode(), path, "keys must be plain words, found " + ScalarTypes.describe(t.getKeyNode()));
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
