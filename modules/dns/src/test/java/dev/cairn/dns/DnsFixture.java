package dev.cairn.dns;

import dev.cairn.core.demo.DemoModule;
import dev.cairn.core.testing.TestHost;
import dev.cairn.dns.zone.ZoneFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.stream.Stream;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

/**
 * A real Cairn host running the DNS module (and the demo backends) on a free loopback port,
 * with the test zones copied beside its config, plus the clients tests query it with.
 */
public final class DnsFixture implements AutoCloseable {

    public final TestHost host;
    public final Path dir;

    DnsFixture(TestHost host, Path dir) {
        this.host = host;
        this.dir = dir;
    }

    /** Starts a host on {@code yaml} in {@code dir}, after copying the test zones to {@code dir/zones}. */
    public static DnsFixture start(Path dir, String yaml) throws Exception {
        copyZones(dir);
        return new DnsFixture(TestHost.start(dir, yaml, new DnsModule(), new DemoModule()), dir);
    }

    public static void copyZones(Path dir) throws IOException {
        Path zones = dir.resolve("zones");
        Files.createDirectories(zones);
        try (Stream<Path> files = Files.list(ZoneFixtures.dir())) {
            for (Path f : files.toList()) {
                Files.copy(f, zones.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** The minimal config serving example.test on a free port. */
    public static String basicYaml() {
        return """
                dns:
                  listen: 127.0.0.1:0
                  zones:
                    example.test:
                      file: zones/example.test.zone
                """;
    }

    public DnsModule module() {
        return (DnsModule) host.host().module("dns").orElseThrow();
    }

    public int port() {
        return module().udpAddress().getPort();
    }

    public SimpleResolver resolver(boolean tcp) {
        try {
            SimpleResolver r = new SimpleResolver("127.0.0.1");
            r.setPort(port());
            r.setTCP(tcp);
            r.setTimeout(Duration.ofSeconds(3));
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One query; over UDP the resolver does not retry over TCP when truncated. */
    public Message query(String name, int type, boolean tcp) throws IOException {
        SimpleResolver r = resolver(tcp);
        r.setIgnoreTruncation(true);
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name.endsWith(".") ? name : name + "."), type, DClass.IN)));
    }

    public Message query(String name, int type) throws IOException {
        return query(name, type, false);
    }

    /** Sends raw bytes over UDP; returns the answer's bytes or null when none came within {@code wait}. */
    public byte[] rawUdp(byte[] packet, Duration wait) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout((int) wait.toMillis());
            s.send(new DatagramPacket(packet, packet.length, new InetSocketAddress("127.0.0.1", port())));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return java.util.Arrays.copyOf(buf, p.getLength());
        }
    }

    @Override
    public void close() {
        host.close();
    }
}
