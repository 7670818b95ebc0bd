package dev.cairn.dns.server;

import dev.cairn.dns.DnsConfig;
import java.util.Map;
import org.xbill.DNS.Name;

/**
 * What the query path needs besides the zones, swapped as one value on reload.
 *
 * @param ednsUdpSize largest UDP response to an EDNS client, and the size we advertise
 * @param policies per-zone access rules, by origin
 * @param minimalResponses what positive answers carry in authority and additional
 */
public record ServerSettings(int ednsUdpSize, Map<Name, ZonePolicy> policies, TsigKeys keys, RateLimiter rrl,
                             boolean queryLog, DnsConfig.MinimalResponses minimalResponses) {

    /** Who may query and transfer one zone. {@code transferKey} null: no TSIG required. */
    public record ZonePolicy(Acl allowQuery, Acl allowTransfer, Name transferKey) {
        public static final ZonePolicy OPEN = new ZonePolicy(Acl.ANY, Acl.NONE, null);
    }

    public ZonePolicy policy(Name origin) {
        ZonePolicy p = policies.get(origin);
        return p == null ? ZonePolicy.OPEN : p;
    }
}
