package dev.cairn.dns.zone;

import static dev.cairn.dns.zone.ZoneFixtures.name;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

class ZoneDataTest {

    private final ZoneData zone = ZoneFixtures.exampleTest();

    private static List<String> types(List<Record> rs) {
        return rs.stream().map(r -> r.getName() + " " + Type.string(r.getType())).toList();
    }

    @Test
    void existingNameAnswersAuthoritatively() {
        Answer a = zone.lookup(name("www.example.test"), Type.A, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.authoritative()).isTrue();
        assertThat(a.answer()).extracting(Record::rdataToString).containsExactly("192.0.2.10");
        assertThat(a.authority()).isEmpty();
    }

    @Test
    void missingNameIsNxdomainWithSoaForNegativeCaching() {
        Answer a = zone.lookup(name("nope.example.test"), Type.A, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(a.answer()).isEmpty();
        assertThat(a.authority()).singleElement().isInstanceOf(SOARecord.class);
        // RFC 2308: the SOA's TTL is the lesser of its TTL and its minimum field.
        assertThat(a.authority().get(0).getTTL()).isEqualTo(60);
    }

    @Test
    void missingTypeIsNodataWithSoa() {
        Answer a = zone.lookup(name("mail.example.test"), Type.AAAA, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.answer()).isEmpty();
        assertThat(a.authority()).singleElement().isInstanceOf(SOARecord.class);
    }

    @Test
    void emptyNonTerminalIsNodataNotNxdomain() {
        for (String ent : List.of("b.ent.example.test", "ent.example.test")) {
            Answer a = zone.lookup(name(ent), Type.A, true);
            assertThat(a.rcode()).as(ent).isEqualTo(Rcode.NOERROR);
            assertThat(a.answer()).as(ent).isEmpty();
            assertThat(a.authority()).as(ent).singleElement().isInstanceOf(SOARecord.class);
        }
        assertThat(zone.lookup(name("x.b.ent.example.test"), Type.A, true).rcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void wildcardSynthesizesRecordsOwnedByTheQueryName() {
        Answer a = zone.lookup(name("anything.wild.example.test"), Type.A, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(types(a.answer())).containsExactly("anything.wild.example.test. A");
        Answer deep = zone.lookup(name("x.y.wild.example.test"), Type.TXT, true);
        assertThat(types(deep.answer())).containsExactly("x.y.wild.example.test. TXT");
    }

    @Test
    void wildcardWithoutTheTypeIsNodata() {
        Answer a = zone.lookup(name("anything.wild.example.test"), Type.MX, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(a.answer()).isEmpty();
        assertThat(a.authority()).singleElement().isInstanceOf(SOARecord.class);
    }

    @Test
    void existingNameBlocksTheWildcard() {
        Answer a = zone.lookup(name("host.wild.example.test"), Type.TXT, true);
        assertThat(a.answer()).isEmpty();
        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        // The wildcard does not match below an existing name either.
        assertThat(zone.lookup(name("x.host.wild.example.test"), Type.A, true).rcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void wildcardCnameIsSynthesizedAndFollowed() {
        Answer a = zone.lookup(name("foo.wc.example.test"), Type.A, true);
        assertThat(types(a.answer())).containsExactly("foo.wc.example.test. CNAME", "www.example.test. A");
        assertThat(((CNAMERecord) a.answer().get(0)).getTarget()).isEqualTo(name("www.example.test"));
    }

    @Test
    void cnameChainIsFollowedInsideTheZone() {
        Answer a = zone.lookup(name("chain1.example.test"), Type.A, true);
        assertThat(types(a.answer())).containsExactly("chain1.example.test. CNAME", "chain2.example.test. CNAME",
                "www.example.test. A");
        assertThat(a.authoritative()).isTrue();
    }

    @Test
    void cnameToAMissingNameEndsInNxdomain() {
        Answer a = zone.lookup(name("dangling.example.test"), Type.A, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(types(a.answer())).containsExactly("dangling.example.test. CNAME");
    }

    @Test
    void cnameOutOfZoneIsNotFollowed() {
        Answer a = zone.lookup(name("external.example.test"), Type.A, true);
        assertThat(a.rcode()).isEqualTo(Rcode.NOERROR);
        assertThat(types(a.answer())).containsExactly("external.example.test. CNAME");
    }

    @Test
    void cnameQueryGetsTheCnameItself() {
        Answer a = zone.lookup(name("alias.example.test"), Type.CNAME, true);
        assertThat(types(a.answer())).containsExactly("alias.example.test. CNAME");
    }

    @Test
    void delegationIsAReferralWithGlueAndNoAa() {
        for (String q : List.of("sub.example.test", "host.sub.example.test", "ns.sub.example.test")) {
            Answer a = zone.lookup(name(q), Type.A, true);
            assertThat(a.authoritative()).as(q).isFalse();
            assertThat(a.rcode()).as(q).isEqualTo(Rcode.NOERROR);
            assertThat(a.answer()).as(q).isEmpty();
            assertThat(types(a.authority())).as(q).containsExactly("sub.example.test. NS");
            assertThat(types(a.additional())).as(q).containsExactly("ns.sub.example.test. A");
        }
    }

    @Test
    void dsAtTheCutIsAnsweredByTheParent() {
        Answer a = zone.lookup(name("sub.example.test"), Type.DS, true);
        assertThat(a.authoritative()).isTrue();
        assertThat(a.authority()).singleElement().isInstanceOf(SOARecord.class);
    }

    @Test
    void mxAndSrvCarryTargetAddressesInAdditional() {
        Answer mx = zone.lookup(name("example.test"), Type.MX, true);
        assertThat(types(mx.additional())).containsExactly("mail.example.test. A");
        Answer srv = zone.lookup(name("_sip._tcp.example.test"), Type.SRV, true);
        assertThat(types(srv.additional())).containsExactly("www.example.test. A", "www.example.test. AAAA");
    }

    @Test
    void anyIsMinimalOverUdpAndCompleteOverTcp() {
        assertThat(zone.lookup(name("www.example.test"), Type.ANY, true).answer()).hasSize(1);
        assertThat(zone.lookup(name("www.example.test"), Type.ANY, false).answer()).hasSize(2);
    }

    @Test
    void generateAndIncludeDirectivesAreRead() {
        assertThat(zone.lookup(name("gen2.example.test"), Type.A, true).answer())
                .extracting(Record::rdataToString).containsExactly("192.0.2.102");
        assertThat(zone.lookup(name("inc.example.test"), Type.A, true).answer())
                .extracting(Record::rdataToString).containsExactly("192.0.2.70");
    }

    @Test
    void transferStartsWithSoaAndHoldsEveryRecord() {
        List<Record> all = zone.transferRecords();
        assertThat(all.get(0)).isInstanceOf(SOARecord.class);
        assertThat(all).hasSize(zone.recordCount());
    }
}
