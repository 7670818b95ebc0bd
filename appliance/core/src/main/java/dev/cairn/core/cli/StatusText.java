package dev.cairn.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code cairn status} for people: the node and its config status, the modules' health, then one
 * section per module laid out like the console (tables for VIPs, nodes, zones, replication nodes,
 * backup jobs; aligned key/value lines for the rest) and the services' endpoints. Health (is it up?)
 * and config status (is the file applied?) are reported apart; an endpoint's health and whether it
 * is in rotation are two columns. Built from the JSON of /api/status and /api/catalog only, so
 * {@code --json} prints exactly what this reads.
 */
final class StatusText {

    private final StringBuilder out = new StringBuilder(4096);

    private StatusText() {
    }

    static String render(JsonNode status, JsonNode catalog) {
        StatusText t = new StatusText();
        t.header(status);
        t.modules(status.path("modules"));
        JsonNode proxy = null;
        for (JsonNode m : status.path("modules")) {
            String name = m.path("name").asText();
            JsonNode d = m.path("details");
            if (name.equals("proxy")) proxy = d;
            if (!d.isObject() || d.isEmpty()) continue;
            t.line("");
            t.line(name + ":");
            switch (name) {
                case "cluster" -> t.cluster(d);
                case "proxy" -> t.proxy(d);
                case "dns" -> t.dns(d);
                case "replication" -> t.replication(d);
                case "backup" -> t.backup(d);
                default -> t.keyValues(d, "  ");
            }
        }
        t.services(catalog.path("services"), proxy == null ? null : proxy.path("sessions"));
        return t.out.toString();
    }

    private void header(JsonNode s) {
        JsonNode cfg = s.path("config");
        JsonNode reload = cfg.path("last_reload");
        String cluster = s.path("cluster").isTextual() ? "  cluster " + s.path("cluster").asText() : "";
        line("node " + s.path("node").asText() + cluster + "  version " + s.path("version").asText() + "  up "
                + uptime(s.path("uptime_seconds").asLong()));
        line("config " + cfg.path("file").asText() + "  hash " + cfg.path("hash").asText());
        if (!reload.isMissingNode() && !reload.isEmpty()) {
            boolean ok = reload.path("ok").asBoolean(true);
            line("  last reload " + (ok ? "applied" : "REJECTED (the previous config is still running)") + " at "
                    + when(reload.path("at").asText()));
            for (JsonNode e : reload.path("errors")) line("    " + e.asText());
            List<String> restart = texts(reload.path("restart_keys"));
            if (!restart.isEmpty()) line("  needs a restart to apply: " + String.join(", ", restart));
        }
    }

    private void modules(JsonNode modules) {
        line("");
        // Two spaces between columns, as in every table here; the widths fit the module names.
        line(String.format("%-13s %-10s %s", "MODULE", "HEALTH", "SUMMARY"));
        for (JsonNode m : modules) {
            line(String.format("%-13s %-10s %s", m.path("name").asText(),
                    m.path("healthy").asBoolean() ? "healthy" : "UNHEALTHY", m.path("summary").asText()));
        }
    }

    private void cluster(JsonNode d) {
        List<String> facts = new ArrayList<>();
        if (d.hasNonNull("node")) facts.add("this node " + d.path("node").asText());
        if (d.hasNonNull("quorum")) facts.add("quorum " + d.path("quorum").asText());
        if (!facts.isEmpty()) line("  " + String.join(", ", facts));
        Table nodes = new Table("NODE", "ADDRESS", "STATE", "PRIORITY", "CONFIG HASH", "LAST ADVERT");
        for (JsonNode n : d.path("nodes")) {
            boolean self = n.path("self").asBoolean();
            boolean drift = n.has("config_hash_matches") && !n.path("config_hash_matches").asBoolean();
            nodes.row(n.path("name").asText() + (self ? " (this node)" : ""), n.path("address").asText(),
                    n.path("up").asBoolean() ? "up" : "DOWN", n.path("priority").asText(),
                    n.path("config_hash").asText("") + (drift ? " DIFFERS (drift)" : ""),
                    self ? "" : when(n.path("last_advert").asText("")));
        }
        gap(nodes.print("  "));
        Table vips = new Table("VIP", "DEVICE", "STATE HERE", "HOLDER", "PRIORITY", "SINCE", "REASON");
        for (JsonNode v : d.path("vips")) {
            String holder = v.path("master").asText("");
            vips.row(v.path("vip").asText(), v.path("dev").asText(), v.path("state").asText(),
                    holder.isEmpty() ? "NONE" : holder, v.path("priority").asText(), when(v.path("since").asText("")),
                    v.path("reason").asText("") + (v.hasNonNull("driver_error") ? "; driver: " + v.path("driver_error").asText() : ""));
        }
        vips.print("  ");
        List<String> mismatches = texts(d.path("config_hash_mismatches"));
        if (!mismatches.isEmpty()) line("  config drift: " + String.join(", ", mismatches));
        if (d.hasNonNull("witness")) line("  witness: " + plain(d.path("witness")));
        keyValues(except(d, "node", "quorum", "nodes", "vips", "config_hash_mismatches", "witness"), "  ");
    }

