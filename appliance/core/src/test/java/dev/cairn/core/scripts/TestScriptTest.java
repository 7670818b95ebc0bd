package dev.cairn.core.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/test's install branch on a machine without a policy-rc.d: the file keeps daemons from
 * starting while apt-get runs and is gone before Maven starts (and when apt-get fails). apt-get,
 * dpkg-query, id and mvn are stand-ins on PATH that record what they saw; the script is the real one.
 */
class TestScriptTest {

    static final Path SCRIPT = Path.of("../../scripts/test").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    Path bin;
    Path policy;
    Path log;

    record Run(int exit, String output) {}

    @BeforeEach
    void fakes() throws Exception {
        bin = Files.createDirectories(dir.resolve("bin"));
        policy = dir.resolve("policy-rc.d");
        log = dir.resolve("log");
        // Every package reads as missing, and the script runs as if root.
        fake("dpkg-query", "exit 1");
        fake("id", "echo 0");
        fake("apt-get", """
                if [ -x "$CAIRN_POLICY_RC" ] && [ "$("$CAIRN_POLICY_RC"; echo $?)" = 101 ]; then
                  echo "apt-get $1: policy in place" >> "$FAKE_LOG"
                else
                  echo "apt-get $1: no policy" >> "$FAKE_LOG"
                fi
                [ "$1" = install ] && [ -n "${FAKE_APT_FAIL:-}" ] && exit 100
                exit 0""");
        fake("mvn", """
                if [ -e "$CAIRN_POLICY_RC" ]; then echo "mvn: policy left behind" >> "$FAKE_LOG";
                else echo "mvn: no policy" >> "$FAKE_LOG"; fi""");
    }

    private void fake(String name, String body) throws Exception {
        Path f = bin.resolve(name);
        Files.writeString(f, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Run run(boolean aptFails) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("CAIRN_POLICY_RC", policy.toString());
        pb.environment().put("FAKE_LOG", log.toString());
        if (aptFails) {
            pb.environment().put("FAKE_APT_FAIL", "1");
        }
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    private String log() throws Exception {
        return Files.readString(log);
    }

    @Test
    void policyHoldsDuringTheInstallAndIsGoneBeforeMaven() throws Exception {
        Run r = run(false);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(log()).isEqualTo("apt-get update: policy in place\napt-get install: policy in place\nmvn: no policy\n");
        assertThat(policy).doesNotExist();
    }

    @Test
    void policyIsRemovedWhenAptGetFails() throws Exception {
        Run r = run(true);
        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(log()).doesNotContain("mvn");
        assertThat(policy).doesNotExist();
    }

    @Test
    void aPolicyTheMachineAlreadyHadIsLeftAlone() throws Exception {
        Files.writeString(policy, "#!/bin/sh\nexit 101\n");
        Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run r = run(false);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(log()).endsWith("mvn: policy left behind\n");
        assertThat(policy).hasContent("#!/bin/sh\nexit 101\n");
    }
}
