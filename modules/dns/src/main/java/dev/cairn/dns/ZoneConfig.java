package dev.cairn.dns;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** {@code dns.zones.ORIGIN}: one zone this server is authoritative for. */
public record ZoneConfig(
        @Doc(value = "RFC 1035 zone file ($ORIGIN, $TTL, $INCLUDE, $GENERATE), relative to the config file.")
        Path file,
        @Doc(value = "Records in zone-file syntax, names relative to the zone, e.g. \"www 300 A 192.0.2.10\".")
        List<String> records,
        @Doc(value = "Names (relative to the zone, @ for the apex) answered from a catalog service's healthy endpoints.")
        Map<String, ServiceRecordConfig> serviceRecords,
        @Doc(value = "Clients (CIDR, or any) that may query the zone; others get REFUSED.", dflt = "[any]")
        List<String> allowQuery,
        @Doc(value = "Clients (CIDR) that may transfer the zone (AXFR/IXFR); none by default.")
        List<String> allowTransfer,
        @Doc(value = "TSIG key (from dns.tsig_keys) a transfer must be signed with; NOTIFY is signed with it too.")
        String transferKey,
        @Doc(value = "Secondaries (host:port) sent a NOTIFY when the zone's serial changes.")
        List<HostPort> alsoNotify) {

    /** {@code dns.zones.ORIGIN.service_records.NAME}: a name whose records follow a catalog service. */
    public record ServiceRecordConfig(
            @Doc(value = "Catalog service whose endpoints answer for this name.", required = true)
            String service,
            @Doc(value = "address: A/AAAA of the endpoints; srv: SRV records (port, weight) with their addresses.", dflt = "address")
            Kind type,
            @Doc(value = "TTL of the generated records; defaults to dns.health_ttl.")
            java.time.Duration ttl,
            @Doc(value = "SRV priority of the generated records.", dflt = "10")
            @dev.cairn.spi.config.Range(min = 0, max = 65535)
            int priority) {

        /** What records a binding generates. */
        public enum Kind { ADDRESS, SRV }
    }
}
