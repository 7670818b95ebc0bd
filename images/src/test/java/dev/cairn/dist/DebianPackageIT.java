package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertThat(run("dpkg-deb", "--field", deb, "Depends")).contains("java17-runtime-headless");
        String contents = run("dpkg-deb", "--contents", deb);
        assertThat(contents).contains("./usr/share/cairn/bin/cairn", "./usr/share/cairn/lib/cairn-core-",
                "./etc/cairn/cairn.yml", "./etc/cairn/zones/cairn.test.zone", "./lib/systemd/system/cairn.service",
                "./usr/share/cairn/examples/cluster-3node.yml", "./usr/bin/cairn -> /usr/share/cairn/bin/cairn");
        Path control = dir.resolve("control");
        run("dpkg-deb", "--control", deb, control.toString());
        assertThat(Files.readString(control.resolve("conffiles")).lines())
                .containsExactlyInAnyOrder("/etc/cairn/cairn.yml", "/etc/cairn/zones/cairn.test.zone");
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
        assertThat(unit).contains("ExecStart=/usr/bin/cairn run -c /etc/cairn/cairn.yml", "ExecReload=/bin/kill -HUP $MAINPID");
    }
}
