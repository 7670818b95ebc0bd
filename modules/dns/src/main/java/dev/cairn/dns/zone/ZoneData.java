package dev.cairn.dns.zone;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Type;

/**
 * One version of a zone: its records indexed by owner name, with empty non-terminals and
 * delegation points marked, and the RFC 1034 §4.3.2 lookup over them (with RFC 2308 negative
 * answers, RFC 4592 wildcards including wildcard CNAME, and RFC 8482 minimal ANY).
 *
 * <p>Immutable and thread-safe: a change builds a new {@code ZoneData} and swaps it in.
 */
public final class ZoneData {

    /** Longest CNAME chain followed inside a zone; longer chains are answered as far as followed. */
    public static final int MAX_CNAME_CHAIN = 12;

    private static final Name WILD = Name.fromConstantString("*");

    private final Name origin;
    private final SOARecord soa;
    private final Map<Name, Node> nodes;
    private final int recordCount;
    private final int originLabels;

    /** The records of one owner name; an empty node is an empty non-terminal. */
    static final class Node {
        final Name name;
        final List<RRset> sets = new ArrayList<>(2);
        boolean cut;
        RRset cname;

        Node(Name name) {
            this.name = name;
        }

        RRset get(int type) {
            for (RRset s : sets) {
                if (s.getType() == type) return s;
            }
            return null;
        }

        boolean empty() {
            return sets.isEmpty();
        }
    }

    private ZoneData(Name origin, SOARecord soa, Map<Name, Node> nodes, int recordCount) {
        this.origin = origin;
        this.soa = soa;
        this.nodes = nodes;
        this.recordCount = recordCount;
        this.originLabels = origin.labels();
    }

    /**
     * Builds a zone from checked records (see {@link ZoneCheck}). {@code serial} replaces the
     * SOA's serial. Records whose RRset has differing TTLs get the lowest, as RFC 2181 §5.2 asks.
     */
    public static ZoneData build(Name origin, List<Record> records, long serial) {
        Map<Name, Node> nodes = new HashMap<>();
        SOARecord soa = null;
        Set<Record> seen = new HashSet<>();
        int count = 0;
        for (Record r : records) {
            if (r instanceof SOARecord s) {
                if (soa != null) continue;
                soa = new SOARecord(s.getName(), s.getDClass(), s.getTTL(), s.getHost(), s.getAdmin(), serial,
                        s.getRefresh(), s.getRetry(), s.getExpire(), s.getMinimum());
                r = soa;
            }
            if (!seen.add(r)) continue;
            count++;
            Node n = nodes.computeIfAbsent(r.getName(), Node::new);
            RRset set = n.get(r.getType());
            if (set == null) {
                set = new RRset();
                n.sets.add(set);
            }
            set.addRR(r);
        }
        if (soa == null) {
            throw new IllegalArgumentException("zone " + origin + " has no SOA record");
        }
        for (Node n : new ArrayList<>(nodes.values())) {
            n.cname = n.get(Type.CNAME);
            n.cut = !n.name.equals(origin) && n.get(Type.NS) != null;
            // Every ancestor up to the origin exists, as an empty non-terminal if it has no records.
            Name p = n.name;
            while (p.labels() > origin.labels()) {
                p = new Name(p, 1);
                if (nodes.containsKey(p)) continue;
                nodes.put(p, new Node(p));
            }
        }
        return new ZoneData(origin, soa, nodes, count);
    }

    public Name origin() {
        return origin;
    }

    public SOARecord soa() {
        return soa;
    }

    public long serial() {
        return soa.getSerial();
    }

    public int recordCount() {
        return recordCount;
    }

    /** True when {@code name} is at or below this zone's origin. */
    public boolean contains(Name name) {
        return name.subdomain(origin);
    }

    /** Every record, SOA first then in canonical order (RFC 4034 §6.1), for AXFR. */
    public List<Record> transferRecords() {
        TreeMap<Name, Node> sorted = new TreeMap<>(nodes);
        List<Record> out = new ArrayList<>(recordCount + 1);
        out.add(soa);
        for (Node n : sorted.values()) {
            for (RRset s : n.sets) {
                if (s.getType() == Type.SOA) continue;
                out.addAll(s.rrs(false));
            }
        }
        return out;
    }

