package dev.cairn.dns;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import dev.cairn.spi.config.Range;
import java.time.Duration;
import java.util.Map;

/**
 * {@code dns:} the authoritative DNS server. The keys marked restart ({@code listen}, {@code udp_listeners},
 * {@code udp_batch}, {@code tcp_idle_timeout}, {@code tcp_max_connections}) re-open the listeners on reload,
 * new sockets bound before the old ones close; everything else applies in place.
 */
public record DnsConfig(
        @Doc(value = "Address for both UDP and TCP, e.g. :53 or 127.0.0.1:5353; a change re-opens the listeners (the new sockets are bound before the old ones close; open TCP connections close).", dflt = ":53", restart = true)
        HostPort listen,
        @Doc(value = "UDP sockets (SO_REUSEPORT), each served by its own thread; 0: one per CPU core.", dflt = "0", restart = true)
        @Range(min = 0, max = 64)
        int udpListeners,
        @Doc(value = "Datagrams read per recvmmsg(2) and answers sent per sendmmsg(2), per listener (Linux, Java 17); 1: one datagram per system call.", dflt = "32", restart = true)
        @Range(min = 1, max = 1024)
        int udpBatch,
        @Doc(value = "Largest UDP response sent to an EDNS client (RFC 6891); clients without EDNS get 512.", dflt = "1232")
        @Range(min = 512, max = 4096)
        int ednsUdpSize,
        @Doc(value = "A TCP connection with no query for this long is closed (RFC 7766).", dflt = "10s", restart = true)
        Duration tcpIdleTimeout,
        @Doc(value = "Concurrent TCP connections; one more is closed at once.", dflt = "256", restart = true)
        @Range(min = 1, max = 65536)
        int tcpMaxConnections,
        @Doc(value = "Default TTL of records bound to a catalog service.", dflt = "10s")
        Duration healthTtl,
        @Doc(value = "How often zone files are checked for changes (0s: only on config reload).", dflt = "5s")
        Duration zoneReloadInterval,
        @Doc(value = "Log one JSON line per query (logger cairn.dns.query).", dflt = "false")
        boolean queryLog,
        @Doc(value = "As BIND's minimal-responses: no adds the zone's NS (authority) and their addresses (additional) to positive answers; yes adds neither, nor MX/SRV target addresses; no-auth adds only the additional addresses; no-auth-recursive acts as no-auth for queries with RD set and as no without (BIND's default, NSD's answers).", dflt = "no-auth-recursive")
        MinimalResponses minimalResponses,
        @Doc(value = "TSIG keys by name, for zone transfers and NOTIFY.")
        Map<String, TsigKeyConfig> tsigKeys,
        @Doc(value = "Response rate limiting per client prefix, as BIND's RRL; off by default.")
        RrlConfig rrl,
        @Doc(value = "Zones by origin (e.g. example.com): a zone file, inline records, service-bound records.", required = true)
        Map<String, ZoneConfig> zones,
        @Doc(value = "Also serve the figures under bind_exporter's names (bind_up, bind_incoming_queries_total{type}, bind_responses_total{result}, ...), so BIND dashboards and alerts work unchanged.", dflt = "true")
        boolean bindMetrics) {

    public static final HostPort DEFAULT_LISTEN = new HostPort("", 53);

    /** {@code dns.minimal_responses}: what a positive answer carries besides the answer, as BIND's option of the same name. */
    public enum MinimalResponses {
        /** Nothing extra: no authority NS, no MX/SRV target addresses (referrals keep their glue, NS answers their addresses). */
        YES,
        /** The zone's NS in the authority section and the addresses of NS, MX and SRV targets. */
        NO,
        /** Additional addresses but no authority NS (what Cairn always did before this key). */
        NO_AUTH,
        /** NO_AUTH for queries with RD set (from resolvers' clients), NO for those without (resolvers, secondaries). */
        NO_AUTH_RECURSIVE;

        /** Whether a positive answer to a query with (or without) RD carries the apex NS in its authority section. */
        public boolean authorityNs(boolean rd) {
            return this == NO || (this == NO_AUTH_RECURSIVE && !rd);
        }

        /** Whether answers carry the addresses of MX and SRV targets (NS answers and referrals always carry theirs). */
        public boolean additional() {
            return this != YES;
        }
    }

    /** The response rate limiter's settings; {@code responses_per_second: 0} turns it off. */
    public record RrlConfig(
            @Doc(value = "Identical responses per second allowed to one client prefix (0: off).", dflt = "0")
            @Range(min = 0, max = 1_000_000)
            int responsesPerSecond,
            @Doc(value = "Every Nth limited response is sent truncated (TC=1) instead of dropped (0: drop all).", dflt = "2")
            @Range(min = 0, max = 10)
            int slip,
            @Doc(value = "IPv4 client prefix length that shares one limit.", dflt = "24")
            @Range(min = 8, max = 32)
            int ipv4Prefix,
            @Doc(value = "IPv6 client prefix length that shares one limit.", dflt = "56")
            @Range(min = 16, max = 128)
            int ipv6Prefix) {

        public static final RrlConfig OFF = new RrlConfig(0, 2, 24, 56);

        public boolean enabled() {
            return responsesPerSecond > 0;
        }
    }

    /** {@code dns.tsig_keys.NAME}: a shared secret, read from a file (never inline). */
    public record TsigKeyConfig(
            @Doc(value = "hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5.", dflt = "hmac-sha256")
            String algorithm,
            @Doc(value = "File with the base64 secret, or a BIND key file (key \"name\" { secret \"...\"; };).", required = true)
            java.nio.file.Path secretFile) {
    }

    /** UDP listener threads to start: {@code udp_listeners}, or one per core the JVM may use when 0. */
    public int udpListenerThreads() {
        return udpListeners > 0 ? udpListeners : Math.min(64, Runtime.getRuntime().availableProcessors());
    }

    public RrlConfig rrlOrOff() {
        return rrl == null ? RrlConfig.OFF : rrl;
    }
}
