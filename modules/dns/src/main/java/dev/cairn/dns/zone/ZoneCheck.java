package dev.cairn.dns.zone;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The checks named-checkzone makes that matter for serving: one SOA at the apex, NS at the apex,
 * no data beside a CNAME, nothing outside the zone, class IN only, and an address for every NS
 * target inside the zone. Each problem names the file and line of the offending record.
 */
public final class ZoneCheck {

    private ZoneCheck() {
    }

    /**
     * Checks {@code records} as one zone. {@code dynamicOwners} are names whose records come from
     * the catalog, by the type they generate (A/AAAA or SRV): they may not also be written statically.
     */
    public static List<ZoneProblem> check(Name origin, List<SourcedRecord> records, Map<Name, Integer> dynamicOwners) {
        List<ZoneProblem> problems = new ArrayList<>();
        Map<Name, Set<Integer>> types = new HashMap<>();
        Map<Name, String> firstSeen = new LinkedHashMap<>();
        SourcedRecord soa = null;
        List<SourcedRecord> ns = new ArrayList<>();
        for (SourcedRecord sr : records) {
            Record r = sr.record();
            Name name = r.getName();
            if (!name.subdomain(origin)) {
                problems.add(new ZoneProblem(sr.where(), "'" + name + "' is out of zone " + origin));
                continue;
            }
            if (r.getDClass() != DClass.IN) {
                problems.add(new ZoneProblem(sr.where(), "class " + DClass.string(r.getDClass()) + " is not supported (only IN)"));
                continue;
            }
            if (r.getType() == Type.SOA) {
                if (!name.equals(origin)) {
                    problems.add(new ZoneProblem(sr.where(), "SOA record at '" + name + "', not at the zone apex " + origin));
                    continue;
                }
                if (soa != null) {
                    problems.add(new ZoneProblem(sr.where(), "multiple SOA records (first at " + soa.where() + ")"));
                    continue;
                }
                soa = sr;
            }
            if (r.getType() == Type.NS) ns.add(sr);
            Set<Integer> t = types.computeIfAbsent(name, k -> new HashSet<>());
            boolean hadCname = t.contains(Type.CNAME);
            if (r.getType() == Type.CNAME && hadCname) {
                problems.add(new ZoneProblem(sr.where(), "multiple CNAME records at '" + name + "'"));
            } else if (r.getType() == Type.CNAME && !t.isEmpty() && !onlyDnssec(t)
                    || r.getType() != Type.CNAME && hadCname && !isDnssec(r.getType())) {
                problems.add(new ZoneProblem(sr.where(), "CNAME and other data at '" + name + "' (first record at "
                        + firstSeen.get(name) + ")"));
            }
            t.add(r.getType());
            firstSeen.putIfAbsent(name, sr.where());
            Integer dyn = dynamicOwners.get(name);
            if (dyn != null && (r.getType() == Type.CNAME || r.getType() == dyn
                    || dyn == Type.A && r.getType() == Type.AAAA)) {
                problems.add(new ZoneProblem(sr.where(), "'" + name + "' has " + Type.string(r.getType())
                        + " records here and is also bound to a catalog service (service_records)"));
            }
        }
        for (Map.Entry<Name, Integer> e : dynamicOwners.entrySet()) {
            if (!e.getKey().subdomain(origin)) {
                problems.add(new ZoneProblem("service_records", "'" + e.getKey() + "' is out of zone " + origin));
            }
        }
        if (soa == null) {
            problems.add(new ZoneProblem("", "zone " + origin + " has no SOA record"));
        }
        if (!types.getOrDefault(origin, Set.of()).contains(Type.NS)) {
            problems.add(new ZoneProblem("", "zone " + origin + " has no NS records at the apex"));
        }
        for (SourcedRecord sr : ns) {
            Name target = ((NSRecord) sr.record()).getTarget();
            if (!target.subdomain(origin)) continue;
            Set<Integer> t = types.getOrDefault(target, Set.of());
            boolean dynamicAddress = Integer.valueOf(Type.A).equals(dynamicOwners.get(target));
            if (!t.contains(Type.A) && !t.contains(Type.AAAA) && !dynamicAddress) {
                problems.add(new ZoneProblem(sr.where(), "NS '" + target + "' has no address records (A or AAAA)"));
            }
        }
        return problems;
    }

    private static boolean isDnssec(int type) {
        return type == Type.RRSIG || type == Type.NSEC || type == Type.NSEC3;
    }

    private static boolean onlyDnssec(Set<Integer> types) {
        for (int t : types) {
            if (!isDnssec(t)) return false;
        }
        return true;
    }
}