    private void proxy(JsonNode d) {
        Table listeners = new Table("LISTENER", "ADDRESS");
        Table forwards = new Table("TCP FORWARD", "SERVICE");
        Table services = new Table("SERVICE", "ENDPOINTS");
        com.fasterxml.jackson.databind.node.ObjectNode rest = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        d.fields().forEachRemaining(e -> {
            String k = e.getKey();
            if (k.startsWith("listener ")) listeners.row(k.substring(9), e.getValue().asText());
            else if (k.startsWith("tcp ")) forwards.row(k.substring(4), e.getValue().asText());
            else if (k.startsWith("service ")) services.row(k.substring(8), e.getValue().asText());
            else if (!k.equals("sessions")) rest.set(k, e.getValue()); // sessions: a column of the endpoints' table
        });
        gap(listeners.print("  ") | forwards.print("  "));
        services.print("  ");
        keyValues(rest, "  ");
    }

    private void dns(JsonNode d) {
        line("  listening on " + d.path("listen").asText() + (d.hasNonNull("udp") ? " (udp: " + d.path("udp").asText() + ")" : ""));
        Table zones = new Table("ZONE", "SERIAL", "RECORDS", "FILE", "LOADED", "BY", "LAST RELOAD");
        List<String> errors = new ArrayList<>();
        d.path("zones").fields().forEachRemaining(e -> {
            JsonNode z = e.getValue();
            boolean failed = "failed".equals(z.path("last_reload").asText());
            zones.row(e.getKey(), z.path("serial").asText(), z.path("records").asText(), z.path("file").asText(""),
                    when(z.path("loaded_at").asText("")), z.path("loaded_by").asText(""),
                    z.has("last_reload") ? (failed ? "FAILED" : "ok") + " at " + when(z.path("last_reload_at").asText()) : "");
            if (failed) errors.add(e.getKey() + " " + z.path("last_reload_error").asText());
        });
        zones.print("  ");
        for (String e : errors) line("  reload failed, still serving the zone loaded before: " + e);
        keyValues(except(d, "listen", "udp", "zones"), "  ");
    }

