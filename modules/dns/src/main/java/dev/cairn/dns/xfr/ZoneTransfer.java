package dev.cairn.dns.xfr;

import dev.cairn.dns.zone.ZoneData;
import dev.cairn.dns.zone.ZoneStore;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Builds the messages of an outgoing zone transfer (RFC 5936 AXFR). IXFR (RFC 1995) is answered
 * with the single current SOA when the secondary is up to date, and otherwise with the whole
 * zone in AXFR form, which RFC 1995 §4 allows when no history is kept. Stateless.
 */
public final class ZoneTransfer {

    /** Records per message stay under this many bytes (uncompressed), well below 64 KiB. */
    static final int MESSAGE_BUDGET_BYTES = 16_000;

    private ZoneTransfer() {
    }

    /** The response messages for an AXFR or IXFR {@code query} of {@code zone}, unsigned. */
    public static List<Message> messages(Message query, ZoneData zone) {
        List<Message> out = new ArrayList<>();
        if (query.getQuestion().getType() == Type.IXFR) {
            Long have = clientSerial(query);
            if (have != null && !ZoneStore.serialGreater(zone.serial(), have)) {
                Message m = start(query);
                m.addRecord(zone.soa(), Section.ANSWER);
                out.add(m);
                return out;
            }
        }
        List<Record> records = new ArrayList<>(zone.transferRecords());
        records.add(zone.soa());
        Message m = start(query);
        int used = 0;
        for (Record r : records) {
            int size = r.toWire(Section.ANSWER).length;
            if (used > 0 && used + size > MESSAGE_BUDGET_BYTES) {
                out.add(m);
                m = start(query);
                used = 0;
            }
            m.addRecord(r, Section.ANSWER);
            used += size;
        }
        out.add(m);
        return out;
    }

    /** The serial a secondary says it has (the SOA in an IXFR query's authority section). */
    static Long clientSerial(Message query) {
        for (Record r : query.getSection(Section.AUTHORITY)) {
            if (r instanceof SOARecord s) return s.getSerial();
        }
        return null;
    }

    private static Message start(Message query) {
        Message m = new Message(query.getHeader().getID());
        Header h = m.getHeader();
        h.setFlag(Flags.QR);
        h.setFlag(Flags.AA);
        h.setOpcode(Opcode.QUERY);
        m.addRecord(query.getQuestion(), Section.QUESTION);
        return m;
    }
}
