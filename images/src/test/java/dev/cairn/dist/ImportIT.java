package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code cairn import} on configs written like the seeds' (golden output) and on the samples
 * Debian ships with haproxy, keepalived and bind9: what it writes passes {@code cairn check},
 * every note names a real file and line, and the exit code says whether behaviour changes.
 */
class ImportIT {

    private static final Path SAMPLES = Path.of(System.getProperty("cairn.repo", ".."), "images/src/test/resources/import");
    private static final Pattern NOTE = Pattern.compile("^(/?[^:]+):(\\d+): (.+)$");

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static synchronized Run cairn(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Writes the output beside what it refers to and runs {@code cairn check} on it. */
    private Run check(String yaml, String... extra) throws IOException {
        Path f = dir.resolve("cairn.yml");
        Files.writeString(f, yaml);
        List<String> args = new ArrayList<>(List.of("check", "-c", f.toString()));
        args.addAll(List.of(extra));
        return cairn(args.toArray(String[]::new));
    }

    private static void notesNameRealLines(String err) throws IOException {
        for (String line : err.lines().toList()) {
            if (line.startsWith("cairn import:")) continue;
            Matcher m = NOTE.matcher(line);
            assertThat(m.matches()).as("note format: %s", line).isTrue();
            Path file = Path.of(m.group(1));
            assertThat(file).as(line).isRegularFile();
            int no = Integer.parseInt(m.group(2));
            assertThat(no).as(line).isBetween(0, Files.readAllLines(file).size());
        }
    }

    @Test
    void theSeedStackTranslatesToTheGoldenConfigAndPassesCheck() throws Exception {
        // named.conf's zone file is relative to its options { directory }: point that at the samples.
        Path named = dir.resolve("named.conf");
        Files.writeString(named, Files.readString(SAMPLES.resolve("named.conf"))
                .replace("/var/cache/bind", SAMPLES.toAbsolutePath().normalize().toString()));
        Run r = cairn("import", "--haproxy", SAMPLES.resolve("agama-haproxy.cfg").toString(),
                "--keepalived", SAMPLES.resolve("lb1-keepalived.conf").toString(),
                "--keepalived", SAMPLES.resolve("lb2-keepalived.conf").toString(), "--bind", named.toString());
        assertThat(r.code).as(r.err).isEqualTo(0);
        String golden = Files.readString(SAMPLES.resolve("agama.golden.yml"))
                .replace("@SAMPLES@", SAMPLES.toAbsolutePath().normalize().toString());
        assertThat(r.out.substring(r.out.indexOf("\n\n") + 2)).isEqualTo(golden);
        notesNameRealLines(r.err);
        assertThat(r.err).contains("agama-haproxy.cfg:4: chroot: not needed by Cairn")
                .contains("lb1-keepalived.conf:24: authentication: Cairn signs adverts")
                .doesNotContain("[changes behaviour]");

        Files.writeString(dir.resolve("cluster.secret"), "0123456789abcdef0123456789abcdef\n");
        selfSignedPem(dir.resolve("agama.pem"));
        Run check = check(r.out, "--node", "lb1");
        assertThat(check.code).as(check.err).isEqualTo(0);
        assertThat(check.out).contains("2 services; modules: proxy, cluster, dns, metrics");
    }

    @Test
    void whatWouldChangeBehaviourIsNamedWithItsLineAndExitsOne() throws Exception {
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, """
                frontend web
                    bind :8080
                    acl api path_beg /api
                    acl old hdr(host) -i old.example.org
                    use_backend api if api
                    http-request set-header X-Env prod
                    default_backend app
                backend api
                    server a1 127.0.0.1:9001 check backup
                backend app
                    balance uri
                    server b1 127.0.0.1:9002
                """);
        Run r = cairn("import", "--haproxy", cfg.toString());
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains(cfg + ":6: http-request set-header: not translated [changes behaviour]")
                .contains(cfg + ":9: server a1 backup: Cairn has no backup servers")
                .contains(cfg + ":11: balance uri: Cairn balances by roundrobin, leastconn, source or first");
        assertThat(r.out).contains("- { path: /api, service: api }").contains("- { service: app, balance: roundrobin }");
        Run check = check(r.out);
        assertThat(check.code).as(check.err).isEqualTo(0);
    }

    static Stream<Path> debianSamples() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/usr/share/doc/keepalived/samples"))) {
            s.filter(p -> p.getFileName().toString().startsWith("keepalived.conf.")).sorted().forEach(out::add);
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("debianSamples")
    void debiansKeepalivedSamplesTranslateToConfigsThatPassCheck(Path sample) throws Exception {
        Run r = cairn("import", "--keepalived", sample.toString());
        // Every sample is multicast VRRP (and most add LVS virtual servers): behaviour changes, and says so.
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("multicast VRRP");
        notesNameRealLines(r.err);
        Run check = check(r.out);
        assertThat(check.code).as(r.out + check.err).isEqualTo(0);
    }

    @Test
    void debiansHaproxyCfgTranslatesCleanly() throws Exception {
        Run r = cairn("import", "--haproxy", "/etc/haproxy/haproxy.cfg");
        assertThat(r.code).as(r.err).isEqualTo(0);
        notesNameRealLines(r.err);
        assertThat(r.out).contains("timeouts: { connect: 5s, client: 50s, server: 50s }");
        assertThat(check(r.out).code).isEqualTo(0);
    }

    @Test
    void debiansNamedConfIsARecursiveResolverAndSaysSo() throws Exception {
        Run r = cairn("import", "--bind", "/etc/bind/named.conf");
        assertThat(r.code).isEqualTo(1);
        assertThat(r.err).contains("recursion: BIND resolves recursively").contains("type hint: root hints serve recursion only");
        notesNameRealLines(r.err);
        assertThat(r.out).contains("localhost: { file: /etc/bind/db.local }").contains("127.in-addr.arpa:");
        Run check = check(r.out);
        assertThat(check.code).as(check.err).isEqualTo(0);
    }

    private static void selfSignedPem(Path pem) throws Exception {
        Path key = pem.resolveSibling("k.pem");
        Path cert = pem.resolveSibling("c.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "30", "-subj", "/CN=www.agama.internal")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor()).isEqualTo(0);
        Files.writeString(pem, Files.readString(cert) + Files.readString(key));
    }
}
