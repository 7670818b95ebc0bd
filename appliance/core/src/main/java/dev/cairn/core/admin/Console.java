package dev.cairn.core.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The status console at {@code GET /}: server-rendered HTML that works without JavaScript, built
 * from the same views as {@code /api/status} and {@code /api/catalog} (its JSON twins). Health
 * (is it up?) and config status (is the file applied?) are shown apart. Every action is a form
 * that goes through a confirmation page and carries the console's CSRF token.
 *
 * <p>Stateless and thread-safe: it renders from the maps it is given.
 */
final class Console {

    /** The Content-Security-Policy of every console page: nothing but this origin's stylesheet and forms. */
    static final String CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'";

    /** Modules whose details the console lays out itself; others are shown generically. */
    private static final Set<String> LAID_OUT = Set.of("cluster", "dns", "backup", "replication");

    static final String CSS = """
            :root{color-scheme:light}
            body{font-family:system-ui,-apple-system,sans-serif;margin:0;color:#1d1d1f;background:#fafafa;font-size:15px}
            header{background:#243447;color:#fff;padding:.8em 1em}
            header h1{margin:0;font-size:1.3em}
            header p{margin:.3em 0 0;font-size:.9em;opacity:.9}
            header code{background:rgba(255,255,255,.15);color:#fff}
            header a{color:#fff}
            main{padding:0 1em 2em}
            section{margin-top:1.4em}
            h2{font-size:1.1em;margin:.2em 0 .5em}
            h3{font-size:1em;margin:.8em 0 .3em}
            h4{font-size:.95em;margin:.6em 0 .3em}
            p.facts{margin:.2em 0 .5em}
            details summary{cursor:pointer}
            .scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
            table{border-collapse:collapse;background:#fff;min-width:100%}
            td,th{border:1px solid #d8d8d8;padding:.3em .55em;text-align:left;vertical-align:top;white-space:nowrap}
            th{background:#eef1f4;font-weight:600}
            td.wrap{white-space:normal;min-width:12em}
            .up,.ok{color:#0a7d32;font-weight:600}
            .down,.bad{color:#b3000c;font-weight:700}
            .warn,.drained{color:#a45a00;font-weight:600}
            tr.alarm td{background:#fff0f0}
            code{background:#eef1f4;padding:0 .25em;border-radius:3px}
            pre{margin:0;font-size:.9em;white-space:pre}
            form{display:inline;margin:0}
            button{font:inherit;padding:.15em .6em;border:1px solid #8894a3;border-radius:4px;background:#fff;cursor:pointer}
            button.danger{border-color:#b3000c;color:#b3000c}
            input[type=number]{width:4.5em;font:inherit}
            .flash{background:#e8f4ea;border:1px solid #9ccaa5;padding:.5em .8em;margin-top:1em}
            .flash.bad{background:#fff0f0;border-color:#e0a0a0}
            .confirm{background:#fff;border:1px solid #d8d8d8;padding:1em;max-width:40em;margin-top:1.5em}
            footer{padding:1em;font-size:.85em;color:#555}
            @media (max-width:600px){body{font-size:14px}td,th{padding:.25em .4em}}
            """;

    /** A cairn: three stones. */
    static final String ICON = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">"
            + "<ellipse cx=\"8\" cy=\"13\" rx=\"7\" ry=\"2.5\" fill=\"#5b6b7c\"/>"
            + "<ellipse cx=\"8\" cy=\"8.5\" rx=\"5\" ry=\"2.2\" fill=\"#7d8da0\"/>"
            + "<ellipse cx=\"8\" cy=\"4.3\" rx=\"3\" ry=\"1.8\" fill=\"#a3b1c2\"/></svg>\n";

    private Console() {
    }

