package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The .deb an operator installs with dpkg/apt: its metadata, files, and a launcher that works through /usr/bin. */
class DebianPackageIT {

    static final Path DEB = Path.of(System.getProperty("cairn.deb", "target/cairn.deb"));

    @TempDir
    Path dir;

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + text).isEqualTo(0);
        return text;
    }

    @Test
    void packageDeclaresJavaAndShipsConfigAsConffileAndAUnit() throws Exception {
        String deb = DEB.toAbsolutePath().toString();
        assertThat(run("dpkg-deb", "--field", deb, "Package")).isEqualTo("cairn\n");
        assertThat(run("dpkg-deb", "--field", deb, "Depends"))
                .startsWith("openjdk-17-jre-headless | java17-runtime-headless, adduser");
        String contents = run("dpkg-deb", "--contents", deb);
        assertThat(contents).contains("./usr/share/cairn/bin/cairn", "./usr/share/cairn/lib/cairn-core-",
                "./etc/cairn/cairn.yml", "./lib/systemd/system/cairn.service", "./usr/lib/sysctl.d/60-cairn.conf",
                "./usr/share/doc/cairn/copyright", "./usr/share/doc/cairn/changelog.gz", "./usr/share/man/man1/cairn.1.gz",
                "./usr/share/cairn/examples/cluster-3node.yml", "./usr/share/cairn/examples/demo/cairn.yml",
                "./usr/bin/cairn -> ../share/cairn/bin/cairn");
        assertThat(contents).doesNotContain("./opt/").doesNotContain("./etc/cairn/zones");
        Path control = dir.resolve("control");
        run("dpkg-deb", "--control", deb, control.toString());
        assertThat(Files.readString(control.resolve("conffiles")).lines()).containsExactly("/etc/cairn/cairn.yml");
    }

    /**
     * Reproducible: every file in the package (data and control) carries the build's pinned
     * project.build.outputTimestamp, not the time of the build, so two builds of one commit can be
     * byte-identical (scripts/check-reproducible-deb builds twice and compares; this is the cheap
     * half that runs with every test run: a time that leaks in fails here).
     */
    @Test
    void everyFileCarriesThePinnedOutputTimestamp() throws Exception {
        String pom = Files.readString(Path.of(System.getProperty("cairn.repo", "..")).resolve("pom.xml"));
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("<project.build.outputTimestamp>(\\d{4}-\\d\\d-\\d\\d)T(\\d\\d:\\d\\d:\\d\\d)Z<").matcher(pom);
        assertThat(m.find()).as("project.build.outputTimestamp in the root pom").isTrue();
        String pinned = m.group(1) + " " + m.group(2);
        for (String part : List.of("--fsys-tarfile", "--ctrl-tarfile")) {
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", "dpkg-deb " + part + " \"$0\" | tar -tv --full-time",
                    DEB.toAbsolutePath().toString()).redirectErrorStream(true);
            pb.environment().put("TZ", "UTC");
            Process p = pb.start();
            List<String> entries = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(part + ": " + entries).isZero();
            assertThat(entries).as(part).hasSizeGreaterThan(part.equals("--fsys-tarfile") ? 50 : 2);
            assertThat(entries).as(part + ": entries whose time is not " + pinned).allMatch(l -> l.contains(" " + pinned + " "));
        }
    }

    /** lintian from Debian: no error and no warning; the one override (multi-release jars) is in the package, with its reason. */
    @Test
    void lintianFindsNoErrorOrWarning() throws Exception {
        Process p = new ProcessBuilder("lintian", "--tag-display-limit", "0", DEB.toAbsolutePath().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(out.lines().filter(l -> l.startsWith("E:") || l.startsWith("W:")).toList()).as(out).isEmpty();
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** The packaged config is the production starting point: it validates and listens on the admin API (loopback) and metrics only. */
    @Test
    void packagedConfigListensOnNothingButAdminOnLoopbackAndMetrics() throws Exception {
        Path root = dir.resolve("root");
        run("dpkg-deb", "-x", DEB.toAbsolutePath().toString(), root.toString());
        Path yml = root.resolve("etc/cairn/cairn.yml");
        List<String> active = Files.readAllLines(yml).stream()
                .filter(l -> !l.isBlank() && !l.trim().startsWith("#")).toList();
        assertThat(active).containsExactly("admin:", "  listen: 127.0.0.1:9000", "metrics:", "  listen: \":9100\"");
        assertThat(run(root.resolve("usr/share/cairn/bin/cairn").toString(), "check", "-c", yml.toString())).contains(": OK");
        // The rest is commented examples, one per module, ready to uncomment.
        String uncommented = Files.readString(yml).replaceAll("(?m)^# ?(?=[a-z ]|  )", "");
        assertThat(uncommented).contains("proxy:\n  listeners:", "dns:\n  listen: \":53\"", "cluster:\n  name: edge");
    }

    @Test
    void extractedLauncherRunsAlsoThroughASymlink() throws Exception {
        Path root = dir.resolve("root");
        run("dpkg-deb", "-x", DEB.toAbsolutePath().toString(), root.toString());
        Path launcher = root.resolve("usr/share/cairn/bin/cairn");
        Path link = dir.resolve("cairn-link");
        Files.createSymbolicLink(link, launcher);
        assertThat(run(link.toString(), "version")).startsWith("cairn ");
        assertThat(run(link.toString(), "check", "-c", root.resolve("etc/cairn/cairn.yml").toString())).contains(": OK");
        String unit = Files.readString(root.resolve("lib/systemd/system/cairn.service"));
        assertThat(unit).contains("ExecStart=/usr/bin/cairn run -c /etc/cairn/cairn.yml",
                "ExecReload=/usr/bin/cairn reload -c /etc/cairn/cairn.yml");
    }
}
