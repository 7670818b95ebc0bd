package dev.cairn.dns.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.dns.DnsFixture;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The choice between the batched UDP path and the portable one, and what both must do alike:
 * IPv4 and IPv6 binds, stopping promptly with the port freed, switching on reload.
 */
class UdpPathTest {

    static final String BATCHED = "batched recvmmsg/sendmmsg, batch 32";

    @TempDir
    Path dir;
    DnsFixture dns;

    @AfterEach
    void stop() {
        if (dns != null) dns.close();
    }

    static String yaml(String listen, int batch) {
        return """
                dns:
                  listen: "%s"
                  udp_listeners: 2
                  udp_batch: %d
                  zones:
                    example.test:
                      file: zones/example.test.zone
                """.formatted(listen, batch);
    }

    /** The A records of www.example.test asked over UDP to {@code server}, or null when no answer came. */
    static List<String> www(InetAddress server, int port) throws IOException {
        Message q = Message.newQuery(Record.newRecord(Name.fromString("www.example.test."), Type.A, DClass.IN));
        byte[] wire = q.toWire();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(server instanceof java.net.Inet6Address
                ? InetAddress.getByName("::1") : InetAddress.getByName("127.0.0.1"), 0))) {
            s.setSoTimeout(3000);
            s.send(new DatagramPacket(wire, wire.length, server, port));
            byte[] buf = new byte[4096];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            Message m = new Message(Arrays.copyOf(buf, p.getLength()));
            assertThat(m.getHeader().getID()).isEqualTo(q.getHeader().getID());
            return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 1})
    void ipv6LoopbackIsServed(int batch) throws Exception {
        dns = DnsFixture.start(dir, yaml("[::1]:0", batch));
        assertThat(www(InetAddress.getByName("::1"), dns.port())).containsExactly("192.0.2.10");
    }

    @Test
    void theWildcardServesIpv4AndIpv6ClientsOnTheBatchedPath() throws Exception {
        dns = DnsFixture.start(dir, yaml(":0", 32));
        assertThat(dns.module().udpPath()).isEqualTo(BATCHED);
        // One dual-stack socket (IPV6_V6ONLY off): IPv4 clients arrive as v4-mapped and are answered.
        assertThat(www(InetAddress.getByName("127.0.0.1"), dns.port())).containsExactly("192.0.2.10");
        assertThat(www(InetAddress.getByName("::1"), dns.port())).containsExactly("192.0.2.10");
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 1})
    void stoppingEndsTheListenerThreadsPromptlyAndFreesThePort(int batch) throws Exception {
        dns = DnsFixture.start(dir, yaml("127.0.0.1:0", batch));
        int port = dns.port();
        assertThat(www(InetAddress.getByName("127.0.0.1"), port)).containsExactly("192.0.2.10");
        long t0 = System.nanoTime();
        dns.close();
        dns = null;
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        // The brief's bound: listeners blocked in a receive call exit within about a second.
        assertThat(tookMillis).as("stop took %d ms", tookMillis).isLessThan(1500);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("cairn-dns-udp-" + port + "-"));
        try (DatagramSocket again = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void changingUdpBatchOnReloadRebindsOnTheOtherPath() throws Exception {
        dns = DnsFixture.start(dir, yaml("127.0.0.1:0", 32));
        assertThat(dns.module().udpPath()).isEqualTo(BATCHED);
        ReloadResult r = dns.host.reload(yaml("127.0.0.1:0", 1));
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(dns.module().udpPath()).isEqualTo("one datagram per system call (udp_batch 1)");
        assertThat(www(InetAddress.getByName("127.0.0.1"), dns.port())).containsExactly("192.0.2.10");
        r = dns.host.reload(yaml("127.0.0.1:0", 8));
        assertThat(r.ok()).as(r.toString()).isTrue();
        assertThat(dns.module().udpPath()).isEqualTo("batched recvmmsg/sendmmsg, batch 8");
        assertThat(www(InetAddress.getByName("127.0.0.1"), dns.port())).containsExactly("192.0.2.10");
    }

    /** Runs {@link UdpPathProbe} in a child JVM with {@code jvmOptions}; returns its output. */
    static String probe(String... jvmOptions) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), UdpPathProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void aJvmWithoutTheIncubatorModuleTakesThePortablePathAndSaysWhy() throws Exception {
        assertThat(probe()).contains("PATH one datagram per system call (FFM unavailable: module jdk.incubator.foreign not resolved");
    }

    @Test
    void aJvmWithoutNativeAccessTakesThePortablePathAndSaysWhy() throws Exception {
        assertThat(probe("--add-modules", "jdk.incubator.foreign"))
                .contains("PATH one datagram per system call (FFM unavailable: java.lang.IllegalCallerException")
                .contains("--enable-native-access=ALL-UNNAMED");
    }

    @Test
    void aJvmWithBothOptionsTakesTheBatchedPath() throws Exception {
        assertThat(probe("--add-modules", "jdk.incubator.foreign", "--enable-native-access=ALL-UNNAMED"))
                .contains("PATH " + BATCHED);
    }
}
