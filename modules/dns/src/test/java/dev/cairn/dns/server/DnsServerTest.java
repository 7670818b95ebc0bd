package dev.cairn.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.dns.DnsFixture;
import dev.cairn.dns.DnsModule;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The module over real UDP and TCP sockets, queried with dnsjava's resolver and raw packets, on
 * the default UDP path (batched recvmmsg/sendmmsg: the surefire JVM has jdk.incubator.foreign).
 * {@link DnsServerOneDatagramPerCallTest} runs the same tests on the portable path.
 */
// One instance per class, so a subclass picks its UDP path by overriding udpKeys().
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DnsServerTest {

    @TempDir
    static Path dir;
    static DnsFixture dns;
    /** What {@link DnsModule#udpPath} must say for the path under test. */
    static String expectedUdpPath;

    /** Keys added to the dns section (indented two spaces) and the UDP path they select. */
    String[] udpKeys() {
        return new String[] {"", "batched recvmmsg/sendmmsg, batch 32"};
    }

    @BeforeAll
    void start() throws Exception {
        String udpKeys = udpKeys()[0];
        expectedUdpPath = udpKeys()[1];
        dns = DnsFixture.start(dir, """
                dns:
                  listen: 127.0.0.1:0
                %s  zones:
                    example.test:
                      file: zones/example.test.zone
                      records:
                        - "big 60 TXT \\"%s\\""
                        - "big 60 TXT \\"%s\\""
                        - "big 60 TXT \\"%s\\""
                """.formatted(udpKeys, "a".repeat(200), "b".repeat(200), "c".repeat(200)));
    }

    @AfterAll
    static void stop() {
        if (dns != null) dns.close();
    }

    private static List<String> section(Message m, int section) {
        List<String> out = new ArrayList<>();
        for (Record r : m.getSection(section)) if (r.getType() != Type.OPT) out.add(r.getName() + " " + r.getTTL() + " " + Type.string(r.getType()) + " " + r.rdataToString());
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void answerHasAaTtlAndEchoesTheQuestion(boolean tcp) throws IOException {
        Message m = dns.query("www.example.test", Type.A, tcp);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(m.getHeader().getFlag(Flags.RA)).isFalse();
        assertThat(m.getQuestion().getName().toString()).isEqualTo("www.example.test.");
        assertThat(section(m, Section.ANSWER)).containsExactly("www.example.test. 300 A 192.0.2.10");
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void nxdomainCarriesSoaWithNegativeTtl(boolean tcp) throws IOException {
        Message m = dns.query("missing.example.test", Type.A, tcp);
        assertThat(m.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(section(m, Section.AUTHORITY)).singleElement().asString().startsWith("example.test. 60 SOA ");
    }

    @Test
    void nodataAndEmptyNonTerminalAreNoerrorWithSoa() throws IOException {
        for (String q : List.of("mail.example.test", "ent.example.test", "b.ent.example.test")) {
            Message m = dns.query(q, Type.AAAA);
            assertThat(m.getRcode()).as(q).isEqualTo(Rcode.NOERROR);
            assertThat(m.getSection(Section.ANSWER)).as(q).isEmpty();
            assertThat(section(m, Section.AUTHORITY)).as(q).singleElement().asString().contains(" SOA ");
        }
    }

    @Test
    void wildcardAndWildcardCname() throws IOException {
        assertThat(section(dns.query("x.wild.example.test", Type.A), Section.ANSWER))
                .containsExactly("x.wild.example.test. 300 A 192.0.2.50");
        assertThat(section(dns.query("x.wc.example.test", Type.A), Section.ANSWER))
                .containsExactly("x.wc.example.test. 300 CNAME www.example.test.", "www.example.test. 300 A 192.0.2.10");
        Message nodata = dns.query("x.wild.example.test", Type.MX);
        assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(section(nodata, Section.AUTHORITY)).singleElement().asString().contains(" SOA ");
    }

    @Test
    void cnameChainIsFollowed() throws IOException {
        assertThat(section(dns.query("chain1.example.test", Type.AAAA), Section.ANSWER)).containsExactly(
                "chain1.example.test. 300 CNAME chain2.example.test.",
                "chain2.example.test. 300 CNAME www.example.test.",
                "www.example.test. 300 AAAA 2001:db8:0:0:0:0:0:10");
    }

    @Test
    void delegationIsAReferralWithGlueAndAaCleared() throws IOException {
        Message m = dns.query("host.sub.example.test", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(section(m, Section.AUTHORITY)).containsExactly("sub.example.test. 300 NS ns.sub.example.test.");
        assertThat(section(m, Section.ADDITIONAL)).containsExactly("ns.sub.example.test. 300 A 192.0.2.53");
    }

    @Test
    void nameOutsideEveryZoneIsRefusedWithoutAa() throws IOException {
        Message m = dns.query("www.example.org", Type.A);
        assertThat(m.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void anyIsMinimalOverUdp() throws IOException {
        assertThat(dns.query("www.example.test", Type.ANY, false).getSection(Section.ANSWER)).hasSize(1);
        assertThat(dns.query("www.example.test", Type.ANY, true).getSection(Section.ANSWER)).hasSize(2);
    }

    @Test
    void allRequiredTypesAreServed() throws IOException {
        assertThat(section(dns.query("example.test", Type.MX), Section.ADDITIONAL)).contains("mail.example.test. 300 A 192.0.2.25");
        assertThat(section(dns.query("example.test", Type.NS), Section.ANSWER)).hasSize(2);
        assertThat(section(dns.query("example.test", Type.SOA), Section.ANSWER)).singleElement().asString().contains("2024010101");
        assertThat(section(dns.query("example.test", Type.TXT), Section.ANSWER)).singleElement().asString().contains("v=spf1");
        assertThat(section(dns.query("_sip._tcp.example.test", Type.SRV), Section.ANSWER)).singleElement().asString()
                .endsWith("SRV 10 60 5060 www.example.test.");
        assertThat(section(dns.query("ptr.example.test", Type.PTR), Section.ANSWER)).hasSize(1);
        assertThat(section(dns.query("caa.example.test", Type.CAA), Section.ANSWER)).singleElement().asString().contains("letsencrypt.org");
    }

    @Test
    void ednsAdvertises1232AndEchoesNoOptions() throws IOException {
        Message q = query("www.example.test", Type.A);
        q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
        Message m = new Message(dns.rawUdp(q.toWire(), Duration.ofSeconds(2)));
        assertThat(m.getOPT()).isNotNull();
        assertThat(m.getOPT().getPayloadSize()).isEqualTo(1232);
        assertThat(m.getOPT().getVersion()).isZero();
    }

    @Test
    void ednsVersionAboveZeroGetsBadvers() throws IOException {
        Message q = query("www.example.test", Type.A);
        q.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
        Message m = new Message(dns.rawUdp(q.toWire(), Duration.ofSeconds(2)));
        assertThat(m.getRcode()).isEqualTo(Rcode.BADVERS);
        assertThat(m.getOPT().getVersion()).isZero();
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
    }

    @Test
    void twoOptRecordsGetFormerr() throws IOException {
        Message q = query("www.example.test", Type.A);
        q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        q.addRecord(new OPTRecord(1232, 0, 0, 0, List.<EDNSOption>of()), Section.ADDITIONAL);
        byte[] wire = q.toWire();
        assertThat(wire[11]).isEqualTo((byte) 2);
        Message m = new Message(dns.rawUdp(wire, Duration.ofSeconds(2)));
        assertThat(m.getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void largeAnswerIsTruncatedOverUdpAndCompleteOverTcp() throws IOException {
        // Without EDNS a UDP answer is limited to 512 bytes.
        Message udp = new Message(dns.rawUdp(query("big.example.test", Type.TXT).toWire(), Duration.ofSeconds(2)));
        assertThat(udp.getHeader().getFlag(Flags.TC)).isTrue();
        Message tcp = dns.query("big.example.test", Type.TXT, true);
        assertThat(tcp.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(tcp.getSection(Section.ANSWER)).hasSize(3);
        // The resolver's own fallback: TC over UDP, then the same query over TCP.
        org.xbill.DNS.SimpleResolver noEdns = dns.resolver(false);
        noEdns.setEDNS(-1);
        Message viaRetry = noEdns.send(query("big.example.test", Type.TXT));
        assertThat(viaRetry.getSection(Section.ANSWER)).hasSize(3);
        // With EDNS the 1232-byte limit lets it through over UDP.
        Message q = query("big.example.test", Type.TXT);
        q.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        Message edns = new Message(dns.rawUdp(q.toWire(), Duration.ofSeconds(2)));
        assertThat(edns.getHeader().getFlag(Flags.TC)).isFalse();
        assertThat(edns.getSection(Section.ANSWER)).hasSize(3);
    }

    @Test
    void tcpConnectionServesPipelinedQueriesInOrder() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", dns.port()), 2000);
            s.setSoTimeout(3000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            String[] names = {"www.example.test", "mail.example.test", "missing.example.test", "ns1.example.test"};
            for (int i = 0; i < names.length; i++) {
                Message q = query(names[i], Type.A);
                q.getHeader().setID(100 + i);
                byte[] w = q.toWire();
                out.writeShort(w.length);
                out.write(w);
            }
            out.flush();
            for (int i = 0; i < names.length; i++) {
                byte[] buf = new byte[in.readUnsignedShort()];
                in.readFully(buf);
                Message m = new Message(buf);
                assertThat(m.getHeader().getID()).isEqualTo(100 + i);
                assertThat(m.getQuestion().getName().toString()).isEqualTo(names[i] + ".");
            }
        }
    }

    @Test
    void idleTcpConnectionIsClosed() throws Exception {
        try (DnsFixture short_ = DnsFixture.start(dir.resolve("idle"), """
                dns:
                  listen: 127.0.0.1:0
                  tcp_idle_timeout: 300ms
                  zones:
                    example.test:
                      file: zones/example.test.zone
                """); Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", short_.port()), 2000);
            s.setSoTimeout(5000);
            long t0 = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
        }
    }

    static byte[] header(int id, int flags, int qd, int an, int ns, int ar) {
        return new byte[] {(byte) (id >> 8), (byte) id, (byte) (flags >> 8), (byte) flags, (byte) (qd >> 8), (byte) qd,
                (byte) (an >> 8), (byte) an, (byte) (ns >> 8), (byte) ns, (byte) (ar >> 8), (byte) ar};
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    static final byte[] WWW_A = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};

    @Test
    void malformedPacketsGetFormerrOrAreDroppedAndNeverStopAListener() throws IOException {
        // QDCOUNT 0 and 2: FORMERR with the request's id.
        byte[] r0 = dns.rawUdp(header(0x1234, 0x0100, 0, 0, 0, 0), Duration.ofSeconds(2));
        assertThat(new Message(r0).getRcode()).isEqualTo(Rcode.FORMERR);
        assertThat(new Message(r0).getHeader().getID()).isEqualTo(0x1234);
        byte[] r2 = dns.rawUdp(concat(header(7, 0x0100, 2, 0, 0, 0), WWW_A, WWW_A), Duration.ofSeconds(2));
        assertThat(new Message(r2).getRcode()).isEqualTo(Rcode.FORMERR);
        // A compression pointer to itself: FORMERR, not a hang.
        byte[] loop = concat(header(8, 0x0100, 1, 0, 0, 0), new byte[] {(byte) 0xC0, 12, 0, 1, 0, 1});
        assertThat(new Message(dns.rawUdp(loop, Duration.ofSeconds(2))).getRcode()).isEqualTo(Rcode.FORMERR);
        // The question is cut short: FORMERR.
        byte[] cut = concat(header(9, 0x0100, 1, 0, 0, 0), new byte[] {3, 'w', 'w'});
        assertThat(new Message(dns.rawUdp(cut, Duration.ofSeconds(2))).getRcode()).isEqualTo(Rcode.FORMERR);
        // A truncated header, a response (QR=1), an oversized datagram: dropped.
        assertThat(dns.rawUdp(new byte[] {1, 2, 3, 4, 5}, Duration.ofMillis(300))).isNull();
        assertThat(dns.rawUdp(concat(header(10, 0x8100, 1, 0, 0, 0), WWW_A), Duration.ofMillis(300))).isNull();
        assertThat(dns.rawUdp(concat(header(11, 0x0100, 1, 0, 0, 0), WWW_A, new byte[8000]), Duration.ofMillis(300))).isNull();
        // Every listener still answers: more queries than listener threads, all answered.
        for (int i = 0; i < 20; i++) {
            assertThat(dns.query("www.example.test", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        }
        assertThat(dns.host.metric("cairn_dns_malformed_requests", "action", "formerr")).isGreaterThanOrEqualTo(4);
        assertThat(dns.host.metric("cairn_dns_dropped_requests", "reason", "malformed")).isGreaterThanOrEqualTo(1);
        assertThat(dns.host.metric("cairn_dns_dropped_requests", "reason", "response")).isGreaterThanOrEqualTo(1);
        assertThat(dns.host.metric("cairn_dns_dropped_requests", "reason", "oversized")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void malformedTcpMessageGetsFormerrAndTheConnectionGoesOn() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", dns.port()), 2000);
            s.setSoTimeout(3000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] bad = header(5, 0x0100, 0, 0, 0, 0);
            out.writeShort(bad.length);
            out.write(bad);
            byte[] good = query("www.example.test", Type.A).toWire();
            out.writeShort(good.length);
            out.write(good);
            out.flush();
            byte[] b1 = new byte[in.readUnsignedShort()];
            in.readFully(b1);
            assertThat(new Message(b1).getRcode()).isEqualTo(Rcode.FORMERR);
            byte[] b2 = new byte[in.readUnsignedShort()];
            in.readFully(b2);
            assertThat(new Message(b2).getRcode()).isEqualTo(Rcode.NOERROR);
        }
    }

    @Test
    void repeatedQuestionsEchoEachQuerysCaseAndId() throws IOException {
        // The second and third answers come from the wire cache: id and 0x20 case must still be the query's.
        for (String spelling : List.of("www.example.test", "WWW.EXAMPLE.TEST", "wWw.ExAmPlE.tEsT")) {
            Message q = query(spelling, Type.A);
            q.getHeader().setID(spelling.hashCode() & 0xFFFF);
            Message m = new Message(dns.rawUdp(q.toWire(), Duration.ofSeconds(2)));
            assertThat(m.getHeader().getID()).isEqualTo(spelling.hashCode() & 0xFFFF);
            assertThat(m.getQuestion().getName().toString()).isEqualTo(spelling + ".");
            assertThat(m.getSection(Section.ANSWER)).extracting(Record::rdataToString).containsExactly("192.0.2.10");
            assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        }
    }

    @Test
    void udpListenersDefaultToOneThreadPerCore() {
        // basicYaml() sets no udp_listeners: one socket and thread per core the JVM may use.
        String prefix = "cairn-dns-udp-" + dns.port() + "-";
        long threads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
        assertThat(threads).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void theExpectedUdpPathServes() {
        assertThat(dns.module().udpPath()).isEqualTo(expectedUdpPath);
    }

    /** Sockets and queries per socket of the burst: 500 in all, sent without waiting for answers. */
    static final int BURST_SOCKETS = 5;
    static final int BURST_QUERIES = 100;

    @Test
    void aBurstFromSeveralClientsGetsEveryAnswerToItsOwnQuery() throws Exception {
        // Cached and uncached names, each query its own id: an answer must match its query's id, name and data.
        List<DatagramSocket> sockets = new ArrayList<>();
        Map<Integer, String[]> expected = new HashMap<>();
        try {
            for (int s = 0; s < BURST_SOCKETS; s++) {
                DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
                socket.setReceiveBufferSize(1 << 20);
                socket.setSoTimeout(10_000);
                sockets.add(socket);
            }
            InetSocketAddress server = new InetSocketAddress("127.0.0.1", dns.port());
            for (int i = 0; i < BURST_QUERIES; i++) {
                for (int s = 0; s < BURST_SOCKETS; s++) {
                    int id = s * BURST_QUERIES + i;
                    String[] nameAndAddress = switch (i % 4) {
                        case 0 -> new String[] {"www.example.test.", "192.0.2.10"};
                        case 1 -> new String[] {"mail.example.test.", "192.0.2.25"};
                        case 2 -> new String[] {"q" + id + ".wild.example.test.", "192.0.2.50"};
                        default -> new String[] {"ns1.example.test.", "192.0.2.1"};
                    };
                    expected.put(id, nameAndAddress);
                    Message q = query(nameAndAddress[0].substring(0, nameAndAddress[0].length() - 1), Type.A);
                    q.getHeader().setID(id);
                    byte[] wire = q.toWire();
                    sockets.get(s).send(new DatagramPacket(wire, wire.length, server));
                }
            }
            byte[] buf = new byte[4096];
            for (int s = 0; s < BURST_SOCKETS; s++) {
                Set<Integer> seen = new HashSet<>();
                for (int i = 0; i < BURST_QUERIES; i++) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    sockets.get(s).receive(p);
                    Message m = new Message(Arrays.copyOf(buf, p.getLength()));
                    int id = m.getHeader().getID();
                    assertThat(id / BURST_QUERIES).as("answer on socket %d carries id %d of another socket", s, id).isEqualTo(s);
                    assertThat(seen.add(id)).as("id %d answered twice", id).isTrue();
                    assertThat(m.getQuestion().getName().toString()).isEqualTo(expected.get(id)[0]);
                    assertThat(m.getSection(Section.ANSWER)).extracting(Record::rdataToString).containsExactly(expected.get(id)[1]);
                }
            }
        } finally {
            for (DatagramSocket socket : sockets) socket.close();
        }
        if (expectedUdpPath.startsWith("batched")) {
            // 500 datagrams sent faster than answered: some recvmmsg call took more than one.
            assertThat(dns.module().udpLargestBatch()).isGreaterThan(1);
            assertThat((double) dns.module().status().details().get("udp_average_batch")).isGreaterThanOrEqualTo(1.0);
        }
    }

    @Test
    void unknownOpcodeIsNotimp() throws IOException {
        Message q = query("www.example.test", Type.A);
        q.getHeader().setOpcode(org.xbill.DNS.Opcode.STATUS);
        assertThat(new Message(dns.rawUdp(q.toWire(), Duration.ofSeconds(2))).getRcode()).isEqualTo(Rcode.NOTIMP);
    }

    @Test
    void metricsCountRequestsByZoneProtoTypeAndResponsesByRcode() throws IOException {
        double before = dns.host.metric("cairn_dns_requests", "zone", "example.test.", "proto", "udp", "type", "MX");
        dns.query("example.test", Type.MX);
        assertThat(dns.host.metric("cairn_dns_requests", "zone", "example.test.", "proto", "udp", "type", "MX"))
                .isEqualTo((Double.isNaN(before) ? 0 : before) + 1);
        dns.query("nothing.example.test", Type.A);
        assertThat(dns.host.metric("cairn_dns_responses", "zone", "example.test.", "rcode", "NXDOMAIN")).isGreaterThanOrEqualTo(1);
        assertThat(dns.host.metric("cairn_dns_zone_serial", "zone", "example.test.")).isEqualTo(2024010101);
        assertThat(dns.host.metric("cairn_dns_zone_records", "zone", "example.test.")).isGreaterThan(20);
        assertThat(dns.host.metric("cairn_dns_request_duration_seconds", "zone", "example.test.")).isGreaterThan(0);
    }

    static Message query(String name, int type) throws IOException {
        return Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN));
    }
}