    /** The overview: node, config, modules, cluster, services with their actions, DNS, other modules. */
    @SuppressWarnings("unchecked")
    static String overview(Map<String, Object> status, Map<String, Object> catalog, String csrf, int refresh, String flash,
                           boolean flashOk) {
        StringBuilder b = new StringBuilder(8192);
        head(b, "Cairn " + status.get("node"), refresh);
        Map<String, Object> cfg = (Map<String, Object>) status.get("config");
        Map<String, Object> reload = (Map<String, Object>) cfg.get("last_reload");
        boolean reloadOk = reload == null || !Boolean.FALSE.equals(reload.get("ok"));
        b.append("<header><h1>Cairn on node <code>").append(esc(status.get("node"))).append("</code>");
        if (status.get("cluster") != null) b.append(" of cluster <code>").append(esc(status.get("cluster"))).append("</code>");
        b.append("</h1><p>version ").append(esc(status.get("version"))).append(" &middot; up ")
                .append(esc(uptime(status.get("uptime_seconds")))).append(" &middot; refresh: ")
                .append(refresh > 0 ? "every " + refresh + " s (<a href=\"/?refresh=0\">stop</a>)"
                        : "off (<a href=\"/?refresh=10\">every 10 s</a>)")
                .append("</p></header><main>");
        if (flash != null) {
            b.append("<p class=\"flash").append(flashOk ? "" : " bad").append("\" role=\"status\">").append(esc(flash)).append("</p>");
        }

        b.append("<section id=\"config\"><h2>Config</h2><div class=\"scroll\"><table>")
                .append("<tr><th>file</th><td>").append(esc(cfg.get("file"))).append("</td></tr>")
                .append("<tr><th>hash</th><td><code>").append(esc(cfg.get("hash"))).append("</code></td></tr>");
        if (reload != null && !reload.isEmpty()) {
            b.append("<tr><th>last reload</th><td class=\"").append(reloadOk ? "ok\">applied" : "bad\">REJECTED: the previous config is still running")
                    .append(" at ").append(esc(reload.get("at"))).append("</td></tr>");
            List<Object> errors = (List<Object>) reload.getOrDefault("errors", List.of());
            for (Object e : errors) b.append("<tr class=\"bad\"><th>error</th><td class=\"wrap\">").append(esc(e)).append("</td></tr>");
        }
        b.append("</table></div>");
        actionForm(b, csrf, "reload", Map.of(), "reload config", false);
        b.append("</section>");

        List<Map<String, Object>> modules = (List<Map<String, Object>>) status.get("modules");
        b.append("<section id=\"modules\"><h2>Modules</h2><div class=\"scroll\"><table><tr><th>module</th><th>health</th><th>summary</th></tr>");
        for (Map<String, Object> m : modules) {
            boolean ok = Boolean.TRUE.equals(m.get("healthy"));
            b.append("<tr").append(ok ? "" : " class=\"alarm\"").append("><td>").append(esc(m.get("name")))
                    .append("</td><td class=\"").append(ok ? "up\">healthy" : "down\">UNHEALTHY").append("</td><td class=\"wrap\">")
                    .append(esc(m.get("summary"))).append("</td></tr>");
        }
        b.append("</table></div></section>");

        Map<String, Object> cluster = details(modules, "cluster");
        if (cluster != null) cluster(b, cluster);
        Map<String, Object> proxy = details(modules, "proxy");
        Map<String, Object> sessions = proxy != null && proxy.get("sessions") instanceof Map<?, ?> sm
                ? (Map<String, Object>) sm : Map.of();
        services(b, (List<Map<String, Object>>) catalog.get("services"), sessions, csrf);
        Map<String, Object> backup = details(modules, "backup");
        if (backup != null) backup(b, backup, csrf);
        Map<String, Object> dns = details(modules, "dns");
        if (dns != null) dns(b, dns);
        Map<String, Object> replication = details(modules, "replication");
        if (replication != null) replication(b, replication);
        for (Map<String, Object> m : modules) {
            String name = String.valueOf(m.get("name"));
            Object d = m.get("details");
            if (LAID_OUT.contains(name) || !(d instanceof Map<?, ?> dm) || dm.isEmpty()) continue;
            b.append("<section id=\"module-").append(esc(name)).append("\"><h2>").append(esc(title(name))).append("</h2>");
            value(b, d);
            b.append("</section>");
        }
        b.append("</main><footer>JSON twins: <a href=\"/api/status\">/api/status</a> &middot; ")
                .append("<a href=\"/api/catalog\">/api/catalog</a></footer></body></html>\n");
        return b.toString();
    }

