package dev.cairn.core.importer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Translates a haproxy.cfg into Cairn's {@code services:} and {@code proxy:} sections: backends
 * and their servers become services and endpoints (with check, inter, rise, fall, weight),
 * frontends become listeners whose routes follow {@code use_backend}/{@code default_backend},
 * {@code acl ... src} with deny rules become allow/deny lists, {@code redirect scheme https}
 * becomes {@code redirect_https}, {@code bind ... ssl crt} becomes TLS certificates.
 */
final class HaproxyImporter {

    /** Directives with no effect Cairn needs (logging, process management, HAProxy's own runtime). */
    private static final Set<String> HARMLESS = Set.of("log", "chroot", "stats", "user", "group", "daemon", "uid", "gid",
            "ca-base", "crt-base", "pidfile", "master-worker", "nbproc", "nbthread", "cpu-map", "spread-checks",
            "errorfile", "description", "node", "log-format", "log-tag", "capture", "server-state-file",
            "tune.ssl.default-dh-param", "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites",
            "ssl-default-server-ciphers", "ssl-default-server-ciphersuites", "ssl-default-server-options",
            "hard-stop-after", "localpeer", "mode", "monitor-uri", "default-server", "email-alert", "unique-id-format",
            "http-reuse", "fullconn", "hash-type", "compression", "errorloc", "errorloc302", "errorloc303");
    /** {@code option X} with no effect Cairn needs, or what Cairn always does. */
    private static final Set<String> HARMLESS_OPTIONS = Set.of("httplog", "tcplog", "dontlognull", "log-health-checks",
            "forwardfor", "http-server-close", "http-keep-alive", "redispatch", "abortonclose", "splice-auto",
            "log-separate-errors", "dontlog-normal", "socket-stats", "tcpka", "clitcpka", "srvtcpka", "http-buffer-request",
            "httpclose", "forceclose", "allbackups", "contstats", "independent-streams", "tcp-check");

    /** Every directive this importer translates or knowingly sets aside (docs/migrating.md lists each). */
    static final Set<String> KNOWN = union(HARMLESS, Set.of("timeout", "balance", "option httpchk", "http-check",
            "server", "bind", "acl", "use_backend", "default_backend", "redirect", "http-request", "tcp-request",
            "retries", "cookie", "maxconn", "ssl-default-bind-options"), prefixed("option ", HARMLESS_OPTIONS));

    static Set<String> union(Set<String> a, Set<String> b, Set<String> c) {
        Set<String> out = new java.util.TreeSet<>(a);
        out.addAll(b);
        out.addAll(c);
        return out;
    }

    static Set<String> prefixed(String prefix, Set<String> names) {
        Set<String> out = new java.util.TreeSet<>();
        names.forEach(n -> out.add(prefix + n));
        return out;
    }

    private record Line(int no, List<String> w) {
        String kw() {
            return w.get(0);
        }

        String arg(int i) {
            return i < w.size() ? w.get(i) : null;
        }
    }

    private static final class Section {
        final String kind;
        final String name;
        final int line;
        final List<Line> lines = new ArrayList<>();

        Section(String kind, String name, int line) {
            this.kind = kind;
            this.name = name;
            this.line = line;
        }

        boolean serves() {
            return kind.equals("frontend") || kind.equals("listen");
        }

        boolean hasServers() {
            return kind.equals("backend") || (kind.equals("listen") && lines.stream().anyMatch(l -> l.kw().equals("server")));
        }
    }

    private final Path file;
    private final YamlTree out;
    private final ImportNotes notes;
    private final Map<String, String> timeouts = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> backendRoutes = new LinkedHashMap<>();
    private String defaultMode = "http";
    /** The defaults section's maxconn: each later frontend's limit unless it sets its own. */
    private Integer defaultMaxconn;
    private String defaultBalance;
    private String minTls;

