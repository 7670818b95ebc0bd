package dev.cairn.core.config;

import dev.cairn.spi.config.DataSize;
import dev.cairn.spi.config.Durations;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import dev.cairn.spi.config.Suggestions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * The scalar types a config key may have (strings, whole numbers with their {@link Range},
 * numbers, booleans, durations, sizes, host:port, paths, enums) and their error messages.
 */
final class ScalarTypes {

    private ScalarTypes() {
    }

    /** Binds a scalar node to {@code type}; null after reporting a problem. */
    static Object bind(Node node, Class<?> type, String path, Range range, EnvSubstitution env, ConfigProblemList problems) {
        if (node == null || ConfigBinder.isNull(node)) {
            problems.error(node, path, "needs a value");
            return null;
        }
        if (!(node instanceof ScalarNode s)) {
            problems.error(node, path, "expected " + expected(type) + ", found " + describe(node));
            return null;
        }
        String text = env.apply(s, path, problems);
        if (text == null) return null;
        try {
            if (type == String.class) return text;
            if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
                long v;
                try {
                    v = Long.parseLong(text.trim().replace("_", ""));
                } catch (NumberFormatException e) {
                    problems.error(node, path, "'" + text + "' is not a whole number");
                    return null;
                }
                if (range != null && (v < range.min() || v > range.max())) {
                    problems.error(node, path, v + " is out of range " + bound(range.min()) + ".." + bound(range.max()));
                    return null;
                }
                if ((type == int.class || type == Integer.class) && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                    problems.error(node, path, v + " is too large");
                    return null;
                }
                return type == int.class || type == Integer.class ? (Object) (int) v : (Object) v;
            }
            if (type == double.class || type == Double.class) {
                double v = Double.parseDouble(text.trim());
                if (range != null && (v < range.min() || v > range.max())) {
                    problems.error(node, path, text + " is out of range " + bound(range.min()) + ".." + bound(range.max()));
                    return null;
                }
                return v;
            }
            if (type == boolean.class || type == Boolean.class) {
                return switch (text.trim()) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> {
                        problems.error(node, path, "expected true or false, found '" + text + "'");
                        yield null;
                    }
                };
            }
            if (type == Duration.class) return Durations.parse(text);
            if (type == DataSize.class) return DataSize.parse(text);
            if (type == HostPort.class) return HostPort.parse(text);
            if (type == Path.class) {
                if (text.isBlank()) {
                    problems.error(node, path, "needs a path");
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
                problems.error(node, path, "'" + text + "' is not one of " + String.join(", ", names)
                        + Suggestions.didYouMean(text, names));
                return null;
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.error(node, path, e.getMessage());
            return null;
        }
        throw new IllegalStateException("unsupported config type " + type.getName() + " at " + path);
    }

    static String describe(Node node) {
        if (node instanceof MappingNode) return "a mapping";
        if (node instanceof SequenceNode) return "a list";
        if (node instanceof ScalarNode s) return "'" + s.getValue() + "'";
        return "nothing";
    }

    static String expected(Class<?> type) {
        if (type == String.class || type == Path.class) return "a string";
        if (type == boolean.class || type == Boolean.class) return "true or false";
        if (type == Duration.class) return "a duration (e.g. 2s)";
        if (type == DataSize.class) return "a size (e.g. 512MiB)";
        if (type == HostPort.class) return "host:port";
        return "a single value";
    }

    static String bound(long v) {
        return v == Long.MIN_VALUE ? "" : v == Long.MAX_VALUE ? "" : Long.toString(v);
    }
}
