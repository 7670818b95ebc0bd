package dev.cairn.core.admin;

import dev.cairn.core.CoreErrors;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.BuildInfo;
import dev.cairn.core.config.AdminConfig;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.ServiceView;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API and status page on {@code admin.listen}: status, catalog, reload, drain/enable and
 * weight of an endpoint. When a token file is configured every request needs
 * {@code Authorization: Bearer TOKEN}. Owns its listener thread pool.
 */
public final class AdminServer {

    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** Made on the first JSON request: Jackson's ~370 classes are not loaded by a start. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }
    private static final int MAX_BODY = 64 * 1024;

    private static final String SESSION_COOKIE = "cairn_admin";

    private final AdminApi host;
    private final ExecutorService pool;
    /** The console's CSRF token: random per process, embedded in every form it renders. */
    private final String csrf = newCsrfToken();
    private volatile HttpServer server;
    private volatile byte[] token;
    private volatile HostPort listen;

    public AdminServer(AdminApi host) {
        this.host = host;
        this.pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "cairn-admin");
            t.setDaemon(true);
            return t;
        });
    }

    private static String newCsrfToken() {
        byte[] b = new byte[24];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public void start(AdminConfig cfg, Path dir) throws IOException {
        token = readToken(cfg, dir);
        server = bind(cfg);
    }

    /** Moves to a new address or token: binds the new listener before closing the old one. */
    public void rebind(AdminConfig cfg, Path dir) throws IOException {
        byte[] newToken = readToken(cfg, dir);
        HttpServer old = server;
        if (!cfg.listen().equals(listen)) {
            HttpServer fresh = bind(cfg);
            server = fresh;
            old.stop(0);
        }
        token = newToken;
    }

    public void stop() {
        HttpServer s = server;
        if (s != null) s.stop(0);
        pool.shutdownNow();
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private HttpServer bind(AdminConfig cfg) throws IOException {
        HttpServer s = HttpServer.create(cfg.listen().toSocketAddress(), 64);
        listen = cfg.listen();
        s.setExecutor(pool);
        s.createContext("/", this::handle);
        s.start();
        log.info("admin API listening on {}", dev.cairn.spi.config.HostPort.display(s.getAddress()));
        return s;
    }

    private static byte[] readToken(AdminConfig cfg, Path dir) throws IOException {
        if (cfg.tokenFile() == null) return null;
        String t = Files.readString(dir.resolve(cfg.tokenFile())).trim();
        if (t.isEmpty()) throw new IOException("token file " + cfg.tokenFile() + " is empty");
        return t.getBytes(StandardCharsets.UTF_8);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            String refused = foreignRequest(ex);
            if (refused != null) {
                log.atWarn().addKeyValue("error_id", CoreErrors.ADMIN_REQUEST_REFUSED.id()).log("admin request refused: {}", refused);
                send(ex, 403, Map.of("error", refused));
                return;
            }
            if (path.equals("/ui/console.css")) {
                sendText(ex, 200, "text/css; charset=utf-8", Console.CSS);
                return;
            }
            if (path.equals("/favicon.ico") || path.equals("/ui/favicon.svg")) {
                sendText(ex, 200, "image/svg+xml", Console.ICON);
                return;
            }
            if (path.equals("/ui/login")) {
                login(ex);
                return;
            }
            if (!authorized(ex)) {
                if (browser(ex) && (path.equals("/") || path.startsWith("/ui/"))) {
                    ex.getResponseHeaders().set("Location", "/ui/login");
                    sendText(ex, 303, "text/plain; charset=utf-8", "sign in at /ui/login\n");
                    return;
                }
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"cairn\"");
                send(ex, 401, Map.of("error", "missing or wrong bearer token"));
                return;
            }
            String method = ex.getRequestMethod();
            List<String> seg = segments(path);
            if (seg.isEmpty()) {
                if (!allow(ex, "GET")) return;
                Map<String, String> q = query(ex);
                int refresh = 10;
                try {
                    refresh = Math.max(0, Math.min(3600, Integer.parseInt(q.getOrDefault("refresh", "10"))));
                } catch (NumberFormatException e) {
                    // keep the default
                }
                html(ex, 200, Console.overview(status(), catalog(), csrf, refresh, q.get("msg"), !"0".equals(q.get("ok"))));
                return;
            }
            if (path.equals("/ui/action")) {
                if (allow(ex, "POST")) uiAction(ex);
                return;
            }
            if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("status")) {
                if (allow(ex, "GET")) send(ex, 200, status());
            } else if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("catalog")) {
                if (allow(ex, "GET")) send(ex, 200, catalog());
            } else if (seg.size() == 3 && seg.get(0).equals("api") && seg.get(1).equals("reload") && seg.get(2).equals("plan")) {
                if (!allow(ex, "GET")) return;
                ReloadResult r = host.plan();
                send(ex, r.ok() ? 200 : 422, reloadJson(r));
            } else if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("reload")) {
                if (!allow(ex, "POST")) return;
                ReloadResult r = host.reload();
                send(ex, r.ok() ? 200 : 422, reloadJson(r));
            } else if (seg.size() == 6 && seg.get(0).equals("api") && seg.get(1).equals("services")
                    && seg.get(3).equals("endpoints")) {
                if (!allow(ex, "POST")) return;
                endpointAction(ex, seg.get(2), seg.get(4), seg.get(5));
            } else if (seg.size() == 4 && seg.get(0).equals("api") && seg.get(1).equals("modules")) {
                moduleAction(ex, seg.get(2), seg.get(3));
            } else {
                send(ex, 404, Map.of("error", "no such resource: " + path));
            }
        } catch (RuntimeException e) {
            log.atError().addKeyValue("error_id", CoreErrors.ADMIN_REQUEST_FAILED.id()).setCause(e).log("admin request failed");
            send(ex, 500, Map.of("error", e.toString()));
        }
    }

    // ---- the console: browser sign-in, actions with a confirmation step, request guards ----

    /**
     * Why a request must be refused before anything else, or null. A Host header that names this
     * listener by a DNS name other than localhost or this machine's name is refused (DNS
     * rebinding: a page of another site resolving its name to 127.0.0.1); so is a POST whose
     * Origin is not this listener (a form posted from another site).
     */
    private String foreignRequest(HttpExchange ex) {
        String hostHeader = ex.getRequestHeaders().getFirst("Host");
        if (hostHeader != null && !allowedHost(hostHeader)) {
            return "Host '" + hostHeader + "' is not this admin listener: use its address or localhost";
        }
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin != null && !ex.getRequestMethod().equalsIgnoreCase("GET") && !ex.getRequestMethod().equalsIgnoreCase("HEAD")) {
            if (origin.equals("null") || hostHeader == null || !(origin.equals("http://" + hostHeader) || origin.equals("https://" + hostHeader))) {
                return "Origin '" + origin + "' is not this admin listener";
            }
        }
        return null;
    }

    private static boolean allowedHost(String hostHeader) {
        String h = hostHeader.trim().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[")) return h.indexOf(']') > 0; // an IPv6 literal
        int colon = h.lastIndexOf(':');
        if (colon >= 0) h = h.substring(0, colon);
        if (h.equals("localhost") || h.matches("[0-9.]+")) return true;
        return h.equals(LOCAL_NAME) || (LOCAL_NAME.contains(".") && h.equals(LOCAL_NAME.substring(0, LOCAL_NAME.indexOf('.'))));
    }

    private static final String LOCAL_NAME = localName();

    private static String localName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().toLowerCase(java.util.Locale.ROOT);
        } catch (IOException e) {
            return "localhost";
        }
    }

    private static boolean browser(HttpExchange ex) {
        String accept = ex.getRequestHeaders().getFirst("Accept");
        return accept != null && accept.contains("text/html");
    }

    /** {@code GET /ui/login} shows the token form; {@code POST} checks the token and sets the session cookie. */
    private void login(HttpExchange ex) throws IOException {
        if (token == null) {
            ex.getResponseHeaders().set("Location", "/");
            sendText(ex, 303, "text/plain; charset=utf-8", "no token needed\n");
            return;
        }
        if (ex.getRequestMethod().equalsIgnoreCase("GET")) {
            html(ex, 200, Console.login(null));
            return;
        }
        if (!allow(ex, "POST")) return;
        String given = form(ex).getOrDefault("token", "").trim();
        if (!MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
            log.atWarn().addKeyValue("error_id", CoreErrors.CONSOLE_SIGN_IN_FAILED.id()).log("admin console sign-in with a wrong token");
            html(ex, 401, Console.login("Wrong token."));
            return;
        }
        ex.getResponseHeaders().add("Set-Cookie", SESSION_COOKIE + "=" + given + "; Path=/; HttpOnly; SameSite=Strict");
        ex.getResponseHeaders().set("Location", "/");
        sendText(ex, 303, "text/plain; charset=utf-8", "signed in\n");
    }

    /** {@code POST /ui/action}: checks the CSRF token, asks for confirmation, then acts and goes back to the console. */
    private void uiAction(HttpExchange ex) throws IOException {
        Map<String, String> f = form(ex);
        if (!Console.sameToken(csrf, f.get("csrf"))) {
            log.atWarn().addKeyValue("error_id", CoreErrors.ADMIN_REQUEST_REFUSED.id()).log("console action without a valid CSRF token refused");
            html(ex, 403, Console.confirm("This form has expired or did not come from this console: reload the console "
                    + "and try again.", csrf, Map.of()).replace("Yes, do it", "Nothing to do"));
            return;
        }
        String action = f.getOrDefault("action", "");
        String svc = f.get("service");
        String ep = f.get("endpoint");
        String question;
        switch (action) {
            case "drain" -> question = "Drain endpoint " + ep + " of service " + svc + "? It takes no new traffic "
                    + "until it is enabled again (requests in flight finish).";
            case "enable" -> question = "Enable endpoint " + ep + " of service " + svc + "? It takes traffic again when it is up.";
            case "weight" -> question = "Set the weight of endpoint " + ep + " of service " + svc + " to " + f.get("weight") + "?";
            case "reload" -> question = "Reload the config file? An invalid file changes nothing.";
            case "module" -> question = "Run \u201ccairn " + f.get("module") + " " + f.get("module_action") + " "
                    + f.getOrDefault("target", "") + "\u201d now?";
            default -> {
                redirect(ex, "unknown action '" + action + "'", false);
                return;
            }
        }
        Map<String, String> fields = new LinkedHashMap<>(f);
        fields.remove("csrf");
        fields.remove("confirm");
        fields.remove("do");
        if (!"yes".equals(f.get("confirm"))) {
            html(ex, 200, Console.confirm(question, csrf, fields));
            return;
        }
        String done;
        boolean ok = true;
        try {
            switch (action) {
                case "drain", "enable" -> {
                    Optional<EndpointView> r = host.catalog().setDrained(svc, ep, action.equals("drain"));
                    ok = r.isPresent();
                    done = ok ? "endpoint " + svc + "/" + ep + (action.equals("drain") ? " drained" : " enabled")
                            : "no endpoint '" + ep + "' in service '" + svc + "'";
                }
                case "weight" -> {
                    int w = Integer.parseInt(f.getOrDefault("weight", "").trim());
                    Optional<EndpointView> r = host.catalog().setWeight(svc, ep, w);
                    ok = r.isPresent();
                    done = ok ? "endpoint " + svc + "/" + ep + " weight " + w : "no endpoint '" + ep + "' in service '" + svc + "'";
                }
                case "reload" -> {
                    ReloadResult r = host.reload();
                    ok = r.ok();
                    done = ok ? "config reloaded: " + (r.applied().isEmpty() ? "no changes" : String.join("; ", r.applied()))
                            : "reload rejected, the previous config is still running: " + String.join("; ", r.errors());
                }
                default -> {
                    Optional<dev.cairn.spi.Module<?>> m = host.module(f.getOrDefault("module", ""));
                    if (m.isEmpty()) throw new IllegalArgumentException("module '" + f.get("module") + "' is not running");
                    Map<String, String> params = new LinkedHashMap<>();
                    if (f.get("target") != null) params.put(f.getOrDefault("target_key", "job"), f.get("target"));
                    Object r = m.get().action(f.getOrDefault("module_action", ""), params, true);
                    done = f.get("module") + " " + f.get("module_action") + ": " + r;
                }
            }
        } catch (dev.cairn.spi.Module.ActionException | IllegalArgumentException e) {
            ok = false;
            done = e.getMessage();
        } catch (Exception e) {
            ok = false;
            done = action + " failed: " + e.getMessage();
        }
        log.info("console action {}: {}", action, done);
        redirect(ex, done, ok);
    }

    private static void redirect(HttpExchange ex, String message, boolean ok) throws IOException {
        String q = "/?msg=" + java.net.URLEncoder.encode(message, StandardCharsets.UTF_8) + "&ok=" + (ok ? "1" : "0");
        ex.getResponseHeaders().set("Location", q);
        sendText(ex, 303, "text/plain; charset=utf-8", message + "\n");
    }

    private static Map<String, String> query(HttpExchange ex) {
        return decodeForm(ex.getRequestURI().getRawQuery());
    }

    private static Map<String, String> form(HttpExchange ex) throws IOException {
        return decodeForm(new String(readBody(ex), StandardCharsets.UTF_8));
    }

    private static Map<String, String> decodeForm(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        for (String kv : raw.split("&")) {
            if (kv.isEmpty()) continue;
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    private static void html(HttpExchange ex, int code, String page) throws IOException {
        ex.getResponseHeaders().set("Content-Security-Policy", Console.CSP);
        ex.getResponseHeaders().set("X-Frame-Options", "DENY");
        // same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts, which the guard refuses.
        ex.getResponseHeaders().set("Referrer-Policy", "same-origin");
        sendText(ex, code, "text/html; charset=utf-8", page);
    }

    private static void sendText(HttpExchange ex, int code, String type, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** {@code GET|POST /api/modules/{module}/{action}?k=v}: a module's own operator actions. */
    private void moduleAction(HttpExchange ex, String name, String action) throws IOException {
        boolean post = ex.getRequestMethod().equalsIgnoreCase("POST");
        if (!post && !ex.getRequestMethod().equalsIgnoreCase("GET")) {
            ex.getResponseHeaders().set("Allow", "GET, POST");
            send(ex, 405, Map.of("error", "use GET or POST"));
            return;
        }
        Optional<dev.cairn.spi.Module<?>> module = host.module(name);
        if (module.isEmpty()) {
            send(ex, 404, Map.of("error", "module '" + name + "' is not running"));
            return;
        }
        Map<String, String> params = new LinkedHashMap<>();
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String kv : q.split("&")) {
                if (kv.isEmpty()) continue;
                int eq = kv.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
                params.put(k, v);
            }
        }
        try {
            Object result = module.get().action(action, params, post);
            send(ex, 200, result == null ? Map.of() : result);
        } catch (dev.cairn.spi.Module.ActionException e) {
            send(ex, e.status(), Map.of("error", e.getMessage()));
        } catch (Exception e) {
            log.atError().addKeyValue("error_id", CoreErrors.MODULE_ACTION_FAILED.id()).addKeyValue("module", name)
                    .log("module {} action {} failed: {}", name, action, e.toString());
            send(ex, 500, Map.of("error", "module " + name + " action " + action + " failed: " + e.getMessage()));
        }
    }

    private void endpointAction(HttpExchange ex, String svc, String ep, String action) throws IOException {
        Optional<EndpointView> result;
        switch (action) {
            case "drain" -> result = host.catalog().setDrained(svc, ep, true);
            case "enable" -> result = host.catalog().setDrained(svc, ep, false);
            case "weight" -> {
                Integer weight;
                try {
                    weight = parseWeight(ex);
                } catch (IllegalArgumentException e) {
                    send(ex, 400, Map.of("error", e.getMessage()));
                    return;
                }
                result = host.catalog().setWeight(svc, ep, weight);
            }
            default -> {
                send(ex, 404, Map.of("error", "unknown action '" + action + "' (drain, enable, weight)"));
                return;
            }
        }
        if (result.isEmpty()) {
            send(ex, 404, Map.of("error", "no endpoint '" + ep + "' in service '" + svc + "'"));
        } else {
            send(ex, 200, endpointJson(result.get()));
        }
    }

    /** {@code ?weight=N} or a body {@code {"weight": N}}; {@code reset} or null restores the config's. */
    private static Integer parseWeight(HttpExchange ex) throws IOException {
        String q = ex.getRequestURI().getRawQuery();
        String value = null;
        if (q != null) {
            for (String kv : q.split("&")) {
                if (kv.startsWith("weight=")) value = URLDecoder.decode(kv.substring(7), StandardCharsets.UTF_8);
            }
        }
        if (value == null) {
            byte[] body = readBody(ex);
            if (body.length > 0) {
                Object w = Json.MAPPER.readValue(body, Map.class).get("weight");
                value = w == null ? "reset" : w.toString();
            }
        }
        if (value == null) throw new IllegalArgumentException("give ?weight=N (0..256) or ?weight=reset");
        if (value.equals("reset")) return null;
        try {
            int w = Integer.parseInt(value.trim());
            if (w < 0 || w > 256) throw new IllegalArgumentException("weight " + w + " is out of range 0..256");
            return w;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("weight '" + value + "' is not a number 0..256");
        }
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) throw new IllegalArgumentException("request body too large");
            return b;
        }
    }

    private boolean authorized(HttpExchange ex) {
        byte[] want = token;
        if (want == null) return true;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return MessageDigest.isEqual(want, h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
        }
        // The console's session cookie (set by /ui/login) holds the same token.
        for (String cookies : ex.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String c : cookies.split(";")) {
                String kv = c.trim();
                if (kv.startsWith(SESSION_COOKIE + "=")) {
                    return MessageDigest.isEqual(want, kv.substring(SESSION_COOKIE.length() + 1).getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return false;
    }

    private static boolean allow(HttpExchange ex, String method) throws IOException {
        if (ex.getRequestMethod().equalsIgnoreCase(method)) return true;
        ex.getResponseHeaders().set("Allow", method);
        send(ex, 405, Map.of("error", "use " + method));
        return false;
    }

    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void send(HttpExchange ex, int code, Object body) throws IOException {
        byte[] bytes = Json.MAPPER.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    // ---- JSON views ----

    Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", host.node());
        m.put("cluster", host.config().cluster() == null ? null : host.config().cluster().clusterName());
        m.put("version", BuildInfo.version());
        Instant started = host.startedAt();
        m.put("started_at", started.toString());
        m.put("uptime_seconds", Duration.between(started, Instant.now()).toSeconds());
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("file", host.config().file().toAbsolutePath().toString());
        cfg.put("hash", host.config().hash());
        cfg.put("last_reload", reloadJson(host.lastReload()));
        m.put("config", cfg);
        List<Map<String, Object>> mods = new ArrayList<>();
        for (Map.Entry<String, ModuleStatus> e : host.moduleStatus().entrySet()) {
            Map<String, Object> mm = new LinkedHashMap<>();
            mm.put("name", e.getKey());
            mm.put("healthy", e.getValue().healthy());
            mm.put("summary", e.getValue().summary());
            mm.put("details", e.getValue().details());
            mods.add(mm);
        }
        m.put("modules", mods);
        Map<String, Object> svcs = new LinkedHashMap<>();
        for (ServiceView s : host.catalog().services()) {
            svcs.put(s.name(), Map.of("endpoints", s.endpoints().size(), "available", s.available().size()));
        }
        m.put("services", svcs);
        return m;
    }

    Map<String, Object> catalog() {
        List<Map<String, Object>> services = new ArrayList<>();
        for (ServiceView s : host.catalog().services()) {
            List<Map<String, Object>> eps = new ArrayList<>();
            s.endpoints().forEach(e -> eps.add(endpointJson(e)));
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("name", s.name());
            sm.put("endpoints", eps);
            services.add(sm);
        }
        return Map.of("services", services);
    }

    private Map<String, Object> endpointJson(EndpointView e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", e.service());
        m.put("name", e.name());
        m.put("address", e.address());
        m.put("weight", e.weight());
        m.put("tags", e.tags());
        m.put("health", e.health().name().toLowerCase());
        m.put("drained", e.drained());
        m.put("available", e.available());
        m.put("since", e.since().toString());
        m.put("last_check", e.lastCheck());
        host.catalog().lastCheckDuration(e.service(), e.name())
                .ifPresent(d -> m.put("last_check_ms", Math.round(d.toNanos() / 1e4) / 100.0));
        return m;
    }

    private static Map<String, Object> reloadJson(ReloadResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r == null) return m;
        m.put("ok", r.ok());
        m.put("at", r.at().toString());
        m.put("hash", r.hash());
        m.put("errors", r.errors());
        m.put("applied", r.applied());
        m.put("restart_keys", r.restartKeys());
        return m;
    }
}