    HaproxyImporter(Path file, YamlTree out, ImportNotes notes) {
        this.file = file;
        this.out = out;
        this.notes = notes;
    }

    void run() throws IOException {
        List<Section> sections = parse(Files.readAllLines(file));
        for (Section s : sections) {
            if (s.kind.equals("global")) global(s);
            else if (s.kind.equals("defaults")) defaults(s);
        }
        for (Section s : sections) {
            if (s.hasServers()) backend(s);
        }
        for (Section s : sections) {
            if (s.serves()) frontend(s);
        }
        for (Section s : sections) {
            if (Set.of("userlist", "peers", "resolvers", "mailers", "program", "http-errors", "ring", "cache")
                    .contains(s.kind)) {
                notes.unsupported(file, s.line, s.kind + " " + s.name, "this section has no Cairn equivalent");
            }
        }
        if (!timeouts.isEmpty()) out.map("proxy", "timeouts").putAll(timeouts);
    }

    private List<Section> parse(List<String> lines) {
        List<Section> out = new ArrayList<>();
        Section cur = null;
        for (int i = 0; i < lines.size(); i++) {
            List<String> w = Tokens.words(lines.get(i));
            if (w.isEmpty()) continue;
            String kw = w.get(0);
            if (Set.of("global", "defaults", "frontend", "backend", "listen", "userlist", "peers", "resolvers",
                    "mailers", "program", "http-errors", "ring", "cache").contains(kw)) {
                cur = new Section(kw, w.size() > 1 ? w.get(1) : "", i + 1);
                out.add(cur);
            } else if (cur != null) {
                cur.lines.add(new Line(i + 1, w));
            } else {
                notes.unsupported(file, i + 1, kw, "directive outside any section");
            }
        }
        return out;
    }

    private void global(Section s) {
        for (Line l : s.lines) {
            switch (l.kw()) {
                case "ssl-default-bind-options" -> {
                    for (int i = 1; i < l.w.size(); i++) {
                        String o = l.w.get(i);
                        if (o.equals("ssl-min-ver") && l.arg(i + 1) != null) {
                            String v = l.arg(++i);
                            if (v.equals("TLSv1.3")) minTls = "TLSv1.3";
                            else if (v.equals("TLSv1.2")) minTls = "TLSv1.2";
                            else notes.unsupported(file, l.no, "ssl-min-ver " + v, "Cairn accepts TLS 1.2 and 1.3 only");
                        } else if (!o.equals("no-tls-tickets") && !o.startsWith("no-sslv3") && !o.startsWith("no-tlsv1")) {
                            notes.ignored(file, l.no, "ssl-default-bind-options " + o, "not translated");
                        }
                    }
                }
                case "maxconn" -> notes.ignored(file, l.no, "maxconn", "Cairn limits connections per listener "
                        + "(proxy.limits.max_connections, 0 = unlimited); set it if you relied on the global limit");
                default -> harmlessOr(l, "global directive");
            }
        }
    }

    private void defaults(Section s) {
        for (Line l : s.lines) {
            switch (l.kw()) {
                case "mode" -> defaultMode = l.arg(1);
                case "timeout" -> timeout(l);
                case "balance" -> defaultBalance = balance(l);
                case "option" -> option(l, null);
                case "retries" -> notes.ignored(file, l.no, "retries", "Cairn retries per route (routes[].retries, default 2)");
                case "maxconn" -> defaultMaxconn = maxconn(l);
                default -> harmlessOr(l, "defaults directive");
            }
        }
    }

    private Integer maxconn(Line l) {
        try {
            return Integer.valueOf(l.arg(1));
        } catch (NumberFormatException e) {
            notes.unsupported(file, l.no, "maxconn " + l.arg(1), "not a number: not translated");
            return null;
        }
    }

