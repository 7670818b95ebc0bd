package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged Cairn (extracted from the .deb) run as the {@code cairn} user with nothing but the
 * three capabilities its unit grants, through {@code setpriv}, inside a network namespace this test
 * creates (10.98.0.0/24 exists only between it and a peer namespace): it binds :53 and :80, adds
 * a VIP and announces it with gratuitous ARP (the peer's neighbour table learns it), and removes
 * it on stop. Without any one of the three it fails at start with a log line naming the missing
 * capability. Needs root (CI is root).
 */
class LeastPrivilegeIT {

    static final String CAIRN_IP = "10.98.0.1";
    static final String PEER_IP = "10.98.0.2";
    static final String VIP = "10.98.0.100";
    static final List<String> ALL = List.of("net_bind_service", "net_admin", "net_raw");

    static String ns;
    static String peer;
    static Path work;
    static Path root;
    static boolean createdUser;

    record Result(int exit, String out) {
    }

    static Result exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        return new Result(p.exitValue(), out);
    }

    static String ok(String... cmd) throws Exception {
        Result r = exec(cmd);
        assertThat(r.exit()).as(String.join(" ", cmd) + ":\n" + r.out()).isZero();
        return r.out();
    }

    @BeforeAll
    static void namespacesUserAndPackage() throws Exception {
        assertThat(ok("id", "-u").trim()).as("this test creates network namespaces and runs setpriv: run it as root (CI is)")
                .isEqualTo("0");
        String id = Integer.toString(ThreadLocalRandom.current().nextInt(100_000, 999_999));
        ns = "cairnlp" + id;
        peer = "cairnlp" + id + "p";
        ok("ip", "netns", "add", ns);
        ok("ip", "netns", "add", peer);
        ok("ip", "link", "add", "lpa" + id, "netns", ns, "type", "veth", "peer", "name", "lpb" + id, "netns", peer);
        ok("ip", "-n", ns, "link", "set", "lo", "up");
        ok("ip", "-n", peer, "link", "set", "lo", "up");
        ok("ip", "-n", ns, "addr", "add", CAIRN_IP + "/24", "dev", "lpa" + id);
        ok("ip", "-n", peer, "addr", "add", PEER_IP + "/24", "dev", "lpb" + id);
        ok("ip", "-n", ns, "link", "set", "lpa" + id, "up");
        ok("ip", "-n", peer, "link", "set", "lpb" + id, "up");
        // The peer learns addresses from gratuitous ARP (off by default in Linux).
        ok("ip", "netns", "exec", peer, "sysctl", "-q", "-w", "net.ipv4.conf.lpb" + id + ".arp_accept=1");

        if (exec("getent", "passwd", "cairn").exit() != 0) {
            ok("adduser", "--system", "--group", "--no-create-home", "--home", "/nonexistent", "--quiet", "cairn");
            createdUser = true;
        }
        // Readable by the cairn user: the extracted package and the config.
        work = Files.createTempDirectory(Path.of("/tmp"), "cairn-lp-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        root = work.resolve("root");
        ok("dpkg-deb", "-x", DebianPackageIT.DEB.toAbsolutePath().toString(), root.toString());
        Files.createDirectories(work.resolve("zones"));
        Files.copy(CairnProcess.DIST.resolve("config/zones/cairn.test.zone"), work.resolve("zones/cairn.test.zone"));
        Files.writeString(work.resolve("cairn.yml"), """
                admin:
                  listen: 127.0.0.1:9000
                services:
                  demo:
                    endpoints: [127.0.0.1:18081]
                demo:
                  service: demo
                proxy:
                  listeners:
                    - { name: web, bind: ":80", routes: [{ service: demo }] }
                dns:
                  listen: ":53"
                  zones:
                    cairn.test: { file: zones/cairn.test.zone }
                cluster:
                  name: lp
                  nodes:
                    - { name: lb1, address: %s }
                  vips:
                    - { address: %s/24, dev: lpa%s }
                  driver:
                    garp_repeat_after: 0s
                """.formatted(CAIRN_IP, VIP, id));
        try (Stream<Path> s = Files.walk(work)) {
            for (Path p : s.toList()) {
                if (Files.isDirectory(p)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (ns != null) exec("ip", "netns", "del", ns);
        if (peer != null) exec("ip", "netns", "del", peer);
        if (createdUser) exec("deluser", "--system", "--quiet", "cairn");
        if (work != null) exec("rm", "-rf", work.toString());
    }

    /** bin/cairn run in the namespace as cairn, with exactly {@code caps} inheritable, ambient and bounding. */
    static Process cairn(List<String> caps, Path log) throws Exception {
        String set = caps.stream().map(c -> "+" + c).collect(Collectors.joining(","));
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "setpriv", "--reuid=cairn", "--regid=cairn",
                "--init-groups", "--inh-caps=-all," + set, "--ambient-caps=" + set, "--bounding-set=-all," + set, "--",
                root.resolve("usr/share/cairn/bin/cairn").toString(), "run", "-c", work.resolve("cairn.yml").toString(),
                "--node", "lb1"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void withTheThreeCapabilitiesItBindsLowPortsMovesAVipAndAnnouncesIt() throws Exception {
        Path log = work.resolve("full.log");
        Process p = cairn(ALL, log);
        try {
            TestHost.await(Duration.ofSeconds(60), "VIP added in the namespace (log: " + log + ")", () -> {
                if (!p.isAlive()) throw new AssertionError("cairn exited: " + read(log));
                return sh("ip", "-n", ns, "-4", "addr", "show").contains(VIP + "/24");
            });
            TestHost.await(Duration.ofSeconds(30), "demo backend up behind :80", () ->
                    sh("ip", "netns", "exec", peer, "curl", "-s", "-m", "2", "http://" + CAIRN_IP + ":80/").startsWith("hello from demo backend"));
            assertThat(ok("ip", "netns", "exec", peer, "dig", "@" + CAIRN_IP, "-p", "53", "+time=2", "+tries=3",
                    "www.cairn.test", "A")).contains("status: NOERROR", "flags: qr aa");
            // Gratuitous ARP: the peer learned the VIP with the MAC of Cairn's interface, without asking.
            String mac = ok("ip", "-n", ns, "-o", "link", "show").lines().filter(l -> l.contains("lpa"))
                    .map(l -> l.replaceAll(".*link/ether ([0-9a-f:]+).*", "$1")).findFirst().orElseThrow();
            TestHost.await(Duration.ofSeconds(10), "the peer's neighbour entry for the VIP", () ->
                    sh("ip", "-n", peer, "neigh", "show", VIP).contains(mac));
            assertThat(ok("ps", "-o", "user=", "-p", Long.toString(javaPid(p)))).contains("cairn");
        } finally {
            p.destroy(); // SIGTERM: a graceful stop releases the VIP
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(ok("ip", "-n", ns, "-4", "addr", "show")).doesNotContain(VIP);
        assertThat(read(log)).doesNotContain("missing capability");
    }

    @Test
    void withoutCapNetAdminItFailsFastNamingIt() throws Exception {
        assertFailsNaming(List.of("net_bind_service", "net_raw"), "CAP_NET_ADMIN");
    }

    @Test
    void withoutCapNetBindServiceItFailsFastNamingIt() throws Exception {
        assertFailsNaming(List.of("net_admin", "net_raw"), "CAP_NET_BIND_SERVICE");
    }

    /** The third one too: without CAP_NET_RAW no gratuitous ARP could go out, so the VIP is never added. */
    @Test
    void withoutCapNetRawItFailsFastNamingIt() throws Exception {
        assertFailsNaming(List.of("net_bind_service", "net_admin"), "CAP_NET_RAW");
    }

    private void assertFailsNaming(List<String> caps, String missing) throws Exception {
        Path log = work.resolve("without-" + missing + ".log");
        Process p = cairn(caps, log);
        boolean exited = p.waitFor(45, TimeUnit.SECONDS);
        if (!exited) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(exited).as("cairn should fail at start: " + read(log)).isTrue();
        assertThat(p.exitValue()).isNotZero();
        assertThat(read(log)).contains("missing capability " + missing);
        assertThat(ok("ip", "-n", ns, "-4", "addr", "show")).doesNotContain(VIP);
    }

    /** The JVM's pid: ip netns exec and setpriv exec into it, so it is the started process itself. */
    private static long javaPid(Process p) {
        return p.pid();
    }

    private static String sh(String... cmd) {
        try {
            return exec(cmd).out();
        } catch (Exception e) {
            return "";
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (Exception e) {
            return "";
        }
    }
}
