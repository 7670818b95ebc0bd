package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import java.util.List;

/** {@code proxy.listeners[]}: one HTTP or HTTPS listener and its routes. */
public record ListenerConfig(
        @Doc(value = "Name used in metrics and logs.", required = true)
        String name,
        @Doc(value = "Address to listen on: host:port, [v6]:port or :port (every interface).", required = true, restart = true)
        HostPort bind,
        @Doc(value = "TLS certificates; present means HTTPS (HTTP/2 by ALPN).")
        TlsConfig tls,
        @Doc(value = "On a plain listener, answer every request with 308 to https://HOST:redirect_https_port.", dflt = "false")
        boolean redirectHttps,
        @Doc(value = "Port named in the https redirect (443 is left out of the URL).", dflt = "443")
        @Range(min = 1, max = 65535)
        int redirectHttpsPort,
        @Doc(value = "Expect a PROXY protocol v1/v2 header on every connection (behind another balancer).", dflt = "false", restart = true)
        boolean proxyProtocol,
        @Doc(value = "Accept HTTP/2 (h2 via ALPN on TLS, h2c prior knowledge on plain).", dflt = "true", restart = true)
        boolean http2,
        @Doc(value = "CIDRs allowed to connect; empty allows everyone not denied.", dflt = "[]")
        List<String> allow,
        @Doc(value = "CIDRs refused with 403; checked before allow.", dflt = "[]")
        List<String> deny,
        @Doc(value = "CIDRs of proxies whose X-Forwarded-*/Forwarded headers are kept and extended; from anyone else they are replaced.", dflt = "[]")
        List<String> trustedProxies,
        @Doc(value = "Routes, first match wins: by Host (exact, *.suffix or *) and path prefix.", dflt = "[]")
        List<RouteConfig> routes) {

    public ListenerConfig {
        if (name.isBlank()) {
            throw new IllegalArgumentException("listener name must not be empty");
        }
        for (List<String> cidrs : List.of(allow, deny, trustedProxies)) {
            for (String c : cidrs) {
                dev.cairn.proxy.net.Cidr.parse(c);
            }
        }
        if (redirectHttps && tls != null) {
            throw new IllegalArgumentException("redirect_https is for plain listeners; this one has tls");
        }
        if (routes.isEmpty() && !redirectHttps) {
            throw new IllegalArgumentException("listener '" + name + "' needs at least one route (or redirect_https: true)");
        }
    }

    /** The parts of a listener that need a new socket when they change. */
    public record RestartShape(dev.cairn.spi.config.HostPort bind, boolean tls, boolean proxyProtocol, boolean http2) {
    }

    public RestartShape restartShape() {
        return new RestartShape(bind, tls != null, proxyProtocol, http2);
    }
}
