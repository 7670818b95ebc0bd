package dev.cairn.core.admin;

import java.util.List;
import java.util.Map;

/** The plain HTML status page at {@code GET /}: the same facts as the API, readable without tools. */
final class StatusPage {

    private StatusPage() {
    }

    @SuppressWarnings("unchecked")
    static String render(AdminApi host, Map<String, Object> status, Map<String, Object> catalog) {
        StringBuilder b = new StringBuilder(4096);
        b.append("<!doctype html><html><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"5\">")
                .append("<title>Cairn ").append(esc(status.get("node"))).append("</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}")
                .append("table{border-collapse:collapse;margin-bottom:1.5em}")
                .append("td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}")
                .append("th{background:#f3f3f3}.up{color:#070}.down{color:#b00;font-weight:bold}")
                .append(".drained{color:#a60}code{background:#f3f3f3;padding:0 .2em}")
                .append("</style></head><body>");
        b.append("<h1>Cairn on node <code>").append(esc(status.get("node"))).append("</code></h1>");
        Map<String, Object> cfg = (Map<String, Object>) status.get("config");
        Map<String, Object> reload = (Map<String, Object>) cfg.get("last_reload");
        b.append("<p>Version ").append(esc(status.get("version")))
                .append(" &middot; up ").append(esc(status.get("uptime_seconds"))).append(" s")
                .append(" &middot; config <code>").append(esc(cfg.get("file"))).append("</code> hash <code>")
                .append(esc(cfg.get("hash"))).append("</code></p>");
        if (reload != null && Boolean.FALSE.equals(reload.get("ok"))) {
            b.append("<p class=\"down\">Last reload at ").append(esc(reload.get("at")))
                    .append(" was rejected; the previous config is still running:</p><pre>");
            for (Object e : (List<Object>) reload.get("errors")) b.append(esc(e)).append('\n');
            b.append("</pre>");
        }
        b.append("<h2>Modules</h2><table><tr><th>module</th><th>state</th><th>summary</th></tr>");
        for (Map<String, Object> m : (List<Map<String, Object>>) status.get("modules")) {
            boolean ok = Boolean.TRUE.equals(m.get("healthy"));
            b.append("<tr><td>").append(esc(m.get("name"))).append("</td><td class=\"")
                    .append(ok ? "up\">healthy" : "down\">unhealthy").append("</td><td>")
                    .append(esc(m.get("summary"))).append("</td></tr>");
        }
        b.append("</table>");
        for (Map<String, Object> m : (List<Map<String, Object>>) status.get("modules")) {
            Object details = m.get("details");
            if (details instanceof Map<?, ?> d && !d.isEmpty()) {
                b.append("<h3>").append(esc(m.get("name"))).append("</h3>");
                value(b, details);
            }
        }
        b.append("<h2>Services</h2><table><tr><th>service</th><th>endpoint</th><th>address</th>")
                .append("<th>weight</th><th>health</th><th>since</th><th>last check</th></tr>");
        for (Map<String, Object> s : (List<Map<String, Object>>) catalog.get("services")) {
            for (Map<String, Object> e : (List<Map<String, Object>>) s.get("endpoints")) {
                boolean up = "up".equals(e.get("health"));
                boolean drained = Boolean.TRUE.equals(e.get("drained"));
                b.append("<tr><td>").append(esc(s.get("name"))).append("</td><td>").append(esc(e.get("name")))
                        .append("</td><td>").append(esc(e.get("address"))).append("</td><td>")
                        .append(esc(e.get("weight"))).append("</td><td class=\"")
                        .append(drained ? "drained" : up ? "up" : "down").append("\">")
                        .append(up ? "UP" : "DOWN").append(drained ? " (drained)" : "")
                        .append("</td><td>").append(esc(e.get("since"))).append("</td><td>")
                        .append(esc(e.get("last_check"))).append("</td></tr>");
            }
        }
        b.append("</table><p>JSON: <a href=\"/api/status\">/api/status</a> &middot; ")
                .append("<a href=\"/api/catalog\">/api/catalog</a></p></body></html>\n");
        return b.toString();
    }

    /** Renders module details generically: maps as two-column tables, lists of maps as tables. */
    @SuppressWarnings("unchecked")
    private static void value(StringBuilder b, Object v) {
        if (v instanceof Map<?, ?> m) {
            b.append("<table>");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append("<tr><th>").append(esc(e.getKey())).append("</th><td>");
                value(b, e.getValue());
                b.append("</td></tr>");
            }
            b.append("</table>");
        } else if (v instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Map<?, ?>)) {
            java.util.LinkedHashSet<Object> cols = new java.util.LinkedHashSet<>();
            l.forEach(x -> cols.addAll(((Map<Object, Object>) x).keySet()));
            b.append("<table><tr>");
            cols.forEach(c -> b.append("<th>").append(esc(c)).append("</th>"));
            b.append("</tr>");
            for (Object row : l) {
                b.append("<tr>");
                for (Object c : cols) {
                    b.append("<td>");
                    Object cell = ((Map<Object, Object>) row).get(c);
                    if (cell != null) value(b, cell);
                    b.append("</td>");
                }
                b.append("</tr>");
            }
            b.append("</table>");
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(", ");
                value(b, l.get(i));
            }
        } else {
            b.append(esc(v));
        }
    }

    static String esc(Object o) {
        String s = String.valueOf(o);
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
