package dev.cairn.core.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.spi.config.Suggestions;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.ModuleStatus;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.ServiceView;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Demo backends: one tiny HTTP server on every loopback endpoint of a catalog service. Each
 * answers {@code GET /} with its name, {@code GET /health} with 200 (or 503 after
 * {@code POST /_demo/fail}, until {@code POST /_demo/recover}), so an operator can watch health
 * checks and balancing work on a fresh machine.
 */
public final class DemoModule implements Module<DemoConfig> {

    private final List<HttpServer> servers = new ArrayList<>();
    private ExecutorService pool;
    private String service;

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public Class<DemoConfig> configType() {
        return DemoConfig.class;
    }

    @Override
    public void validate(DemoConfig config, ValidationContext ctx) {
        if (!ctx.serviceNames().contains(config.service())) {
            ctx.problems().error(config, "service", "unknown service '" + config.service() + "'"
                    + Suggestions.didYouMean(config.service(), ctx.serviceNames()));
        }
    }

    @Override
    public void start(DemoConfig config, ModuleContext ctx) throws IOException {
        service = config.service();
        pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "cairn-demo");
            t.setDaemon(true);
            return t;
        });
        ServiceView svc = ctx.catalog().service(service).orElseThrow();
        for (EndpointView ep : svc.endpoints()) {
            if (!InetAddress.getByName(ep.host()).isLoopbackAddress()) continue;
            HttpServer s = HttpServer.create(new InetSocketAddress(ep.host(), ep.port()), 64);
            AtomicBoolean failing = new AtomicBoolean();
            String name = ep.name();
            s.createContext("/", ex -> handle(ex, name, failing));
            s.setExecutor(pool);
            s.start();
            servers.add(s);
        }
    }

    private static void handle(HttpExchange ex, String name, AtomicBoolean failing) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            int code = 200;
            String body;
            if (path.equals("/health")) {
                code = failing.get() ? 503 : 200;
                body = failing.get() ? "failing\n" : "ok\n";
            } else if (path.equals("/_demo/fail") && method.equals("POST")) {
                failing.set(true);
                body = "health checks will now fail\n";
            } else if (path.equals("/_demo/recover") && method.equals("POST")) {
                failing.set(false);
                body = "health checks will now pass\n";
            } else {
                body = "hello from demo backend " + name + "\n";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.getResponseHeaders().set("X-Demo-Backend", name);
            if (method.equals("HEAD")) {
                ex.sendResponseHeaders(code, -1);
            } else {
                ex.sendResponseHeaders(code, bytes.length);
                ex.getResponseBody().write(bytes);
            }
        }
    }

    @Override
    public void stop() {
        servers.forEach(s -> s.stop(0));
        servers.clear();
        if (pool != null) pool.shutdownNow();
        pool = null;
    }

    @Override
    public ModuleStatus status() {
        return new ModuleStatus(true, servers.size() + " demo backends for service " + service,
                Map.of("backends", servers.stream().map(s -> dev.cairn.spi.config.HostPort.display(s.getAddress())).toList()));
    }
}