    /** The page that asks before an action is carried out; Cancel goes back without doing anything. */
    static String confirm(String question, String csrf, Map<String, String> fields) {
        StringBuilder b = new StringBuilder(2048);
        head(b, "Confirm", 0);
        b.append("<header><h1>Confirm</h1></header><main><div class=\"confirm\"><p>").append(esc(question)).append("</p>")
                .append("<form method=\"post\" action=\"/ui/action\">");
        hidden(b, "csrf", csrf);
        fields.forEach((k, v) -> hidden(b, k, v));
        hidden(b, "confirm", "yes");
        b.append("<button type=\"submit\" id=\"confirm\" class=\"danger\">Yes, do it</button></form> ")
                .append("<a href=\"/\" id=\"cancel\">Cancel</a></div></main></body></html>\n");
        return b.toString();
    }

    /** The token form shown when the admin API needs a bearer token and the browser has none. */
    static String login(String error) {
        StringBuilder b = new StringBuilder(1024);
        head(b, "Cairn: sign in", 0);
        b.append("<header><h1>Cairn</h1><p>This admin listener needs its token (admin.token_file).</p></header><main>");
        if (error != null) b.append("<p class=\"flash bad\">").append(esc(error)).append("</p>");
        b.append("<div class=\"confirm\"><form method=\"post\" action=\"/ui/login\"><label>Admin token ")
                .append("<input type=\"password\" name=\"token\" autocomplete=\"current-password\" required></label> ")
                .append("<button type=\"submit\">Sign in</button></form></div></main></body></html>\n");
        return b.toString();
    }

