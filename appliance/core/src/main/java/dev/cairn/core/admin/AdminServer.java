package dev.cairn.core.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.BuildInfo;
import dev.cairn.core.config.AdminConfig;
import dev.cairn.core.lifecycle.Host;
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
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int MAX_BODY = 64 * 1024;

    private final Host host;
    private final ExecutorService pool;
    private volatile HttpServer server;
    private volatile byte[] token;
    private volatile HostPort listen;

    public AdminServer(Host host) {
        this.host = host;
        this.pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "cairn-admin");
            t.setDaemon(true);
            return t;
        });
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
        log.info("admin API listening on {}", s.getAddress());
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
            if (!authorized(ex)) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"cairn\"");
                send(ex, 401, Map.of("error", "missing or wrong bearer token"));
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            List<String> seg = segments(path);
            if (seg.isEmpty()) {
                if (!allow(ex, "GET")) return;
                byte[] html = StatusPage.render(host, status(), catalog()).getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                ex.getResponseHeaders().set("Cache-Control", "no-store");
                ex.sendResponseHeaders(200, html.length);
                ex.getResponseBody().write(html);
                return;
            }
            if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("status")) {
                if (allow(ex, "GET")) send(ex, 200, status());
            } else if (seg.size() == 2 && seg.get(0).equals("api") && seg.get(1).equals("catalog")) {
                if (allow(ex, "GET")) send(ex, 200, catalog());
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
            log.atError().addKeyValue("error_id", "CAIRN-CORE-0010").setCause(e).log("admin request failed");
            send(ex, 500, Map.of("error", e.toString()));
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
            log.atError().addKeyValue("error_id", "CAIRN-CORE-0011").addKeyValue("module", name)
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
                Object w = JSON.readValue(body, Map.class).get("weight");
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
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        return MessageDigest.isEqual(want, h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
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
        byte[] bytes = JSON.writeValueAsBytes(body);
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

    private static Map<String, Object> endpointJson(EndpointView e) {
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
        return m;
    }
}
