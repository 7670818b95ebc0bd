package dev.cairn.dns.zone;

import java.util.List;
import org.xbill.DNS.Record;

/**
 * What a zone answers for one question, before it is put on the wire.
 *
 * @param rcode NOERROR, NXDOMAIN or REFUSED (dnsjava {@link org.xbill.DNS.Rcode} values)
 * @param authoritative the AA flag: false only for referrals
 */
public record Answer(int rcode, boolean authoritative, List<Record> answer, List<Record> authority,
                     List<Record> additional) {
}