    private void timeout(Line l) {
        String kind = l.arg(1);
        String value = l.arg(2);
        if (kind == null || value == null) {
            notes.unsupported(file, l.no, "timeout", "needs a kind and a value");
            return;
        }
        String key = switch (kind) {
            case "connect" -> "connect";
            case "server" -> "server";
            case "client" -> "client";
            case "http-request" -> "http_request";
            case "http-keep-alive" -> "keep_alive";
            case "queue" -> "queue";
            default -> null;
        };
        if (key == null) {
            if (kind.equals("check")) return; // taken per backend
            notes.ignored(file, l.no, "timeout " + kind, "Cairn has no such timeout");
            return;
        }
        String d;
        try {
            d = Tokens.duration(value, "ms");
        } catch (IllegalArgumentException e) {
            notes.unsupported(file, l.no, "timeout " + kind, e.getMessage());
            return;
        }
        String old = timeouts.putIfAbsent(key, d);
        if (old != null && !old.equals(d)) {
            notes.unsupported(file, l.no, "timeout " + kind, "Cairn has one " + key + " timeout for every listener ("
                    + old + " kept, " + d + " here)");
        }
    }

    private String balance(Line l) {
        String b = l.arg(1);
        if (b == null) return null;
        switch (b) {
            case "roundrobin", "leastconn", "source", "first" -> {
                return b;
            }
            case "static-rr" -> {
                notes.ignored(file, l.no, "balance static-rr", "translated to roundrobin");
                return "roundrobin";
            }
            default -> {
                notes.unsupported(file, l.no, "balance " + b, "Cairn balances by roundrobin, leastconn, source or first; roundrobin used");
                return "roundrobin";
            }
        }
    }

    /** Options; {@code service} is the backend's service map for httpchk, null elsewhere. */
    private void option(Line l, Map<String, Object> check) {
        String o = l.arg(1);
        if (o == null) return;
        if (o.equals("httpchk")) {
            if (check == null) {
                notes.unsupported(file, l.no, "option httpchk", "in defaults: put it in each backend");
                return;
            }
            check.put("type", "http");
            // option httpchk [<method>] [<uri>] [<version>]: the path is the first word starting with '/'.
            for (int i = 2; i < l.w.size(); i++) {
                if (l.w.get(i).startsWith("/")) {
                    check.put("path", l.w.get(i));
                    break;
                }
            }
        } else if (!HARMLESS_OPTIONS.contains(o)) {
            notes.unsupported(file, l.no, "option " + o, "not translated");
        }
    }

    private void harmlessOr(Line l, String what) {
        if (HARMLESS.contains(l.kw())) {
            notes.ignored(file, l.no, l.kw(), "not needed by Cairn");
        } else {
            notes.unsupported(file, l.no, l.kw(), what + " not translated");
        }
    }

