package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The package's life on this machine, as root (CI is root; PID 1 is not systemd here, so the
 * maintainer scripts must skip systemctl): install an older build, edit the conffile, upgrade
 * (the edit is kept without a prompt: stdin is closed), reinstall, check the installed unit with
 * systemd-analyze and its readiness step, remove (config and state stay), purge (both gone).
 * Every dpkg call exits 0.
 */
class DebianLifecycleIT {

    static final Path DEB = DebianPackageIT.DEB;
    static final Path CONF = Path.of("/etc/cairn/cairn.yml");
    static final Path STATE = Path.of("/var/lib/cairn");
    static final double MAX_EXPOSURE = 2.5;

    @TempDir
    Path dir;

    record Result(int exit, String out) {
    }

    static Result exec(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** dpkg with its arguments; waits (bounded) while another dpkg or apt holds the lock. */
    static String dpkg(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("dpkg"));
        cmd.addAll(List.of(args));
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            Result r = exec(cmd);
            if (r.exit() == 0) return r.out();
            boolean locked = r.out().contains("lock") && r.out().contains("held by") || r.out().contains("frontend lock");
            if (!locked || System.nanoTime() > deadline) {
                throw new AssertionError(String.join(" ", cmd) + " exited " + r.exit() + ":\n" + r.out());
            }
            Thread.sleep(1000); // another package manager run holds the lock; retry until the deadline
        }
    }

    static boolean installed() throws Exception {
        Result r = exec(List.of("dpkg-query", "-W", "-f=${Status}", "cairn"));
        return r.exit() == 0 && r.out().contains("installed") && !r.out().contains("not-installed");
    }

    static String version() throws Exception {
        return exec(List.of("dpkg-query", "-W", "-f=${Version}", "cairn")).out();
    }

    /** The sysctls the package applies on install; put back as they were, so the test leaves the machine as it found it. */
    static final List<String> SYSCTLS = List.of("net.ipv4.ip_nonlocal_bind", "net.ipv6.ip_nonlocal_bind",
            "net.ipv6.conf.all.ndisc_notify", "net.ipv6.conf.default.ndisc_notify");
    private final java.util.Map<String, String> sysctlsBefore = new java.util.LinkedHashMap<>();

    @org.junit.jupiter.api.BeforeEach
    void rememberSysctls() throws Exception {
        for (String k : SYSCTLS) {
            Result r = exec(List.of("sysctl", "-n", k));
            if (r.exit() == 0) sysctlsBefore.put(k, r.out().trim());
        }
    }

    @AfterEach
    void purgeWhateverIsLeft() throws Exception {
        Result r = exec(List.of("dpkg-query", "-W", "-f=${Status}", "cairn"));
        if (r.exit() == 0 && !r.out().contains("not-installed")) dpkg("--purge", "cairn");
        for (var e : sysctlsBefore.entrySet()) exec(List.of("sysctl", "-q", "-w", e.getKey() + "=" + e.getValue()));
    }

    /** The same package under an older version, as a previous release would be. */
    Path olderBuild() throws Exception {
        Path tree = dir.resolve("old");
        assertThat(exec(List.of("dpkg-deb", "-R", DEB.toAbsolutePath().toString(), tree.toString())).exit()).isZero();
        Path control = tree.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control).replaceFirst("(?m)^Version: .*$", "Version: 0.0.9"));
        Path old = dir.resolve("cairn_0.0.9_all.deb");
        Result b = exec(List.of("dpkg-deb", "--root-owner-group", "-b", tree.toString(), old.toString()));
        assertThat(b.exit()).as(b.out()).isZero();
        return old;
    }

    @Test
    void installUpgradeKeepingAnEditedConffileReinstallRemoveAndPurge() throws Exception {
        assertThat(exec(List.of("id", "-u")).out().trim()).as("this test installs a package: run it as root (CI is)").isEqualTo("0");
        assertThat(installed()).as("cairn is already installed on this machine; the test would replace it").isFalse();
        Path old = olderBuild();

        dpkg("--install", old.toString());
        assertThat(version()).isEqualTo("0.0.9");
        assertThat(CONF).exists();
        assertThat(exec(List.of("getent", "passwd", "cairn")).out()).contains("/var/lib/cairn");
        PosixFileAttributes state = Files.readAttributes(STATE, PosixFileAttributes.class);
        assertThat(state.owner().getName()).isEqualTo("cairn");
        assertThat(Path.of("/usr/lib/sysctl.d/60-cairn.conf")).exists();
        assertThat(exec(List.of("sysctl", "-n", "net.ipv4.ip_nonlocal_bind")).out().trim()).as("applied by postinst").isEqualTo("1");

        String edited = Files.readString(CONF) + "# edited on this node\n";
        Files.writeString(CONF, edited);

        String upgrade = dpkg("--install", DEB.toAbsolutePath().toString());
        assertThat(version()).isEqualTo("0.1.0~SNAPSHOT");
        assertThat(Files.readString(CONF)).as("the operator's edit survives the upgrade").isEqualTo(edited);
        assertThat(upgrade).doesNotContain("Configuration file '/etc/cairn/cairn.yml'");
        assertThat(Path.of("/etc/cairn/cairn.yml.dpkg-new")).doesNotExist();

        dpkg("--install", DEB.toAbsolutePath().toString());
        assertThat(Files.readString(CONF)).isEqualTo(edited);
        assertThat(exec(List.of("/usr/bin/cairn", "check", "-c", CONF.toString())).out()).contains(": OK");

        checkInstalledUnit();
        checkReadiness();

        dpkg("--remove", "cairn");
        // Every file of the package is gone (a stray file another run left in /usr/share/cairn would keep the directory).
        assertThat(Path.of("/usr/share/cairn/bin/cairn")).doesNotExist();
        assertThat(Path.of("/lib/systemd/system/cairn.service")).doesNotExist();
        if (Files.isDirectory(Path.of("/usr/share/cairn/lib"))) {
            try (var s = Files.list(Path.of("/usr/share/cairn/lib"))) {
                assertThat(s.map(Path::toString).filter(n -> n.endsWith(".jar")).toList()).isEmpty();
            }
        }
        assertThat(Path.of("/usr/bin/cairn")).doesNotExist();
        assertThat(CONF).as("remove keeps the config").exists();
        assertThat(STATE).as("remove keeps the state").exists();

        dpkg("--purge", "cairn");
        assertThat(Path.of("/etc/cairn")).as("purge removes the config").doesNotExist();
        assertThat(STATE).as("purge removes the state").doesNotExist();
        assertThat(installed()).isFalse();
    }

    /**
     * The unit's readiness step, run as systemd would run it (ExecStartPost with $MAINPID):
     * cairn-wait-ready returns 0 only once the listeners are bound (the proxy's port accepts at
     * that moment), and 1 with a message when Cairn exits before it is ready (its port is taken).
     */
    void checkReadiness() throws Exception {
        int admin = dev.cairn.core.testing.TestHost.freePort();
        int metrics = dev.cairn.core.testing.TestHost.freePort();
        int proxy = dev.cairn.core.testing.TestHost.freePort();
        Path config = dir.resolve("ready.yml");
        Files.writeString(config, String.join("\n", "admin:", "  listen: 127.0.0.1:" + admin, "metrics:",
                "  listen: 127.0.0.1:" + metrics, "services:", "  web:", "    endpoints: [127.0.0.1:" + dev.cairn.core.testing.TestHost.freePort() + "]",
                "proxy:", "  listeners:", "    - { name: web, bind: \"127.0.0.1:" + proxy + "\", routes: [{ service: web }] }", ""));
        String waitReady = "/usr/share/cairn/bin/cairn-wait-ready";

        Process cairn = new ProcessBuilder("/usr/bin/cairn", "run", "-c", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("ready.log").toFile()).start();
        try {
            Result ready = exec(List.of(waitReady, Long.toString(cairn.pid()), config.toString()));
            assertThat(ready.exit()).as(ready.out() + Files.readString(dir.resolve("ready.log"))).isZero();
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", proxy)) {
                assertThat(s.isConnected()).as("the proxy listener is bound once cairn-wait-ready returned").isTrue();
            }
        } finally {
            cairn.destroy();
            assertThat(cairn.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        try (java.net.ServerSocket taken = new java.net.ServerSocket(proxy, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Process failing = new ProcessBuilder("/usr/bin/cairn", "run", "-c", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("failing.log").toFile()).start();
            try {
                Result r = exec(List.of(waitReady, Long.toString(failing.pid()), config.toString()));
                assertThat(r.exit()).as(r.out() + Files.readString(dir.resolve("failing.log"))).isEqualTo(1);
                assertThat(r.out()).contains("exited before it was ready");
            } finally {
                failing.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** systemd-analyze works offline (no systemd as PID 1 here): verify is clean, the exposure score at most 2.5. */
    void checkInstalledUnit() throws Exception {
        Result verify = exec(List.of("systemd-analyze", "verify", "/lib/systemd/system/cairn.service"));
        assertThat(verify.out().lines().filter(l -> l.contains("cairn.service")).toList()).as(verify.out()).isEmpty();
        assertThat(verify.exit()).as(verify.out()).isZero();
        Result security = exec(List.of("systemd-analyze", "security", "--offline=true", "/lib/systemd/system/cairn.service"));
        Matcher m = Pattern.compile("Overall exposure level for cairn.service: ([0-9.]+)").matcher(security.out());
        assertThat(m.find()).as(security.out()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).as(security.out()).isLessThanOrEqualTo(MAX_EXPOSURE);
        String unit = Files.readString(Path.of("/lib/systemd/system/cairn.service"));
        assertThat(unit).contains("AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_ADMIN CAP_NET_RAW",
                "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_NET_ADMIN CAP_NET_RAW", "NoNewPrivileges=yes",
                "ProtectSystem=strict", "StateDirectory=cairn", "ReadWritePaths=/var/lib/cairn",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET", "SuccessExitStatus=143");
        assertThat(unit.lines().filter(l -> !l.startsWith("#")).toList())
                .noneMatch(l -> l.startsWith("MemoryDenyWriteExecute=") || l.startsWith("PrivateUsers=") || l.startsWith("ProcSubset="));
    }
}
