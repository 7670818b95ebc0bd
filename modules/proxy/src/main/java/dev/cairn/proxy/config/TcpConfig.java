package dev.cairn.proxy.config;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import java.util.List;

/** {@code proxy.tcp[]}: accept TCP connections and splice each to one endpoint of a service. */
public record TcpConfig(
        @Doc(value = "Address to listen on.", required = true, restart = true)
        HostPort bind,
        @Doc(value = "Catalog service to forward to.", required = true)
        String service,
        @Doc(value = "roundrobin, leastconn, source or first (first available endpoint in config order: a primary and its standby).", dflt = "roundrobin")
        RouteConfig.Balance balance,
        @Doc(value = "CIDRs allowed to connect; empty allows everyone not denied.", dflt = "[]")
        List<String> allow,
        @Doc(value = "CIDRs whose connections are closed at once; checked before allow.", dflt = "[]")
        List<String> deny) {

    public TcpConfig {
        for (List<String> cidrs : List.of(allow, deny)) {
            for (String c : cidrs) {
                dev.cairn.proxy.net.Cidr.parse(c);
            }
        }
    }
}
