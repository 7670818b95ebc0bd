package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * scripts/ansible's role, as an operator runs it: lint-clean (yamllint, ansible-lint's production
 * profile), applied to this machine twice (the second run changes nothing), an invalid variable
 * refused by the argument spec, a config that fails {@code cairn check} never installed, a config
 * with a relative path checked from /etc/cairn (validate: with --base-dir).
 * Needs root (it installs the package); the package is purged afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnsibleRoleIT {

    static final Path ANSIBLE = Path.of(System.getProperty("cairn.repo", ".."), "scripts/ansible").toAbsolutePath().normalize();
    static final Path DEB = Path.of(System.getProperty("cairn.deb", "target/cairn.deb")).toAbsolutePath();
    static final Path CONFIG = Path.of("/etc/cairn/cairn.yml");

    private record Run(int code, String out) {
    }

    private static Run run(String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ANSIBLE.toFile()).redirectErrorStream(true);
        pb.environment().put("ANSIBLE_NOCOLOR", "1");
        pb.environment().put("ANSIBLE_CONFIG", ANSIBLE.resolve("ansible.cfg").toString());
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    private static Run playbook(String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ansible-playbook", "-i", "localhost,", "-c", "local",
                "tests/local.yml", "-e", "cairn_package_deb=" + DEB));
        cmd.addAll(List.of(extra));
        return run(cmd.toArray(String[]::new));
    }

    @BeforeAll
    static void clean() throws Exception {
        assertThat(run("id", "-u").out.trim()).as("installs a package: needs root").isEqualTo("0");
        run("dpkg", "-P", "cairn");
    }

    @AfterAll
    static void purge() throws Exception {
        run("dpkg", "-P", "cairn");
        run("sh", "-c", "rm -f /var/cache/cairn_cairn_*.deb");
    }

    @Test
    @Order(1)
    void roleIsLintClean() throws Exception {
        Run yamllint = run("yamllint", "-s", ".");
        assertThat(yamllint.code).as(yamllint.out).isEqualTo(0);
        Run lint = run("ansible-lint", "--offline", "--profile", "production", ".");
        assertThat(lint.code).as(lint.out).isEqualTo(0);
        assertThat(lint.out).contains("Passed").contains("production");
    }

    @Test
    @Order(2)
    void appliedTwiceTheSecondRunChangesNothing() throws Exception {
        Run first = playbook();
        assertThat(first.code).as(first.out).isEqualTo(0);
        assertThat(first.out).containsPattern("localhost\\s+: ok=\\d+\\s+changed=[1-9]");
        assertThat(Files.readString(CONFIG)).contains("Ansible managed").contains("127.0.0.1:18080");
        assertThat(run("/usr/bin/cairn", "check", "-c", CONFIG.toString()).code).isEqualTo(0);

        Run second = playbook();
        assertThat(second.code).as(second.out).isEqualTo(0);
        assertThat(second.out).containsPattern("localhost\\s+: ok=\\d+\\s+changed=0\\s");
    }

    @Test
    @Order(3)
    void anInvalidVariableIsRefusedByTheArgumentSpec() throws Exception {
        Run r = playbook("-e", "cairn_service_state=bogus");
        assertThat(r.code).isNotEqualTo(0);
        assertThat(r.out).contains("value of cairn_service_state must be one of: started, stopped, got: bogus");
    }

    @Test
    @Order(4)
    void aConfigThatFailsCheckLeavesTheOldFileInPlace() throws Exception {
        byte[] before = Files.readAllBytes(CONFIG);
        Run r = playbook("-e", "{\"cairn_config\": {\"services\": {}, \"bogus\": 1}}");
        assertThat(r.code).isNotEqualTo(0);
        assertThat(r.out).contains("failed to validate").contains("unknown section 'bogus'");
        assertThat(Files.readAllBytes(CONFIG)).isEqualTo(before);
    }

    /**
     * A config naming a file by a relative path, as a hand-written /etc/cairn/cairn.yml does: the
     * template's validate: checks Ansible's temporary copy with --base-dir /etc/cairn, so the path
     * resolves where the file will live and the config is installed.
     */
    @Test
    @Order(5)
    void aRelativePathInTheConfigResolvesFromTheConfigsDirectory() throws Exception {
        Path token = Files.createTempFile("cairn-admin", ".token");
        try {
            Files.writeString(token, "ansible-role-it-token\n");
            Run r = playbook("-e", "{\"cairn_config\": {\"admin\": {\"listen\": \"127.0.0.1:19000\", \"token_file\": \"admin.token\"},"
                    + " \"services\": {}}, \"cairn_files\": [{\"src\": \"" + token + "\", \"dest\": \"/etc/cairn/admin.token\","
                    + " \"mode\": \"0600\"}]}");
            assertThat(r.code).as(r.out).isEqualTo(0);
            assertThat(Files.readString(CONFIG)).contains("token_file: admin.token");
            assertThat(run("/usr/bin/cairn", "check", "-c", CONFIG.toString()).code).isEqualTo(0);
        } finally {
            Files.deleteIfExists(token);
            Files.deleteIfExists(Path.of("/etc/cairn/admin.token"));
        }
    }
}