    private void backend(Section s) {
        Map<String, Object> service = out.map("services", s.name);
        List<Object> endpoints = new ArrayList<>();
        Map<String, Object> check = new LinkedHashMap<>();
        Map<String, Object> route = new LinkedHashMap<>();
        route.put("service", s.name);
        boolean anyCheck = false;
        String mode = defaultMode;
        String balance = defaultBalance;
        Integer maxconn = null;
        for (Line l : s.lines) {
            switch (l.kw()) {
                case "server" -> {
                    if (server(l, endpoints, check)) anyCheck = true;
                    for (int i = 3; i < l.w.size(); i++) {
                        if (l.w.get(i).equals("maxconn") && l.arg(i + 1) != null) maxconn = Integer.valueOf(l.arg(i + 1));
                    }
                }
                case "mode" -> mode = l.arg(1);
                case "balance" -> balance = balance(l);
                case "option" -> option(l, check);
                case "http-check" -> httpCheck(l, check);
                case "timeout" -> {
                    if ("check".equals(l.arg(1)) && l.arg(2) != null) check.put("timeout", Tokens.duration(l.arg(2), "ms"));
                    else timeout(l);
                }
                case "retries" -> {
                    if (l.arg(1) != null) route.put("retries", Math.min(10, Integer.parseInt(l.arg(1))));
                }
                case "cookie" -> {
                    route.put("sticky", true);
                    notes.ignored(file, l.no, "cookie " + l.arg(1), "sticky sessions use Cairn's signed cookie CAIRN_STICKY");
                }
                case "bind", "acl", "use_backend", "default_backend", "redirect", "http-request", "tcp-request", "maxconn" -> {
                    if (!s.serves()) notes.unsupported(file, l.no, l.kw(), "in a backend: not translated");
                }
                default -> harmlessOr(l, "backend directive");
            }
        }
        service.put("endpoints", endpoints);
        if (anyCheck) {
            if (!check.containsKey("type")) check.put("type", "tcp");
            service.put("check", orderCheck(check));
        }
        if (maxconn != null) {
            Map<String, Object> limits = out.map("proxy", "limits");
            Object old = limits.putIfAbsent("endpoint_max_connections", maxconn);
            if (old != null && !old.equals(maxconn)) {
                notes.unsupported(file, s.line, "server ... maxconn", "Cairn has one endpoint_max_connections for every service");
            }
        }
        if (balance != null) route.put("balance", balance);
        if ("tcp".equals(mode)) route.put("mode", "tcp");
        backendRoutes.put(s.name, route);
    }

    private static Map<String, Object> orderCheck(Map<String, Object> check) {
        Map<String, Object> ordered = new LinkedHashMap<>();
        for (String k : List.of("type", "path", "expect_status", "expect_body", "interval", "timeout", "rise", "fall", "port")) {
            if (check.containsKey(k)) ordered.put(k, check.get(k));
        }
        return ordered;
    }

    private void httpCheck(Line l, Map<String, Object> check) {
        if ("expect".equals(l.arg(1))) {
            int i = 2;
            if ("!".equals(l.arg(i))) {
                notes.unsupported(file, l.no, "http-check expect !", "negated expectations are not supported");
                return;
            }
            String what = l.arg(i);
            String value = l.arg(i + 1);
            if ("status".equals(what) && value != null) check.put("expect_status", value);
            else if ("string".equals(what) && value != null) check.put("expect_body", value);
            else notes.unsupported(file, l.no, "http-check expect " + what, "only status N and string TEXT are supported");
        } else if ("send".equals(l.arg(1))) {
            for (int i = 2; i + 1 < l.w.size(); i++) {
                if (l.w.get(i).equals("uri")) check.put("path", l.w.get(i + 1));
                if (l.w.get(i).equals("hdr") && "host".equalsIgnoreCase(l.arg(i + 1)) && l.arg(i + 2) != null) {
                    notes.ignored(file, l.no, "http-check send hdr host", "set services.NAME.check.host to " + l.arg(i + 2));
                }
            }
        } else {
            notes.unsupported(file, l.no, "http-check " + l.arg(1), "not translated");
        }
    }

