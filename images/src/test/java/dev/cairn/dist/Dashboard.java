package dev.cairn.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Grafana dashboard JSON as a test reads it: its panels with their PromQL targets, and its
 * template variables, resolved against a real Prometheus the way Grafana resolves them (query
 * variables through label_values, the variable's regex applied, "All" as an alternation; interval
 * and custom variables at their current value), then substituted into every query.
 */
final class Dashboard {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)\\s*$");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z0-9_]+)(?::[^}]*)?}|\\[\\[([A-Za-z0-9_]+)]]|\\$([A-Za-z0-9_]+)");

    /** Grafana's built-in ranges for a 1 s scrape interval and a short time range. */
    static final Map<String, String> BUILT_INS = Map.of(
            "__rate_interval", "15s", "__interval", "5s", "__interval_ms", "5000", "__range", "30s",
            "__range_s", "30", "__range_ms", "30000", "__auto_interval", "5s");

    record Panel(String title, List<String> exprs) {
    }

    final String file;
    final String title;
    final String uid;
    final List<Panel> panels = new ArrayList<>();
    final JsonNode root;

    private Dashboard(String file, JsonNode root) {
        this.file = file;
        this.root = root;
        this.title = root.path("title").asText();
        this.uid = root.path("uid").asText(null);
        collect(root.path("panels"));
    }

    static Dashboard read(Path file) throws IOException {
        return new Dashboard(file.getFileName().toString(), JSON.readTree(file.toFile()));
    }

    private void collect(JsonNode list) {
        for (JsonNode p : list) {
            if (p.has("panels")) collect(p.path("panels"));
            List<String> exprs = new ArrayList<>();
            for (JsonNode t : p.path("targets")) {
                if (t.path("hide").asBoolean(false)) continue;
                String e = t.path("expr").asText("");
                if (!e.isBlank()) exprs.add(e);
            }
            if (!exprs.isEmpty()) panels.add(new Panel(p.path("title").asText("(untitled)"), exprs));
        }
    }

    /** Every template variable's value, resolved in order (later ones may use earlier ones). */
    Map<String, String> resolveVariables(Prometheus prometheus) throws IOException, InterruptedException {
        Map<String, String> values = new LinkedHashMap<>(BUILT_INS);
        for (JsonNode v : root.path("templating").path("list")) {
            String name = v.path("name").asText();
            String type = v.path("type").asText();
            switch (type) {
                case "query" -> {
                    JsonNode q = v.path("query");
                    String query = substitute(q.isTextual() ? q.asText() : q.path("query").asText(), values);
                    Matcher m = LABEL_VALUES.matcher(query);
                    List<String> found = new ArrayList<>();
                    if (m.matches()) {
                        found = prometheus.labelValues(m.group(1), m.group(2));
                    }
                    found = applyRegex(found, v.path("regex").asText(""));
                    String value;
                    if (found.isEmpty()) value = "";
                    else if (v.path("includeAll").asBoolean(false) && found.size() > 1) value = "(" + String.join("|", found) + ")";
                    else value = found.get(0);
                    values.put(name, value);
                }
                case "interval", "custom", "constant", "textbox" -> {
                    String current = v.path("current").path("value").asText("");
                    if (current.isEmpty()) current = v.path("query").asText("").split(",")[0].trim();
                    values.put(name, current);
                }
                default -> values.put(name, "");
            }
        }
        return values;
    }

    private static List<String> applyRegex(List<String> values, String regex) {
        if (regex.isBlank()) return values;
        String body = regex.startsWith("/") && regex.lastIndexOf('/') > 0 ? regex.substring(1, regex.lastIndexOf('/')) : regex;
        Pattern p = Pattern.compile(body);
        List<String> out = new ArrayList<>();
        for (String v : values) {
            Matcher m = p.matcher(v);
            if (m.find()) {
                String s = m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group();
                if (!out.contains(s)) out.add(s);
            }
        }
        return out;
    }

    static String substitute(String expr, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            String value = values.get(name);
            m.appendReplacement(out, Matcher.quoteReplacement(value != null ? value : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }
}
