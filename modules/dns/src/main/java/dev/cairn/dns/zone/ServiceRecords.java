package dev.cairn.dns.zone;

import dev.cairn.dns.ZoneConfig.ServiceRecordConfig;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.ServiceView;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TextParseException;

/**
 * Turns a catalog service into records: A/AAAA of the endpoints that may take traffic (all of
 * them when none may, so clients still get an address), or SRV records with each endpoint's
 * port and weight plus the A/AAAA of their targets. Stateless and thread-safe.
 */
public final class ServiceRecords {

    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*");

    private ServiceRecords() {
    }

    /** The endpoints a name answers with: the available ones, or all when none is. */
    public static List<EndpointView> answering(ServiceView service) {
        List<EndpointView> up = service.available();
        return up.isEmpty() ? service.endpoints() : up;
    }

    /** Records for {@code owner}, sorted so that equal catalogs give equal lists. */
    public static List<Record> generate(Name owner, ServiceRecordConfig binding, long ttlSeconds,
                                        Function<String, Optional<ServiceView>> catalog) {
        Optional<ServiceView> svc = catalog.apply(binding.service());
        if (svc.isEmpty()) return List.of();
        List<EndpointView> eps = answering(svc.get());
        List<Record> out = new ArrayList<>();
        if (binding.type() == ServiceRecordConfig.Kind.SRV) {
            Set<Name> targets = new LinkedHashSet<>();
            for (EndpointView ep : eps) {
                InetAddress ip = ipOf(ep.host());
                Name target = ip != null ? targetName(ip, owner) : hostName(ep.host());
                if (target == null) continue;
                out.add(new SRVRecord(owner, DClass.IN, ttlSeconds, binding.priority(), Math.min(ep.weight(), 65535),
                        ep.port(), target));
                if (ip != null && targets.add(target)) out.add(address(target, ip, ttlSeconds));
            }
        } else {
            Set<InetAddress> seen = new LinkedHashSet<>();
            for (EndpointView ep : eps) {
                InetAddress ip = ipOf(ep.host());
                if (ip != null && seen.add(ip)) out.add(address(owner, ip, ttlSeconds));
            }
        }
        out.sort((a, b) -> a.compareTo(b));
        return out;
    }

    private static Record address(Name owner, InetAddress ip, long ttl) {
        return ip instanceof Inet6Address ? new AAAARecord(owner, DClass.IN, ttl, ip) : new ARecord(owner, DClass.IN, ttl, ip);
    }

    /** {@code 10-0-0-1.<owner>} for an SRV target, as a name that only this binding owns. */
    private static Name targetName(InetAddress ip, Name owner) {
        String label = ip instanceof Inet4Address
                ? ip.getHostAddress().replace('.', '-')
                : ip.getHostAddress().replace(':', '-').replace('%', '-');
        try {
            return Name.concatenate(Name.fromString(label), owner);
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            return null;
        }
    }

    private static Name hostName(String host) {
        try {
            return Name.fromString(host.endsWith(".") ? host : host + ".");
        } catch (TextParseException e) {
            return null;
        }
    }

    /** The endpoint's address if its host is an IP literal; host names give no A/AAAA record. */
    static InetAddress ipOf(String host) {
        if (!IP_LITERAL.matcher(host).matches()) return null;
        try {
            return InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }
}