    /** One {@code server NAME ADDR[:PORT] [params]}; true when it has {@code check}. */
    private boolean server(Line l, List<Object> endpoints, Map<String, Object> check) {
        String name = l.arg(1);
        String addr = l.arg(2);
        if (name == null || addr == null) {
            notes.unsupported(file, l.no, "server", "needs a name and an address");
            return false;
        }
        Map<String, Object> ep = new LinkedHashMap<>();
        ep.put("address", addr);
        ep.put("name", name);
        boolean hasCheck = false;
        for (int i = 3; i < l.w.size(); i++) {
            String p = l.w.get(i);
            String v = l.arg(i + 1);
            switch (p) {
                case "check" -> hasCheck = true;
                case "inter" -> { putOnce(check, "interval", Tokens.duration(v, "ms"), l); i++; }
                case "rise" -> { putOnce(check, "rise", Integer.valueOf(v), l); i++; }
                case "fall" -> { putOnce(check, "fall", Integer.valueOf(v), l); i++; }
                case "port" -> { putOnce(check, "port", Integer.valueOf(v), l); i++; }
                case "weight" -> { ep.put("weight", Math.min(256, Integer.parseInt(v))); i++; }
                case "maxconn" -> i++;
                case "disabled" -> {
                    ep.put("weight", 0);
                    notes.ignored(file, l.no, "server " + name + " disabled", "weight 0 (no new traffic); "
                            + "`cairn drain` is the runtime equivalent");
                }
                case "backup" -> notes.unsupported(file, l.no, "server " + name + " backup",
                        "Cairn has no backup servers: it takes traffic like the others");
                case "ssl" -> notes.unsupported(file, l.no, "server " + name + " ssl",
                        "Cairn connects to endpoints in plain text");
                case "send-proxy", "send-proxy-v2" -> notes.unsupported(file, l.no, "server " + name + " " + p,
                        "Cairn does not send PROXY headers to endpoints");
                case "cookie", "slowstart", "observe", "error-limit", "on-error", "resolvers", "resolve-prefer",
                        "init-addr", "sni", "verify", "ca-file", "crt", "alpn", "check-ssl", "agent-check",
                        "agent-port", "agent-inter", "downinter", "fastinter" -> {
                    if (!Set.of("check-ssl", "agent-check").contains(p)) i++;
                    notes.ignored(file, l.no, "server " + name + " " + p, "not translated");
                }
                default -> notes.unsupported(file, l.no, "server " + name + " " + p, "not translated");
            }
        }
        endpoints.add(ep);
        return hasCheck;
    }

    private void putOnce(Map<String, Object> check, String key, Object value, Line l) {
        Object old = check.putIfAbsent(key, value);
        if (old != null && !old.equals(value)) {
            notes.unsupported(file, l.no, "server ... " + key, "Cairn checks every endpoint of a service alike ("
                    + old + " kept, " + value + " here)");
        }
    }

    private record Acl(String criterion, List<String> values, int line) {
    }

