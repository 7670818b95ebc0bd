package dev.cairn.proxy;

import dev.cairn.proxy.config.AccessLogConfig;
import dev.cairn.proxy.config.LimitsConfig;
import dev.cairn.proxy.config.ListenerConfig;
import dev.cairn.proxy.config.PassiveHealthConfig;
import dev.cairn.proxy.config.TcpConfig;
import dev.cairn.proxy.config.TlsEngineConfig;
import dev.cairn.proxy.config.TimeoutsConfig;
import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code proxy:} HTTP(S) listeners with routes to catalog services, and TCP (L4) forwards. */
public record ProxyConfig(
        @Doc(value = "HTTP and HTTPS listeners, each with routes by Host and path prefix.", dflt = "[]")
        List<ListenerConfig> listeners,
        @Doc(value = "TCP (L4) forwards: bind address to a catalog service.", dflt = "[]")
        List<TcpConfig> tcp,
        @Doc(value = "Client, server, connect, queue and keep-alive timeouts.", dflt = "{}")
        TimeoutsConfig timeouts,
        @Doc(value = "Body, header and connection limits.", dflt = "{}")
        LimitsConfig limits,
        @Doc(value = "Passive health: endpoints failing live traffic are taken out for a while.", dflt = "{}")
        PassiveHealthConfig passiveHealth,
        @Doc(value = "One line per HTTP request on the log stream.", dflt = "{}")
        AccessLogConfig accessLog,
        @Doc(value = "The TLS implementation of the HTTPS listeners.", dflt = "{}")
        TlsEngineConfig tls,
        @Doc(value = "IO threads shared by every listener (0: two per core, so that one thread waiting for a core stalls fewer connections when the proxy shares its cores with other busy processes).", dflt = "0", restart = true)
        @Range(min = 0, max = 256)
        int ioThreads,
        @Doc(value = "Forward HTTP/1.1 requests (GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, bodies streamed) on plain and TLS listeners without proxy_protocol through Cairn's own fast path (the same routing, balancing, headers, retries, timeouts, metrics and log), and HTTP/2 streams (h2, h2c) to proxy-only routes through Cairn's own HTTP/1.1 upstream code behind Undertow's HTTP/2; everything else takes the full Undertow path. false sends every request through the full path (HTTP/2 streams through Undertow's proxy handler).", dflt = "true", restart = true)
        boolean fastPath,
        @Doc(value = "File with the secret that signs sticky-session cookies; the same file on every node keeps stickiness across nodes (default: a random key per process).")
        Path stickySecretFile,
        @Doc(value = "Also serve the figures under HAProxy's exporter names (haproxy_frontend_*, haproxy_backend_*, haproxy_server_* with proxy/server labels), so HAProxy dashboards and alerts work unchanged.", dflt = "true")
        boolean haproxyMetrics) {

    public ProxyConfig {
        Set<String> names = new HashSet<>();
        for (ListenerConfig l : listeners) {
            if (l != null && !names.add(l.name())) {
                throw new IllegalArgumentException("two listeners are named '" + l.name() + "'");
            }
        }
    }
}