    /**
     * Answers {@code qname}/{@code qtype} (qname must be in this zone). {@code minimalAny}: answer
     * ANY with one RRset (RFC 8482), as over UDP. Positive answers carry the addresses of NS, MX
     * and SRV targets and no authority section (BIND's {@code minimal-responses no-auth}).
     */
    public Answer lookup(Name qname, int qtype, boolean minimalAny) {
        return lookup(qname, qtype, minimalAny, false, true);
    }

    /**
     * As above; {@code authorityNs}: a positive answer also carries the zone's NS RRset in the
     * authority section, with the addresses of those servers in the additional section (as
     * BIND's {@code minimal-responses no} and NSD do); {@code additionalData}: positive answers
     * carry the addresses of MX and SRV targets (false: BIND's {@code minimal-responses yes}; an NS
     * answer carries its servers' addresses either way, as BIND's does).
     * Referral glue and negative answers' SOA do not depend on either.
     */
    public Answer lookup(Name qname, int qtype, boolean minimalAny, boolean authorityNs, boolean additionalData) {
        Answer a = lookupMinimal(qname, qtype, minimalAny, additionalData);
        if (!authorityNs || a.rcode() != Rcode.NOERROR || !a.authoritative() || a.answer().isEmpty()
                || !a.authority().isEmpty()) {
            return a;
        }
        Node apex = nodes.get(origin);
        RRset ns = apex == null ? null : apex.get(Type.NS);
        if (ns == null) return a;
        List<Record> nsRecords = ns.rrs(false);
        // The apex NS as the answer itself is not repeated in the authority section.
        for (Record r : a.answer()) {
            if (r.getType() == Type.NS && r.getName().equals(origin)) return a;
        }
        // A CNAME chain that stops at a CNAME (its target outside the zone, a loop, too long) is
        // not this zone's final answer: NSD and BIND add no authority section then.
        Record last = a.answer().get(a.answer().size() - 1);
        if (last.getType() == Type.CNAME && qtype != Type.CNAME && qtype != Type.ANY) return a;
        List<Record> additional = new ArrayList<>(a.additional());
        List<Record> extra = new ArrayList<>(4);
        for (Record r : nsRecords) addAddresses(((NSRecord) r).getTarget(), extra, false);
        for (Record r : extra) {
            if (!a.answer().contains(r) && !additional.contains(r)) additional.add(r);
        }
        return new Answer(a.rcode(), true, a.answer(), new ArrayList<>(nsRecords), additional);
    }

    private Answer lookupMinimal(Name qname, int qtype, boolean minimalAny, boolean additionalData) {
        List<Record> answer = new ArrayList<>(4);
        List<Record> authority = new ArrayList<>(1);
        List<Record> additional = new ArrayList<>(2);
        Name cur = qname;
        Set<Name> visited = null;
        for (int hop = 0; ; hop++) {
            Node cut = findCut(cur, qtype);
            if (cut != null) {
                // A referral: NS in authority, glue in additional; AA cleared unless a CNAME led here.
                authority.addAll(cut.get(Type.NS).rrs(false));
                for (Record ns : authority) addAddresses(((NSRecord) ns).getTarget(), additional, true);
                return new Answer(Rcode.NOERROR, !answer.isEmpty(), answer, authority, additional);
            }
            Node node = nodes.get(cur);
            Name owner = cur;
            if (node == null) {
                Node wild = findWildcard(cur);
                if (wild == null) {
                    authority.add(negativeSoa());
                    return new Answer(Rcode.NXDOMAIN, true, answer, authority, additional);
                }
                node = wild;
            } else if (node.empty()) {
                authority.add(negativeSoa());
                return new Answer(Rcode.NOERROR, true, answer, authority, additional);
            }
            if (node.cname != null && qtype != Type.CNAME && qtype != Type.ANY) {
                CNAMERecord c = (CNAMERecord) first(node.cname);
                answer.add(rename(c, owner));
                Name target = c.getTarget();
                if (visited == null) visited = new HashSet<>();
                visited.add(cur);
                if (hop + 1 >= MAX_CNAME_CHAIN || !target.subdomain(origin) || visited.contains(target)) {
                    return new Answer(Rcode.NOERROR, true, answer, authority, additional);
                }
                cur = target;
                continue;
            }
            if (qtype == Type.ANY) {
                for (RRset s : node.sets) {
                    addRenamed(s, owner, answer);
                    if (minimalAny) break;
                }
                return new Answer(Rcode.NOERROR, true, answer, authority, additional);
            }
            RRset set = node.get(qtype);
            if (set == null) {
                authority.add(negativeSoa());
                return new Answer(Rcode.NOERROR, true, answer, authority, additional);
            }
            addRenamed(set, owner, answer);
            if (additionalData || set.getType() == Type.NS) addAdditional(set, additional);
            return new Answer(Rcode.NOERROR, true, answer, authority, additional);
        }
    }