    private void frontend(Section s) {
        Map<String, Acl> acls = new LinkedHashMap<>();
        List<Line> binds = new ArrayList<>();
        List<Object> routes = new ArrayList<>();
        List<String> allow = new ArrayList<>();
        List<String> deny = new ArrayList<>();
        boolean redirectHttps = false;
        String mode = defaultMode;
        String defaultBackend = s.kind.equals("listen") && s.hasServers() ? s.name : null;
        Integer maxconn = defaultMaxconn;
        int maxconnLine = s.line;
        for (Line l : s.lines) {
            switch (l.kw()) {
                case "bind" -> binds.add(l);
                case "mode" -> mode = l.arg(1);
                case "acl" -> {
                    if (l.w.size() < 3) {
                        notes.unsupported(file, l.no, "acl", "needs a name and a criterion");
                    } else {
                        List<String> values = new ArrayList<>();
                        for (String v : l.w.subList(3, l.w.size())) if (!v.startsWith("-")) values.add(v);
                        acls.put(l.arg(1), new Acl(l.arg(2), values, l.no));
                    }
                }
                case "default_backend" -> defaultBackend = l.arg(1);
                case "use_backend" -> useBackend(l, acls, routes);
                case "redirect" -> redirectHttps |= redirect(l, 1);
                case "http-request" -> {
                    if ("redirect".equals(l.arg(1))) redirectHttps |= redirect(l, 2);
                    else if ("deny".equals(l.arg(1))) srcRule(l, 2, acls, allow, deny);
                    else if ("use-service".equals(l.arg(1)) && "prometheus-exporter".equals(l.arg(2))) {
                        notes.ignored(file, l.no, "http-request use-service prometheus-exporter",
                                "Cairn serves HAProxy-compatible metrics on metrics.listen /metrics");
                    } else notes.unsupported(file, l.no, "http-request " + l.arg(1), "not translated");
                }
                case "tcp-request" -> {
                    if ("connection".equals(l.arg(1)) && "reject".equals(l.arg(2))) srcRule(l, 3, acls, allow, deny);
                    else notes.unsupported(file, l.no, "tcp-request " + l.arg(1), "not translated");
                }
                case "timeout" -> timeout(l);
                case "option" -> {
                    if (!s.hasServers()) option(l, null);
                }
                case "maxconn" -> {
                    maxconn = maxconn(l);
                    maxconnLine = l.no;
                }
                case "server", "balance", "http-check", "cookie", "retries" -> {
                    if (!s.hasServers()) notes.unsupported(file, l.no, l.kw(), "in a frontend: not translated");
                }
                default -> harmlessOr(l, "frontend directive");
            }
        }
        if (binds.isEmpty()) {
            notes.unsupported(file, s.line, s.kind + " " + s.name, "has no bind: not translated");
            return;
        }
        if (maxconn != null) {
            // HAProxy's frontend maxconn (or the defaults' one) is a limit per frontend: Cairn's
            // proxy.limits.max_connections is one limit that every listener applies.
            Object old = out.map("proxy", "limits").putIfAbsent("max_connections", maxconn);
            if (old != null && !old.equals(maxconn)) {
                notes.unsupported(file, maxconnLine, "maxconn " + maxconn, "Cairn has one max_connections for every listener ("
                        + old + " from an earlier frontend is kept)");
            }
        }
        if (defaultBackend != null) {
            Map<String, Object> r = routeFor(defaultBackend, s.line);
            if (r != null) routes.add(r);
        }
        int n = 0;
        for (Line b : binds) {
            String name = binds.size() == 1 ? s.name : s.name + "-" + (++n);
            String addr = b.arg(1);
            if (addr == null) continue;
            if (addr.contains(",")) {
                notes.unsupported(file, b.no, "bind " + addr, "one address per bind line: split it");
                continue;
            }
            if (addr.startsWith("*:")) addr = addr.substring(1);
            if ("tcp".equals(mode)) {
                if (defaultBackend == null) {
                    notes.unsupported(file, s.line, s.kind + " " + s.name, "a TCP frontend needs default_backend");
                    continue;
                }
                Map<String, Object> tcp = YamlTree.entry("bind", addr, "service", defaultBackend);
                Object bal = backendRoutes.getOrDefault(defaultBackend, Map.of()).get("balance");
                if (bal != null) tcp.put("balance", bal);
                if (!allow.isEmpty()) tcp.put("allow", allow);
                if (!deny.isEmpty()) tcp.put("deny", deny);
                out.list("proxy", "tcp").add(tcp);
                continue;
            }
            Map<String, Object> listener = new LinkedHashMap<>();
            listener.put("name", name);
            listener.put("bind", addr);
            List<String> crts = new ArrayList<>();
            boolean ssl = false;
            for (int i = 2; i < b.w.size(); i++) {
                String p = b.w.get(i);
                if (p.equals("ssl")) ssl = true;
                else if (p.equals("crt") && b.arg(i + 1) != null) crts.add(b.arg(++i));
                else if (p.equals("alpn") || p.equals("npn")) i++;
                else if (p.equals("ssl-min-ver") && b.arg(i + 1) != null) minTls = b.arg(++i);
                else if (!p.equals("v4v6") && !p.equals("transparent")) {
                    notes.unsupported(file, b.no, "bind ... " + p, "not translated");
                }
            }
            if (ssl) {
                List<Object> certs = new ArrayList<>();
                for (String c : crts) {
                    if (Files.isDirectory(file.resolveSibling(c)) || c.endsWith("/")) {
                        notes.unsupported(file, b.no, "crt " + c, "a directory of certificates: list each file");
                    }
                    certs.add(YamlTree.entry("cert", c, "key", c)); // HAProxy's crt holds the chain and the key
                }
                Map<String, Object> tls = YamlTree.entry("certificates", certs);
                if (minTls != null) tls.put("min_version", minTls);
                listener.put("tls", tls);
            }
            if (redirectHttps && !ssl) listener.put("redirect_https", true);
            if (!allow.isEmpty()) listener.put("allow", allow);
            if (!deny.isEmpty()) listener.put("deny", deny);
            listener.put("routes", routes);
            out.list("proxy", "listeners").add(listener);
        }
    }