    private void replication(JsonNode d) {
        d.path("clusters").fields().forEachRemaining(e -> {
            JsonNode c = e.getValue();
            List<String> facts = new ArrayList<>();
            facts.add("primary " + (c.path("primary").isTextual() ? c.path("primary").asText() : "NONE"));
            facts.add("analysis " + String.join(", ", texts(c.path("analysis"))));
            if (c.has("epoch")) facts.add("epoch " + c.path("epoch").asText());
            line("  cluster " + e.getKey() + ": " + String.join(", ", facts));
            Table nodes = new Table("NODE", "ADDRESS", "ROLE", "REACHABLE", "LAG", "IO THREAD", "SQL THREAD", "READ ONLY", "SOURCE",
                    "SERVES READS", "ERROR");
            for (JsonNode n : c.path("nodes")) {
                String lag = n.has("lag_seconds") ? n.path("lag_seconds").asText() + " s (" + n.path("lag_from").asText() + ")" : "";
                JsonNode ch = n.path("replication");
                List<String> errors = new ArrayList<>();
                if (n.hasNonNull("error")) errors.add(n.path("error").asText());
                if (ch.hasNonNull("last_io_error")) errors.add("IO " + ch.path("last_io_error").asText());
                if (ch.hasNonNull("last_sql_error")) errors.add("SQL " + ch.path("last_sql_error").asText());
                String reach = n.path("reach").asText();
                nodes.row(n.path("name").asText(), n.path("address").asText(), n.path("role").asText(),
                        reach.equals("up") ? "yes" : "NO (" + reach + ")", lag,
                        ch.isObject() ? ch.path("io").asText() : "", ch.isObject() ? yesNo(ch.path("sql")) : "",
                        n.has("read_only") ? yesNo(n.path("read_only")) : "", n.path("source").asText(""),
                        yesNo(n.path("serves_reads")), String.join("; ", errors));
            }
            nodes.print("    ");
            JsonNode f = c.path("failover");
            if (f.isObject()) {
                line("    failover: mode " + f.path("mode").asText() + ", " + f.path("durability").asText() + ", "
                        + f.path("automation").asText() + ", phase " + f.path("phase").asText());
                JsonNode lf = f.path("last_failover");
                if (lf.isObject()) {
                    line("    last failover: " + (lf.path("ok").asBoolean() ? "succeeded" : "FAILED")
                            + (lf.hasNonNull("at") ? " at " + when(lf.path("at").asText()) : "") + ", "
                            + lf.path("old_primary").asText("?") + " -> " + lf.path("new_primary").asText("?")
                            + ", epoch " + lf.path("epoch").asText() + (lf.has("duration_ms") ? ", took " + lf.path("duration_ms").asText()
                            + " ms (writes unavailable " + lf.path("write_unavailable_ms").asText() + " ms)" : ""));
                    if (lf.hasNonNull("detail")) line("      " + lf.path("detail").asText());
                    JsonNode audit = lf.path("audit");
                    if (audit.size() > 0) {
                        line("      audit: " + audit.size() + " steps, last: " + when(audit.get(audit.size() - 1).asText())
                                + " (all of it: cairn replication status " + e.getKey() + ")");
                    }
                } else {
                    line("    last failover: none since this node started");
                }
                for (String w : texts(f.path("warnings"))) line("    warning: " + w);
            }
            if (c.path("findings").size() > 0) {
                line("    findings:");
                for (JsonNode x : c.path("findings")) {
                    line("      " + x.path("id").asText() + " " + x.path("node").asText("") + ": " + x.path("message").asText());
                }
            }
        });
    }

