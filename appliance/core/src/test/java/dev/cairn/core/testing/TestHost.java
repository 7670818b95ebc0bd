package dev.cairn.core.testing;

import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.lifecycle.Host;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.spi.Module;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A real Cairn host in the test's JVM: writes the YAML to a file, starts the host with the given
 * modules (or every module on the class path), and stops it on close. For module tests that want
 * the real catalog, health checks, reload path and metrics registry.
 */
public final class TestHost implements AutoCloseable {

    private static final java.util.Random RANDOM = new java.util.Random();
    /** Ports {@link #freePort()} gave out in this JVM. */
    private static final java.util.Set<Integer> HANDED_OUT = new java.util.HashSet<>();

    private final Host host;
    private final Path file;

    private TestHost(Host host, Path file) {
        this.host = host;
        this.file = file;
    }

    /**
     * Starts a host on {@code yaml}. Without an {@code admin:} section the admin API listens on a
     * free loopback port. With no modules given, every module on the class path is available.
     */
    public static TestHost start(Path dir, String yaml, Module<?>... modules) throws Exception {
        Path file = dir.resolve("cairn.yml");
        Files.writeString(file, withAdmin(yaml));
        ModuleRegistry registry = modules.length == 0 ? ModuleRegistry.discover() : ModuleRegistry.of(modules);
        Host host = new Host(registry, file, null, Map.of());
        host.start();
        return new TestHost(host, file);
    }

    private static String withAdmin(String yaml) {
        return yaml.lines().anyMatch(l -> l.startsWith("admin:")) ? yaml : yaml + "\nadmin:\n  listen: 127.0.0.1:0\n";
    }

    public Host host() {
        return host;
    }

    public Path configFile() {
        return file;
    }

    /** Base URL of the admin API, e.g. {@code http://127.0.0.1:40123}. */
    public String adminUrl() {
        return "http://127.0.0.1:" + host.admin().address().getPort();
    }

    /** Rewrites the config file and reloads, as an operator editing the file then sending SIGHUP. */
    public ReloadResult reload(String yaml) throws IOException {
        Files.writeString(file, withAdmin(yaml));
        return host.reload();
    }

    /** The value of a gauge or counter sample with these labels, or NaN when absent. */
    public double metric(String name, String... labelPairs) {
        return Metrics.value(host.metrics(), name, labelPairs);
    }

    @Override
    public void close() {
        host.close();
    }

    /**
     * A port that is free for both TCP and UDP on every address right now, and that this JVM has
     * not handed out before. It lies below the kernel's ephemeral range, so an outgoing connection
     * (a health check, a proxied request) cannot take it between this call and the bind: a port
     * from {@code new ServerSocket(0)} could, and a DNS listener then failed with "Address already
     * in use" once in a CI run.
     */
    public static synchronized int freePort() throws IOException {
        int top = ephemeralLow();
        int bottom = Math.max(1024, top - 16_000);
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = bottom + RANDOM.nextInt(top - bottom);
            if (HANDED_OUT.contains(port) || !bindsTcpAndUdp(port)) {
                continue;
            }
            HANDED_OUT.add(port);
            return port;
        }
        throw new IOException("no free port between " + bottom + " and " + top + " after 1000 tries");
    }

    private static boolean bindsTcpAndUdp(int port) {
        try (ServerSocket tcp = new ServerSocket();
             java.net.DatagramSocket udp = new java.net.DatagramSocket(null)) {
            tcp.setReuseAddress(false);
            tcp.bind(new java.net.InetSocketAddress(port));
            udp.bind(new java.net.InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The lower end of net.ipv4.ip_local_port_range (32768 when it cannot be read). */
    private static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > 2048 ? low : 32768;
        } catch (IOException | RuntimeException e) {
            return 32768;
        }
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; fails with {@code what}. */
    public static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for: " + what);
            }
            Thread.sleep(25);
        }
    }
}
