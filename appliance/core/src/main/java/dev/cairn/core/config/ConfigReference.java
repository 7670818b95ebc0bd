package dev.cairn.core.config;

import dev.cairn.core.catalog.ServiceConfig;
import dev.cairn.spi.Module;
import dev.cairn.spi.config.DataSize;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes docs/config.md from the config records themselves (their {@link Doc} annotations), so
 * the reference lists every key the binder accepts, with its default and whether it reloads live.
 */
public final class ConfigReference {

    private ConfigReference() {
    }

    public static String markdown(ModuleRegistry modules) {
        StringBuilder b = new StringBuilder();
        b.append("# Cairn configuration reference\n\n")
                .append("Generated from the config records by `cairn config-reference`; do not edit by hand ")
                .append("(`scripts/cairn config-reference > docs/config.md`).\n\n")
                .append("One YAML file, the same on every node. Unknown keys are errors. Durations are written ")
                .append("`500ms`, `2s`, `1m30s`, `24h`, `7d`; sizes `512MiB`, `2MB`, `4096`; addresses `host:port`, ")
                .append("`[v6]:port` or `:port` (every interface). Any value may use `${env:NAME}`; secrets are ")
                .append("read from files (`*_file` keys), never required inline.\n\n")
                .append("**Reload** says what happens when the key changes and Cairn gets SIGHUP or ")
                .append("`POST /api/reload`: *live* applies without a restart and without dropping established ")
                .append("connections and without re-opening a listener; *restart* is not applied in place: the listener ")
                .append("the key belongs to is re-opened (the new socket bound before the old one closes, where the ")
                .append("address allows), or the key waits for the next start. A reload reports every restart key it ")
                .append("met, and `cairn check -c NEW --against RUNNING` lists them before anything is applied. ")
                .append("A section present turns its module on.\n\n");
        section(b, "admin", AdminConfig.class, "The admin API and status page.");
        b.append("## services\n\nThe catalog: `services: { NAME: {...} }`, one entry per service (names: letters, ")
                .append("digits, `_ . -`). Endpoints can be written as `host:port` or as a mapping.\n\n");
        table(b, "services.NAME", ServiceConfig.class);
        List<Module<?>> sorted = new java.util.ArrayList<>(modules.all());
        sorted.sort(java.util.Comparator.comparing(Module::name));
        for (Module<?> m : sorted) {
            section(b, m.name(), m.configType(), "Turns on the " + m.name() + " module; see modules/" + m.name()
                    + "/README.md for examples.");
        }
        return b.toString();
    }

    private static void section(StringBuilder b, String name, Class<?> type, String about) {
        b.append("## ").append(name).append("\n\n").append(about).append("\n\n");
        table(b, name, type);
    }

    private static void table(StringBuilder b, String prefix, Class<?> type) {
        b.append("| key | type | default | reload | meaning |\n| --- | --- | --- | --- | --- |\n");
        rows(b, prefix, type, new HashSet<>());
        b.append('\n');
    }

    private static void rows(StringBuilder b, String prefix, Class<?> type, Set<Class<?>> seen) {
        if (!seen.add(type)) return;
        for (RecordComponent c : type.getRecordComponents()) {
            Doc doc = c.getAnnotation(Doc.class);
            String key = prefix + "." + ConfigBinder.keyName(c.getName());
            String dflt = doc == null || Doc.NONE.equals(doc.dflt())
                    ? (doc != null && doc.required() ? "required" : "—")
                    : "`" + doc.dflt() + "`";
            Range range = c.getAnnotation(Range.class);
            String typeName = typeName(c.getGenericType());
            if (range != null) {
                typeName += " " + (range.min() == Long.MIN_VALUE ? "" : range.min()) + ".."
                        + (range.max() == Long.MAX_VALUE ? "" : range.max());
            }
            b.append("| `").append(key).append("` | ").append(typeName).append(" | ").append(dflt).append(" | ")
                    .append(doc != null && doc.restart() ? "restart" : "live").append(" | ")
                    .append(doc == null ? "" : doc.value().replace("|", "\\|")).append(" |\n");
            Class<?> nested = nestedRecord(c.getGenericType());
            if (nested != null) {
                String child = key + (isList(c.getGenericType()) ? "[]" : isMap(c.getGenericType()) ? ".NAME" : "");
                rows(b, child, nested, seen);
            }
        }
        seen.remove(type);
    }

    private static Class<?> nestedRecord(Type t) {
        if (t instanceof Class<?> c) return isStructured(c) ? c : null;
        if (t instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            return nestedRecord(args[args.length - 1]);
        }
        return null;
    }

    private static boolean isStructured(Class<?> c) {
        return c.isRecord() && c != HostPort.class && c != DataSize.class;
    }

    private static boolean isList(Type t) {
        return t instanceof ParameterizedType p && (p.getRawType() == List.class || p.getRawType() == Set.class);
    }

    private static boolean isMap(Type t) {
        return t instanceof ParameterizedType p && p.getRawType() == Map.class;
    }

    static String typeName(Type t) {
        if (t instanceof ParameterizedType p) {
            Type[] a = p.getActualTypeArguments();
            if (p.getRawType() == Map.class) return "map of name → " + typeName(a[1]);
            return "list of " + typeName(a[0]);
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class) return "string";
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) return "integer";
        if (c == double.class || c == Double.class) return "number";
        if (c == boolean.class || c == Boolean.class) return "boolean";
        if (c == Duration.class) return "duration";
        if (c == DataSize.class) return "size";
        if (c == HostPort.class) return "host:port";
        if (c == Path.class) return "path";
        if (c.isEnum()) {
            return Arrays.stream(c.getEnumConstants()).map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT).replace('_', '-'))
                    .collect(Collectors.joining(" \\| "));
        }
        if (c.isRecord()) return "mapping";
        return c.getSimpleName();
    }
}