    /** The highest delegation point at or above {@code name} (below the origin); DS at a cut is the parent's. */
    private Node findCut(Name name, int qtype) {
        int labels = name.labels();
        for (int l = originLabels + 1; l <= labels; l++) {
            Name anc = l == labels ? name : new Name(name, labels - l);
            Node n = nodes.get(anc);
            if (n == null) return null;
            if (n.cut && !(l == labels && qtype == Type.DS)) return n;
        }
        return null;
    }

    /** The wildcard {@code *.<closest encloser>} that covers a name that does not exist, or null. */
    private Node findWildcard(Name name) {
        Name ce = name;
        while (ce.labels() > originLabels) {
            ce = new Name(ce, 1);
            if (nodes.containsKey(ce)) break;
        }
        try {
            return nodes.get(Name.concatenate(WILD, ce));
        } catch (org.xbill.DNS.NameTooLongException e) {
            return null;
        }
    }

    private SOARecord negativeSoa() {
        long ttl = Math.min(soa.getTTL(), soa.getMinimum());
        if (ttl == soa.getTTL()) return soa;
        return new SOARecord(soa.getName(), DClass.IN, ttl, soa.getHost(), soa.getAdmin(), soa.getSerial(),
                soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum());
    }

    private void addAdditional(RRset set, List<Record> additional) {
        int type = set.getType();
        if (type != Type.MX && type != Type.NS && type != Type.SRV) return;
        for (Record r : set.rrs(false)) {
            Name target = null;
            if (r instanceof MXRecord mx) target = mx.getTarget();
            else if (r instanceof NSRecord ns) target = ns.getTarget();
            else if (r instanceof SRVRecord srv) target = srv.getTarget();
            if (target != null) addAddresses(target, additional, false);
        }
    }

    /** A and AAAA of {@code target} if it is in this zone; glue below a cut only when {@code glue}. */
    private void addAddresses(Name target, List<Record> additional, boolean glue) {
        if (!target.subdomain(origin)) return;
        if (!glue && findCut(target, Type.A) != null) return;
        Node n = nodes.get(target);
        if (n == null) return;
        RRset a = n.get(Type.A);
        if (a != null) additional.addAll(a.rrs(false));
        RRset aaaa = n.get(Type.AAAA);
        if (aaaa != null) additional.addAll(aaaa.rrs(false));
    }

    private static void addRenamed(RRset set, Name owner, List<Record> out) {
        List<Record> rrs = set.rrs(false);
        if (rrs.get(0).getName().equals(owner)) {
            out.addAll(rrs);
        } else {
            for (Record r : rrs) out.add(r.withName(owner));
        }
    }

    private static Record rename(Record r, Name owner) {
        return r.getName().equals(owner) ? r : r.withName(owner);
    }

    private static Record first(RRset s) {
        return s.rrs(false).get(0);
    }

    /** For tests and status: owner names with records (not empty non-terminals). */
    public Map<Name, List<Integer>> names() {
        Map<Name, List<Integer>> out = new LinkedHashMap<>();
        new TreeMap<>(nodes).forEach((k, v) -> {
            if (!v.empty()) out.put(k, v.sets.stream().map(RRset::getType).toList());
        });
        return Collections.unmodifiableMap(out);
    }
}