    private static void head(StringBuilder b, String title, int refresh) {
        b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        if (refresh > 0) b.append("<meta http-equiv=\"refresh\" content=\"").append(refresh).append("\">");
        b.append("<link rel=\"stylesheet\" href=\"/ui/console.css\"><link rel=\"icon\" href=\"/ui/favicon.svg\">")
                .append("<link rel=\"alternate\" type=\"application/json\" href=\"/api/status\">")
                .append("<title>").append(esc(title)).append("</title></head><body>");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> details(List<Map<String, Object>> modules, String name) {
        for (Map<String, Object> m : modules) {
            if (name.equals(m.get("name")) && m.get("details") instanceof Map<?, ?> d && !d.isEmpty()) {
                return (Map<String, Object>) d;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static void cluster(StringBuilder b, Map<String, Object> d) {
        b.append("<section id=\"nodes\"><h2>Nodes</h2>");
        if (d.get("quorum") != null) b.append("<p>quorum: ").append(esc(d.get("quorum"))).append("</p>");
        b.append("<div class=\"scroll\"><table><tr><th>node</th><th>address</th><th>state</th><th>priority</th>")
                .append("<th>config hash</th><th>last advert</th></tr>");
        for (Map<String, Object> n : (List<Map<String, Object>>) d.getOrDefault("nodes", List.of())) {
            boolean up = Boolean.TRUE.equals(n.get("up"));
            boolean self = Boolean.TRUE.equals(n.get("self"));
            boolean matches = !Boolean.FALSE.equals(n.get("config_hash_matches"));
            b.append("<tr").append(up ? "" : " class=\"alarm\"").append("><td>").append(esc(n.get("name")))
                    .append(self ? " (this node)" : "").append("</td><td>").append(esc(n.get("address")))
                    .append("</td><td class=\"").append(up ? "up\">up" : "down\">DOWN").append("</td><td>")
                    .append(esc(n.get("priority"))).append("</td><td class=\"").append(matches ? "" : "warn")
                    .append("\"><code>").append(esc(n.getOrDefault("config_hash", ""))).append("</code>")
                    .append(matches ? "" : " differs (drift)").append("</td><td>")
                    .append(self ? "" : esc(n.getOrDefault("last_advert", ""))).append("</td></tr>");
        }
        b.append("</table></div></section>");
        b.append("<section id=\"vips\"><h2>Virtual IPs</h2><div class=\"scroll\"><table><tr><th>VIP</th><th>device</th>")
                .append("<th>state here</th><th>holder</th><th>priority</th><th>last transition</th><th>reason</th></tr>");
        for (Map<String, Object> v : (List<Map<String, Object>>) d.getOrDefault("vips", List.of())) {
            String state = String.valueOf(v.get("state"));
            String holder = String.valueOf(v.getOrDefault("master", ""));
            boolean bad = holder.isEmpty() || state.equals("FAULT");
            b.append("<tr").append(bad ? " class=\"alarm\"" : "").append("><td>").append(esc(v.get("vip"))).append("</td><td>")
                    .append(esc(v.get("dev"))).append("</td><td class=\"").append(state.equals("MASTER") ? "up" : bad ? "down" : "")
                    .append("\">").append(esc(state)).append("</td><td>").append(holder.isEmpty() ? "<span class=\"down\">none</span>" : esc(holder))
                    .append("</td><td>").append(esc(v.get("priority"))).append("</td><td>").append(esc(v.get("since")))
                    .append("</td><td class=\"wrap\">").append(esc(v.getOrDefault("reason", ""))).append("</td></tr>");
        }
        b.append("</table></div></section>");
    }

    @SuppressWarnings("unchecked")
    private static void services(StringBuilder b, List<Map<String, Object>> services, Map<String, Object> sessions,
                                 String csrf) {
        b.append("<section id=\"services\"><h2>Services</h2>");
        if (services.isEmpty()) b.append("<p>No services.</p>");
        for (Map<String, Object> s : services) {
            String svc = String.valueOf(s.get("name"));
            List<Map<String, Object>> eps = (List<Map<String, Object>>) s.get("endpoints");
            long available = eps.stream().filter(e -> Boolean.TRUE.equals(e.get("available"))).count();
            b.append("<h3 id=\"service-").append(esc(svc)).append("\">").append(esc(svc)).append(" <span class=\"")
                    .append(available == 0 && !eps.isEmpty() ? "down" : available < eps.size() ? "warn" : "up").append("\">")
                    .append(available).append('/').append(eps.size()).append(" available</span></h3>");
            if (eps.isEmpty()) {
                b.append("<p>No endpoints (yet).</p>");
                continue;
            }
            Map<String, Object> inFlight = sessions.get(svc) instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            b.append("<div class=\"scroll\"><table><tr><th>endpoint</th><th>address</th><th>health</th><th>since</th>")
                    .append("<th>last check</th><th>check time</th><th>weight</th><th>sessions</th><th>traffic</th><th>actions</th></tr>");
            for (Map<String, Object> e : eps) {
                String ep = String.valueOf(e.get("name"));
                boolean up = "up".equals(e.get("health"));
                boolean drained = Boolean.TRUE.equals(e.get("drained"));
                b.append("<tr data-endpoint=\"").append(esc(svc + "/" + ep)).append("\"").append(up ? "" : " class=\"alarm\"")
                        .append("><td>").append(esc(ep)).append("</td><td>").append(esc(e.get("address")))
                        .append("</td><td class=\"health ").append(up ? "up\">UP" : "down\">DOWN").append("</td><td>")
                        .append(esc(e.get("since"))).append("</td><td class=\"wrap\">").append(esc(e.get("last_check")))
                        .append("</td><td>").append(e.get("last_check_ms") == null ? "" : esc(e.get("last_check_ms") + " ms"))
                        .append("</td><td>").append(esc(e.get("weight"))).append("</td><td class=\"sessions\">")
                        .append(esc(inFlight.getOrDefault(ep, ""))).append("</td><td class=\"traffic ")
                        .append(drained ? "drained\">drained" : "\">in rotation").append("</td><td>");
                Map<String, String> target = Map.of("service", svc, "endpoint", ep);
                if (drained) actionForm(b, csrf, "enable", target, "enable", false);
                else actionForm(b, csrf, "drain", target, "drain", true);
                b.append(" <form method=\"post\" action=\"/ui/action\">");
                hidden(b, "csrf", csrf);
                hidden(b, "action", "weight");
                hidden(b, "service", svc);
                hidden(b, "endpoint", ep);
                b.append("<input type=\"number\" name=\"weight\" min=\"0\" max=\"256\" value=\"").append(esc(e.get("weight")))
                        .append("\" aria-label=\"weight\"> <button type=\"submit\">set weight</button></form></td></tr>");
            }
            b.append("</table></div>");
        }
        b.append("</section>");
    }

    /** Backup jobs: last success against the RPO, colour-coded, and a run-now action each. */
    @SuppressWarnings("unchecked")
    private static void backup(StringBuilder b, Map<String, Object> d, String csrf) {
        b.append("<section id=\"backup\"><h2>Backups</h2><div class=\"scroll\"><table><tr><th>job</th><th>last success</th>")
                .append("<th>RPO</th><th>SLA</th><th>snapshots</th><th>next run</th><th>last error</th><th>actions</th></tr>");
        Object jobs = d.get("jobs");
        if (jobs instanceof Map<?, ?> jm) {
            for (Map.Entry<?, ?> j : jm.entrySet()) {
                String name = String.valueOf(j.getKey());
                Map<String, Object> v = j.getValue() instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                Map<String, Object> sla = v.get("sla") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                Object error = v.get("last_error");
                boolean slaBroken = Boolean.FALSE.equals(sla.get("sla_met"));
                boolean bad = slaBroken || (error != null && !String.valueOf(error).isEmpty());
                b.append("<tr data-job=\"").append(esc(name)).append("\"").append(bad ? " class=\"alarm\"" : "").append("><td>")
                        .append(esc(name)).append("</td><td class=\"").append(v.get("last_success") == null ? "down\">never" : (slaBroken ? "down" : "up") + "\">" + esc(v.get("last_success")))
                        .append("</td><td>").append(esc(sla.getOrDefault("rpo", ""))).append("</td><td class=\"")
                        .append(sla.isEmpty() ? "\">" : slaBroken ? "down\">BROKEN: " + esc(sla.getOrDefault("breaches", "")) : "up\">met")
                        .append("</td><td>").append(esc(v.getOrDefault("snapshots", ""))).append("</td><td>")
                        .append(esc(v.get("next_run") == null ? "" : v.get("next_run"))).append("</td><td class=\"wrap\">")
                        .append(error == null ? "" : esc(error)).append("</td><td>");
                actionForm(b, csrf, "module", Map.of("module", "backup", "module_action", "run", "target", name,
                        "target_key", "job"), "run now", false);
                b.append("</td></tr>");
            }
        }
        b.append("</table></div></section>");
    }

    /**
     * Replication, per cluster: the primary, the analysis and the epoch; one row per node (role,
     * reachable, lag, the replica's IO and SQL threads, read_only); the last failover or switchover
     * (when, result, old → new primary, epoch, and its audit log, folded); the topology tree, folded;
     * the findings.
     */
    @SuppressWarnings("unchecked")
    private static void replication(StringBuilder b, Map<String, Object> d) {
        b.append("<section id=\"replication\"><h2>Replication</h2>");
        Map<String, Object> clusters = d.get("clusters") instanceof Map<?, ?> cm ? (Map<String, Object>) cm : Map.of();
        if (clusters.isEmpty()) b.append("<p>No clusters.</p>");
        for (Map.Entry<String, Object> ce : clusters.entrySet()) {
            String name = ce.getKey();
            Map<String, Object> c = ce.getValue() instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
            Object primary = c.get("primary");
            List<Object> analysis = c.get("analysis") instanceof List<?> l ? (List<Object>) l : List.of();
            boolean calm = analysis.isEmpty() || analysis.equals(List.of("NoProblem"));
            b.append("<h3 id=\"replication-").append(esc(name)).append("\">cluster ").append(esc(name))
                    .append("</h3><p class=\"facts\">primary <span class=\"").append(primary == null ? "down\">NONE" : "up\">" + esc(primary))
                    .append("</span> &middot; analysis <span class=\"").append(calm ? "ok" : "bad").append("\">");
            value(b, analysis);
            b.append("</span>");
            if (c.get("epoch") != null) b.append(" &middot; epoch ").append(esc(c.get("epoch")));
            if (c.get("at") != null) b.append(" &middot; probed ").append(esc(c.get("at")));
            b.append("</p>");
            b.append("<div class=\"scroll\"><table><tr><th>node</th><th>address</th><th>role</th><th>reachable</th>")
                    .append("<th>lag</th><th>IO thread</th><th>SQL thread</th><th>read_only</th><th>serves reads</th><th>error</th></tr>");
            for (Object no : c.get("nodes") instanceof List<?> l ? l : List.of()) {
                if (!(no instanceof Map<?, ?>)) continue;
                Map<String, Object> n = (Map<String, Object>) no;
                String role = String.valueOf(n.get("role"));
                boolean reachable = "up".equals(n.get("reach"));
                Map<String, Object> ch = n.get("replication") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
                String io = ch == null ? "" : String.valueOf(ch.get("io"));
                boolean sql = ch != null && Boolean.TRUE.equals(ch.get("sql"));
                boolean threadsBad = ch != null && (!"yes".equals(io) || !sql);
                Object ro = n.get("read_only");
                // A writable replica, or a read-only primary, is worth a colour: both break the topology.
                boolean roBad = ro instanceof Boolean r && (role.equals("primary") ? r : role.equals("replica") && !r);
                b.append("<tr data-node=\"").append(esc(name + "/" + n.get("name"))).append("\"")
                        .append(!reachable || threadsBad ? " class=\"alarm\"" : "").append("><td>").append(esc(n.get("name")))
                        .append("</td><td>").append(esc(n.getOrDefault("address", ""))).append("</td><td class=\"role\">")
                        .append(esc(role)).append("</td><td class=\"").append(reachable ? "up\">yes" : "down\">NO (" + esc(n.get("reach")) + ")")
                        .append("</td><td class=\"lag\">");
                if (n.get("lag_seconds") != null) {
                    b.append(esc(n.get("lag_seconds"))).append(" s <small>(").append(esc(n.getOrDefault("lag_from", ""))).append(")</small>");
                }
                b.append("</td><td class=\"").append(ch == null ? "\">" : "yes".equals(io) ? "up\">yes" : "down\">" + esc(io))
                        .append("</td><td class=\"").append(ch == null ? "\">" : sql ? "up\">yes" : "down\">no")
                        .append("</td><td class=\"").append(roBad ? "warn" : "").append("\">").append(ro == null ? "" : Boolean.TRUE.equals(ro) ? "yes" : "no")
                        .append("</td><td>").append(Boolean.TRUE.equals(n.get("serves_reads")) ? "yes" : "no")
                        .append("</td><td class=\"wrap\">");
                List<String> errs = new java.util.ArrayList<>();
                if (n.get("error") != null) errs.add(String.valueOf(n.get("error")));
                if (ch != null && ch.get("last_io_error") != null) errs.add("IO " + ch.get("last_io_error"));
                if (ch != null && ch.get("last_sql_error") != null) errs.add("SQL " + ch.get("last_sql_error"));
                b.append(esc(String.join("; ", errs))).append("</td></tr>");
            }
            b.append("</table></div>");
            if (c.get("tree") != null) {
                b.append("<details><summary>topology</summary>");
                value(b, c.get("tree"));
                b.append("</details>");
            }
            Map<String, Object> f = c.get("failover") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
            if (f != null) {
                b.append("<p>failover: mode ").append(esc(f.get("mode"))).append(", ").append(esc(f.get("durability")))
                        .append(", ").append(esc(f.get("automation"))).append(", phase ").append(esc(f.get("phase"))).append("</p>");
                for (Object w : f.get("warnings") instanceof List<?> l ? l : List.of()) {
                    b.append("<p class=\"warn\">warning: ").append(esc(w)).append("</p>");
                }
                lastFailover(b, name, f.get("last_failover") instanceof Map<?, ?> m ? (Map<String, Object>) m : null);
            }
            List<Object> findings = c.get("findings") instanceof List<?> l ? (List<Object>) l : List.of();
            if (!findings.isEmpty()) {
                b.append("<h4>findings</h4>");
                value(b, findings);
            }
        }
        b.append("</section>");
    }

    /** The last failover's table (or "none yet"), with a link to the whole record as JSON. */
    @SuppressWarnings("unchecked")
    private static void lastFailover(StringBuilder b, String cluster, Map<String, Object> lf) {
        b.append("<div class=\"scroll\"><table class=\"last-failover\" data-cluster=\"").append(esc(cluster)).append("\">")
                .append("<tr><th colspan=\"2\">last failover or switchover</th></tr>");
        if (lf == null) {
            b.append("<tr><td colspan=\"2\">none since this node started</td></tr></table></div>");
            return;
        }
        boolean ok = Boolean.TRUE.equals(lf.get("ok"));
        b.append("<tr><th>when</th><td>").append(esc(lf.getOrDefault("at", ""))).append("</td></tr>")
                .append("<tr").append(ok ? "" : " class=\"alarm\"").append("><th>result</th><td class=\"")
                .append(ok ? "ok\">succeeded" : "bad\">FAILED").append("</td></tr>")
                .append("<tr><th>primary</th><td>").append(esc(lf.getOrDefault("old_primary", "?"))).append(" &rarr; ")
                .append(esc(lf.getOrDefault("new_primary", "?"))).append("</td></tr>")
                .append("<tr><th>epoch</th><td>").append(esc(lf.getOrDefault("epoch", ""))).append("</td></tr>");
        if (lf.get("duration_ms") != null) {
            b.append("<tr><th>took</th><td>").append(esc(lf.get("duration_ms"))).append(" ms (writes unavailable ")
                    .append(esc(lf.getOrDefault("write_unavailable_ms", "?"))).append(" ms)</td></tr>");
        }
        if (lf.get("detail") != null) b.append("<tr><th>detail</th><td class=\"wrap\">").append(esc(lf.get("detail"))).append("</td></tr>");
        List<Object> audit = lf.get("audit") instanceof List<?> l ? (List<Object>) l : List.of();
        b.append("<tr><th>audit</th><td class=\"wrap\">");
        if (!audit.isEmpty()) {
            b.append("<details><summary>").append(audit.size()).append(" steps, last: ").append(esc(audit.get(audit.size() - 1)))
                    .append("</summary><pre>");
            for (Object a : audit) b.append(esc(a)).append('\n');
            b.append("</pre></details>");
        }
        b.append("<a href=\"/api/modules/replication/failover?cluster=").append(esc(java.net.URLEncoder.encode(cluster,
                StandardCharsets.UTF_8))).append("\">as JSON</a></td></tr></table></div>");
    }

    @SuppressWarnings("unchecked")
    private static void dns(StringBuilder b, Map<String, Object> d) {
        b.append("<section id=\"dns\"><h2>DNS</h2><p>listening on ").append(esc(d.get("listen"))).append("</p>");
        if (d.get("last_zone_error") != null) {
            b.append("<p class=\"bad\">last zone error: ").append(esc(d.get("last_zone_error"))).append("</p>");
        }
        b.append("<div class=\"scroll\"><table><tr><th>zone</th><th>serial</th><th>records</th><th>file</th>")
                .append("<th>last loaded</th><th>by</th><th>last reload attempt</th></tr>");
        Object zones = d.get("zones");
        if (zones instanceof Map<?, ?> zm) {
            for (Map.Entry<?, ?> z : zm.entrySet()) {
                Map<String, Object> zv = z.getValue() instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
                boolean failed = "failed".equals(zv.get("last_reload"));
                b.append("<tr data-zone=\"").append(esc(z.getKey())).append("\"").append(failed ? " class=\"alarm\"" : "")
                        .append("><td>").append(esc(z.getKey())).append("</td><td>").append(esc(zv.getOrDefault("serial", "")))
                        .append("</td><td>").append(esc(zv.getOrDefault("records", ""))).append("</td><td>")
                        .append(esc(zv.getOrDefault("file", ""))).append("</td><td>").append(esc(zv.getOrDefault("loaded_at", "")))
                        .append("</td><td>").append(esc(zv.getOrDefault("loaded_by", ""))).append("</td><td class=\"wrap ");
                if (zv.get("last_reload") == null) {
                    b.append("\">");
                } else if (failed) {
                    b.append("bad\">FAILED at ").append(esc(zv.get("last_reload_at"))).append(": ")
                            .append(esc(zv.getOrDefault("last_reload_error", ""))).append(" (still serving the version loaded before)");
                } else {
                    b.append("ok\">ok at ").append(esc(zv.get("last_reload_at")));
                }
                b.append("</td></tr>");
            }
        }
        b.append("</table></div></section>");
    }

    private static void actionForm(StringBuilder b, String csrf, String action, Map<String, String> target, String label,
                                   boolean danger) {
        b.append("<form method=\"post\" action=\"/ui/action\">");
        hidden(b, "csrf", csrf);
        hidden(b, "action", action);
        target.forEach((k, v) -> hidden(b, k, v));
        b.append("<button type=\"submit\" name=\"do\" value=\"").append(esc(action)).append("\"")
                .append(danger ? " class=\"danger\"" : "").append(">").append(esc(label)).append("</button></form>");
    }

    private static void hidden(StringBuilder b, String name, String value) {
        b.append("<input type=\"hidden\" name=\"").append(esc(name)).append("\" value=\"").append(esc(value)).append("\">");
    }

    /** Module details in the order the module gave them: maps as key/value tables, lists of maps as tables. */
    @SuppressWarnings("unchecked")
    static void value(StringBuilder b, Object v) {
        if (v instanceof Map<?, ?> m) {
            b.append("<div class=\"scroll\"><table>");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append("<tr").append(bad(e.getValue()) ? " class=\"alarm\"" : "").append("><th>").append(esc(e.getKey()))
                        .append("</th><td class=\"wrap\">");
                value(b, e.getValue());
                b.append("</td></tr>");
            }
            b.append("</table></div>");
        } else if (v instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(x -> x instanceof Map<?, ?>)) {
            LinkedHashSet<Object> cols = new LinkedHashSet<>();
            l.forEach(x -> cols.addAll(((Map<Object, Object>) x).keySet()));
            b.append("<div class=\"scroll\"><table><tr>");
            cols.forEach(c -> b.append("<th>").append(esc(c)).append("</th>"));
            b.append("</tr>");
            for (Object row : l) {
                Map<Object, Object> r = (Map<Object, Object>) row;
                b.append("<tr").append(bad(r) ? " class=\"alarm\"" : "").append(">");
                for (Object c : cols) {
                    b.append("<td>");
                    Object cell = r.get(c);
                    if (cell != null) value(b, cell);
                    b.append("</td>");
                }
                b.append("</tr>");
            }
            b.append("</table></div>");
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(", ");
                value(b, l.get(i));
            }
        } else if (v instanceof String str && str.indexOf('\n') >= 0) {
            // Multi-line text (e.g. replication's topology tree) keeps its lines.
            b.append("<pre>").append(esc(str)).append("</pre>");
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "yes" : "no");
        } else {
            b.append(esc(v));
        }
    }

    /** A row reporting itself unhealthy: {@code healthy|ok|up: false}, or a state that is an alarm. */
    private static boolean bad(Object v) {
        if (!(v instanceof Map<?, ?> m)) return false;
        for (String k : List.of("healthy", "ok", "up", "sla_met", "writable_ok")) {
            if (Boolean.FALSE.equals(m.get(k))) return true;
        }
        Object state = m.get("state");
        return state != null && Set.of("DOWN", "FAULT", "FAILED", "BROKEN", "down", "failed").contains(String.valueOf(state));
    }

    private static String title(String module) {
        return module.isEmpty() ? module : Character.toUpperCase(module.charAt(0)) + module.substring(1);
    }

    private static String uptime(Object seconds) {
        long s = seconds instanceof Number n ? n.longValue() : 0;
        if (s < 120) return s + " s";
        if (s < 7200) return s / 60 + " min";
        if (s < 172800) return s / 3600 + " h";
        return s / 86400 + " days";
    }

    /** Constant-time comparison of a submitted token with the expected one. */
    static boolean sameToken(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    private static final java.util.regex.Pattern INSTANT =
            java.util.regex.Pattern.compile("(\\d{4}-\\d\\d-\\d\\d)T(\\d\\d:\\d\\d:\\d\\d)(\\.\\d+)?Z");

    /** Escapes for HTML; an ISO instant is shown to the second ({@code 2026-12-03 12:12:39Z}). */
    static String esc(Object o) {
        String s = String.valueOf(o);
        java.util.regex.Matcher m = INSTANT.matcher(s);
        if (m.matches()) s = m.group(1) + " " + m.group(2) + "Z";
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