    private Map<String, Object> routeFor(String backend, int line) {
        Map<String, Object> r = backendRoutes.get(backend);
        if (r == null) {
            notes.unsupported(file, line, "backend " + backend, "no such backend");
            return null;
        }
        Map<String, Object> copy = new LinkedHashMap<>(r);
        copy.remove("mode");
        return copy;
    }

    private void useBackend(Line l, Map<String, Acl> acls, List<Object> routes) {
        String backend = l.arg(1);
        if (backend == null || !"if".equals(l.arg(2))) {
            notes.unsupported(file, l.no, "use_backend", "only 'use_backend NAME if ACL...' is translated");
            return;
        }
        List<String> hosts = new ArrayList<>();
        String path = null;
        for (String cond : l.w.subList(3, l.w.size())) {
            Acl a = acls.get(cond);
            if (a == null) {
                notes.unsupported(file, l.no, "use_backend ... " + cond, "only named ACLs (without ! or ||) are translated");
                return;
            }
            String c = a.criterion.toLowerCase(Locale.ROOT);
            if (c.equals("hdr(host)") || c.equals("hdr_dom(host)") || c.equals("req.hdr(host)")) {
                hosts.addAll(a.values);
            } else if (c.equals("hdr_end(host)")) {
                for (String v : a.values) hosts.add("*" + (v.startsWith(".") ? v : "." + v));
            } else if (c.equals("path_beg") && a.values.size() == 1) {
                path = a.values.get(0);
            } else {
                notes.unsupported(file, a.line, "acl " + a.criterion, "routes match host and path prefix only");
                return;
            }
        }
        Map<String, Object> base = routeFor(backend, l.no);
        if (base == null) return;
        if (hosts.isEmpty()) hosts.add(null);
        for (String h : hosts) {
            Map<String, Object> r = new LinkedHashMap<>();
            if (h != null) r.put("host", h);
            if (path != null) r.put("path", path);
            r.putAll(base);
            routes.add(r);
        }
    }

    /** {@code redirect scheme https ...}; true when translated. */
    private boolean redirect(Line l, int from) {
        if ("scheme".equals(l.arg(from)) && "https".equals(l.arg(from + 1))) return true;
        notes.unsupported(file, l.no, String.join(" ", l.w.subList(0, Math.min(l.w.size(), from + 2))),
                "only 'redirect scheme https' is translated");
        return false;
    }

    /** {@code ... deny|reject if [!]ACL} where the ACL is {@code src CIDR...}. */
    private void srcRule(Line l, int from, Map<String, Acl> acls, List<String> allow, List<String> deny) {
        String how = l.arg(from);
        String cond = l.arg(from + 1);
        if (how == null || cond == null || l.w.size() > from + 2) {
            notes.unsupported(file, l.no, String.join(" ", l.w), "only 'deny if [!]SRC_ACL' is translated");
            return;
        }
        boolean negate = cond.startsWith("!");
        Acl a = acls.get(negate ? cond.substring(1) : cond);
        boolean unless = how.equals("unless");
        if (a == null || !a.criterion.equals("src") || !(how.equals("if") || unless)) {
            notes.unsupported(file, l.no, String.join(" ", l.w), "only rules on an 'acl NAME src CIDR...' are translated");
            return;
        }
        // deny if !trusted  ==  deny unless trusted  ==  allow trusted only.
        if (negate != unless) allow.addAll(a.values);
        else deny.addAll(a.values);
    }
}