    private void backup(JsonNode d) {
        Table jobs = new Table("JOB", "LAST SUCCESS", "SLA", "SNAPSHOTS", "NEXT RUN", "LAST ERROR");
        d.path("jobs").fields().forEachRemaining(e -> {
            JsonNode j = e.getValue();
            JsonNode sla = j.path("sla");
            String slaText = !sla.isObject() ? "" : sla.path("sla_met").asBoolean(true) ? "met"
                    : "BROKEN: " + String.join("; ", texts(sla.path("breaches")));
            jobs.row(e.getKey(), j.hasNonNull("last_success") ? when(j.path("last_success").asText()) : "never", slaText,
                    j.path("snapshots").asText(""), j.hasNonNull("next_run") ? when(j.path("next_run").asText()) : "",
                    j.hasNonNull("last_error") ? j.path("last_error").asText() : "");
        });
        jobs.print("  ");
        d.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("jobs")) keyValues(mapOf(e.getKey(), e.getValue()), "  ");
        });
    }

    private void services(JsonNode services, JsonNode sessions) {
        line("");
        Table t = new Table("SERVICE", "ENDPOINT", "ADDRESS", "HEALTH", "SINCE", "TRAFFIC", "WEIGHT", "SESSIONS", "LAST CHECK", "CHECK TIME");
        for (JsonNode svc : services) {
            String name = svc.path("name").asText();
            if (svc.path("endpoints").isEmpty()) {
                t.row(name, "(none)", "", "", "", "", "", "", "", "");
                continue;
            }
            for (JsonNode e : svc.path("endpoints")) {
                String ep = e.path("name").asText();
                String address = e.path("address").asText();
                JsonNode s = sessions == null ? null : sessions.path(name).path(ep);
                t.row(name, ep, address.equals(ep) ? "" : address, e.path("health").asText().toUpperCase(java.util.Locale.ROOT),
                        when(e.path("since").asText("")), e.path("drained").asBoolean() ? "drained" : "in rotation",
                        e.path("weight").asText(), s == null || s.isMissingNode() ? "" : s.asText(), e.path("last_check").asText(""),
                        e.hasNonNull("last_check_ms") ? e.path("last_check_ms").asText() + " ms" : "");
            }
        }
        t.print("");
    }

    /** Aligned {@code key  value} lines; nested maps indent, lists of maps become tables. */
    private void keyValues(JsonNode n, String indent) {
        int width = 0;
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) width = Math.max(width, it.next().length());
        int w = width;
        n.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (v.isObject() && !v.isEmpty()) {
                line(indent + e.getKey() + ":");
                keyValues(v, indent + "  ");
            } else if (v.isArray() && v.size() > 0 && v.get(0).isObject()) {
                line(indent + e.getKey() + ":");
                LinkedHashSet<String> cols = new LinkedHashSet<>();
                v.forEach(r -> r.fieldNames().forEachRemaining(cols::add));
                Table t = new Table(cols.stream().map(c -> c.toUpperCase(java.util.Locale.ROOT).replace('_', ' ')).toArray(String[]::new));
                for (JsonNode r : v) t.row(cols.stream().map(c -> r.has(c) ? plain(r.get(c)) : "").toArray(String[]::new));
                t.print(indent + "  ");
            } else if (v.isTextual() && v.asText().indexOf('\n') >= 0) {
                line(indent + e.getKey() + ":");
                v.asText().lines().forEach(l -> line(indent + "  " + l));
            } else {
                line(indent + pad(e.getKey(), w) + "  " + plain(v));
            }
        });
    }

    /** The fields of {@code d} but {@code shown}, for the aligned lines after a module's tables. */
    private static JsonNode except(JsonNode d, String... shown) {
        com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        java.util.Set<String> skip = java.util.Set.of(shown);
        d.fields().forEachRemaining(e -> {
            if (!skip.contains(e.getKey())) o.set(e.getKey(), e.getValue());
        });
        return o;
    }

    private static JsonNode mapOf(String key, JsonNode value) {
        com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        o.set(key, value);
        return o;
    }

    /** A scalar as text (instants to the second, booleans as yes/no), a list comma-separated, a map as k=v. */
    private static String plain(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) return "";
        if (v.isBoolean()) return yesNo(v);
        if (v.isArray()) {
            List<String> items = new ArrayList<>();
            v.forEach(x -> items.add(plain(x)));
            return String.join(", ", items);
        }
        if (v.isObject()) {
            List<String> items = new ArrayList<>();
            v.fields().forEachRemaining(e -> items.add(e.getKey() + " " + plain(e.getValue())));
            return String.join(", ", items);
        }
        return when(v.asText());
    }

    private static String yesNo(JsonNode v) {
        return v.asBoolean() ? "yes" : "no";
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }

    private static final Pattern INSTANT = Pattern.compile("(\\d{4}-\\d\\d-\\d\\d)T(\\d\\d:\\d\\d:\\d\\d)(\\.\\d+)?Z");

    /** An ISO instant to the second ({@code 2026-12-03 12:12:39Z}); anything else as it is. */
    static String when(String s) {
        Matcher m = INSTANT.matcher(s);
        return m.matches() ? m.group(1) + " " + m.group(2) + "Z" : s;
    }

    private static String uptime(long s) {
        if (s < 120) return s + "s";
        if (s < 7200) return s / 60 + "m";
        if (s < 172800) return s / 3600 + "h";
        return s / 86400 + "d";
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    /** An empty line after a table that was printed, before the next one. */
    private void gap(boolean printed) {
        if (printed) line("");
    }

    private void line(String s) {
        out.append(s.stripTrailing()).append('\n');
    }

    /** Columns as wide as their widest cell, two spaces apart; printed only when it has rows. */
    private final class Table {
        private final String[] head;
        private final List<String[]> rows = new ArrayList<>();

        Table(String... head) {
            this.head = head;
        }

        void row(String... cells) {
            rows.add(Arrays.copyOf(cells, head.length));
        }

        /** Prints it; false when it has no rows (nothing printed). */
        boolean print(String indent) {
            if (rows.isEmpty()) return false;
            int[] w = new int[head.length];
            boolean[] used = new boolean[head.length];
            for (int i = 0; i < head.length; i++) w[i] = head[i].length();
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    if (r[i] == null) r[i] = "";
                    w[i] = Math.max(w[i], r[i].length());
                    used[i] |= !r[i].isEmpty();
                }
            }
            // A column no row fills (no errors, no drift) is left out.
            print(indent, head, w, used);
            for (String[] r : rows) print(indent, r, w, used);
            return true;
        }

        private void print(String indent, String[] cells, int[] w, boolean[] used) {
            StringBuilder b = new StringBuilder(indent);
            for (int i = 0; i < cells.length; i++) {
                if (!used[i] && i > 0) continue;
                b.append(pad(cells[i], w[i])).append("  ");
            }
            line(b.toString());
        }
    }
}
