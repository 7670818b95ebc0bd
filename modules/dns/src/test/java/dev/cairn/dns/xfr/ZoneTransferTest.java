package dev.cairn.dns.xfr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.testing.TestHost;
import dev.cairn.dns.DnsFixture;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/** AXFR/IXFR restricted by allow list and TSIG, and NOTIFY to secondaries, against dnsjava's client. */
class ZoneTransferTest {

    static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=";
    static final TSIG KEY = new TSIG(TSIG.HMAC_SHA256, "xfr-key.", SECRET);
    static final Name ZONE = Name.fromConstantString("example.test.");

    @TempDir
    Path dir;
    DnsFixture dns;
    DatagramSocket secondary;

    @BeforeEach
    void start() throws Exception {
        secondary = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress());
        secondary.setSoTimeout(5000);
        dns = DnsFixture.start(dir, """
                dns:
                  listen: 127.0.0.1:0
                  zone_reload_interval: 100ms
                  tsig_keys:
                    xfr-key: { secret_file: zones/xfr.key }
                  zones:
                    example.test:
                      file: zones/example.test.zone
                      allow_transfer: [127.0.0.0/8]
                      transfer_key: xfr-key
                      also_notify: [127.0.0.1:%d]
                    open.test:
                      records:
                        - "@ SOA ns hostmaster 5 3600 900 604800 60"
                        - "@ NS ns"
                        - "ns A 192.0.2.1"
                """.formatted(secondary.getLocalPort()));
    }

    @AfterEach
    void stop() {
        if (dns != null) dns.close();
        if (secondary != null) secondary.close();
    }

    private InetSocketAddress server() {
        return new InetSocketAddress("127.0.0.1", dns.port());
    }

    @Test
    void signedAxfrTransfersTheWholeZone() throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newAXFR(ZONE, server(), KEY);
        xfr.setTimeout(Duration.ofSeconds(5));
        xfr.run();
        List<Record> records = xfr.getAXFR();
        assertThat(records.get(0)).isInstanceOf(SOARecord.class);
        assertThat(records.get(records.size() - 1)).isInstanceOf(SOARecord.class);
        int zoneRecords = dns.module().zones().zone(ZONE).recordCount();
        assertThat(records).hasSize(zoneRecords + 1);
        assertThat(dns.host.metric("cairn_dns_zone_transfers", "zone", "example.test.", "type", "axfr", "result", "ok")).isEqualTo(1);
    }

    @Test
    void unsignedOrWronglySignedAxfrIsRefused() {
        assertThatThrownBy(() -> {
            ZoneTransferIn x = ZoneTransferIn.newAXFR(ZONE, server(), null);
            x.setTimeout(Duration.ofSeconds(5));
            x.run();
        }).isInstanceOf(ZoneTransferException.class).hasMessageContaining("REFUSED");
        TSIG wrong = new TSIG(TSIG.HMAC_SHA256, "xfr-key.", "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmc=");
        assertThatThrownBy(() -> {
            ZoneTransferIn x = ZoneTransferIn.newAXFR(ZONE, server(), wrong);
            x.setTimeout(Duration.ofSeconds(2));
            x.run();
        }).isInstanceOf(Exception.class);
    }

    @Test
    void zoneWithoutAllowTransferRefusesEveryone() {
        assertThatThrownBy(() -> {
            ZoneTransferIn x = ZoneTransferIn.newAXFR(Name.fromConstantString("open.test."), server(), null);
            x.setTimeout(Duration.ofSeconds(5));
            x.run();
        }).isInstanceOf(ZoneTransferException.class).hasMessageContaining("REFUSED");
    }

    @Test
    void ixfrFromAnOldSerialFallsBackToTheWholeZone() throws Exception {
        ZoneTransferIn xfr = ZoneTransferIn.newIXFR(ZONE, 1, false, server(), KEY);
        xfr.setTimeout(Duration.ofSeconds(5));
        xfr.run();
        assertThat(xfr.isAXFR()).isTrue();
        assertThat(xfr.getAXFR()).hasSize(dns.module().zones().zone(ZONE).recordCount() + 1);
    }

    @Test
    void ixfrFromTheCurrentSerialIsUpToDate() throws Exception {
        long serial = dns.module().zones().zone(ZONE).serial();
        ZoneTransferIn xfr = ZoneTransferIn.newIXFR(ZONE, serial, false, server(), KEY);
        xfr.setTimeout(Duration.ofSeconds(5));
        xfr.run();
        assertThat(xfr.isCurrent()).isTrue();
    }

    @Test
    void secondariesAreNotifiedWithASignedNotifyWhenTheZoneChanges() throws Exception {
        // The first NOTIFY comes at start.
        Message first = receiveNotify();
        assertThat(((SOARecord) first.getSection(Section.ANSWER).get(0)).getSerial()).isEqualTo(2024010101L);
        Path file = dir.resolve("zones/example.test.zone");
        Files.writeString(file, Files.readString(file).replace("2024010101", "2024010102") + "new IN A 192.0.2.99\n");
        Message second = receiveNotify();
        assertThat(((SOARecord) second.getSection(Section.ANSWER).get(0)).getSerial()).isEqualTo(2024010102L);
        TestHost.await(Duration.ofSeconds(3), "notify acked metric",
                () -> dns.host.metric("cairn_dns_notifies_sent", "zone", "example.test.", "result", "acked") >= 2);
    }

    private Message receiveNotify() throws Exception {
        byte[] buf = new byte[4096];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        secondary.receive(p);
        byte[] wire = Arrays.copyOf(buf, p.getLength());
        Message m = new Message(wire);
        assertThat(m.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(m.getQuestion().getName()).isEqualTo(ZONE);
        assertThat(m.getQuestion().getType()).isEqualTo(Type.SOA);
        assertThat(m.getTSIG()).isNotNull();
        assertThat(KEY.verify(m, wire, null)).isEqualTo(Rcode.NOERROR);
        Message ack = new Message(m.getHeader().getID());
        ack.getHeader().setOpcode(Opcode.NOTIFY);
        ack.getHeader().setFlag(org.xbill.DNS.Flags.QR);
        ack.addRecord(m.getQuestion(), Section.QUESTION);
        byte[] out = ack.toWire();
        secondary.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
        return m;
    }
}
