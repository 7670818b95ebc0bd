package dev.cairn.core.importer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The config being built (ordered maps and lists) and its rendering as readable YAML. */
final class YamlTree {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./][A-Za-z0-9_./@+-]*");
    private static final Pattern RESERVED = Pattern.compile(
            "(?i)true|false|yes|no|on|off|null|~|y|n|[-+]?[0-9][0-9_]*(\\.[0-9]*)?([eE][-+]?[0-9]+)?|0x[0-9a-f]+|\\.inf|\\.nan");

    final Map<String, Object> root = new LinkedHashMap<>();

    /** The map at {@code path}, created (in order) when missing. */
    @SuppressWarnings("unchecked")
    Map<String, Object> map(String... path) {
        Map<String, Object> m = root;
        for (String p : path) m = (Map<String, Object>) m.computeIfAbsent(p, k -> new LinkedHashMap<String, Object>());
        return m;
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String... path) {
        Map<String, Object> parent = map(java.util.Arrays.copyOf(path, path.length - 1));
        return (List<Object>) parent.computeIfAbsent(path[path.length - 1], k -> new java.util.ArrayList<>());
    }

    static Map<String, Object> entry(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    String render() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            block(out, e.getKey(), e.getValue(), 0);
            out.append('\n');
        }
        return out.toString();
    }

    private static void block(StringBuilder out, String key, Object value, int indent) {
        String pad = " ".repeat(indent);
        if (value instanceof Map<?, ?> m && !m.isEmpty() && !isLeafMap(m)) {
            out.append(pad).append(scalar(key)).append(":\n");
            m.forEach((k, v) -> block(out, (String) k, v, indent + 2));
        } else if (value instanceof List<?> l && !l.isEmpty() && !isLeafList(l)) {
            out.append(pad).append(scalar(key)).append(":\n");
            for (Object item : l) {
                if (item instanceof Map<?, ?> m && !isLeafMap(m)) {
                    boolean first = true;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        StringBuilder sub = new StringBuilder();
                        block(sub, (String) e.getKey(), e.getValue(), indent + 4);
                        String text = sub.toString();
                        out.append(first ? pad + "  - " + text.substring(indent + 4) : text);
                        first = false;
                    }
                } else {
                    out.append(pad).append("  - ").append(flow(item)).append('\n');
                }
            }
        } else {
            out.append(pad).append(scalar(key)).append(": ").append(flow(value)).append('\n');
        }
    }

    private static boolean isLeafMap(Map<?, ?> m) {
        return m.values().stream().allMatch(v -> !(v instanceof Map) && !(v instanceof List<?> l && !isLeafList(l)))
                && flow(m).length() <= 80;
    }

    private static boolean isLeafList(List<?> l) {
        return l.stream().allMatch(v -> !(v instanceof Map) && !(v instanceof List)) && flow(l).length() <= 80;
    }

    private static String flow(Object v) {
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            m.forEach((k, x) -> b.append(b.length() > 1 ? ", " : " ").append(scalar((String) k)).append(": ").append(flow(x)));
            return b.append(m.isEmpty() ? "}" : " }").toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (Object x : l) b.append(b.length() > 1 ? ", " : "").append(flow(x));
            return b.append(']').toString();
        }
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        return scalar(String.valueOf(v));
    }

    static String scalar(String s) {
        if (PLAIN.matcher(s).matches() && !RESERVED.matcher(s).matches()) return s;
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
