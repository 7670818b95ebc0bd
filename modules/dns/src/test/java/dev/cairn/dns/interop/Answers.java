package dev.cairn.dns.interop;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** Queries a server and renders what differential tests compare: rcode, AA, TC and each section, sorted. */
final class Answers {

    /** Types whose data is domain names only (plus numbers). */
    private static final java.util.Set<Integer> NAME_RDATA =
            java.util.Set.of(Type.NS, Type.CNAME, Type.MX, Type.SRV, Type.PTR, Type.DNAME);

    private Answers() {
    }

    /** A query without RD, as a resolver or a secondary sends. */
    static Message ask(int port, String name, int type, boolean tcp) throws IOException {
        return ask(port, name, type, tcp, false);
    }

    /** {@code rd}: with the RD flag, as a stub client sends. */
    static Message ask(int port, String name, int type, boolean tcp, boolean rd) throws IOException {
        SimpleResolver r = new SimpleResolver("127.0.0.1");
        r.setPort(port);
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(3));
        r.setIgnoreTruncation(true);
        Message q = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        if (rd) q.getHeader().setFlag(Flags.RD);
        else q.getHeader().unsetFlag(Flags.RD);
        return r.send(q);
    }

    /** One line per aspect; sections sorted so record order does not count (it is not significant). */
    static String render(Message m, boolean withAdditional) {
        StringBuilder sb = new StringBuilder();
        sb.append("rcode=").append(Rcode.string(m.getRcode()))
                .append(" aa=").append(m.getHeader().getFlag(Flags.AA))
                .append(" tc=").append(m.getHeader().getFlag(Flags.TC)).append('\n');
        sb.append("answer: ").append(section(m, Section.ANSWER)).append('\n');
        sb.append("authority: ").append(section(m, Section.AUTHORITY)).append('\n');
        if (withAdditional) sb.append("additional: ").append(section(m, Section.ADDITIONAL)).append('\n');
        return sb.toString();
    }

    static List<String> section(Message m, int section) {
        List<String> out = new ArrayList<>();
        for (Record r : m.getSection(section)) {
            if (r.getType() == Type.OPT) continue;
            // Names compare without case (RFC 4343): a name compressed against the question takes
            // the question's spelling in NSD's answers and Cairn's, not in BIND's.
            String rdata = NAME_RDATA.contains(r.getType()) ? r.rdataToString().toLowerCase(Locale.ROOT) : r.rdataToString();
            out.add(r.getName().toString().toLowerCase(Locale.ROOT) + " " + r.getTTL() + " " + Type.string(r.getType()) + " "
                    + rdata);
        }
        out.sort(null);
        return out;
    }
}
