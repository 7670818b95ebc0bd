package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example config in config/examples passes {@code cairn check}, with the files it names put
 * in place the way an operator would (secrets, keys, self-signed certificates, directories) and
 * absolute paths moved under a scratch directory.
 */
class ExamplesIT {

    static final Path REPO = Path.of(System.getProperty("cairn.repo", "..")).toAbsolutePath().normalize();
    private static final Pattern ABSOLUTE = Pattern.compile("(?<=[\\s:\\[,{\"])/(etc|webapps|var|mnt|srv|opt|home)/[^\\s,\\]}\"]*");
    private static final Pattern FILE_KEYS = Pattern.compile(
            "\\b([a-z_]*_file|cert|key|file|root|path|paths|PGPASSWORD|[A-Z_]+_FILE)\\s*:\\s*(\\[[^\\]]*\\]|\"[^\"]*\"|[^\\s,}]+)");

    @TempDir
    Path dir;

    static Stream<Path> examples() throws Exception {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(REPO.resolve("config/examples"))) {
            s.filter(p -> p.toString().endsWith(".yml")).sorted().forEach(out::add);
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void passesCheck(Path example) throws Exception {
        Path work = dir.resolve("cfg");
        copyTree(example.getParent(), work);
        String yaml = Files.readString(example);
        Matcher abs = ABSOLUTE.matcher(yaml);
        StringBuilder moved = new StringBuilder();
        while (abs.find()) abs.appendReplacement(moved, Matcher.quoteReplacement(dir + abs.group()));
        abs.appendTail(moved);
        yaml = moved.toString();
        Path file = work.resolve(example.getFileName());
        Files.writeString(file, yaml);
        provide(work, yaml);

        List<String> args = new ArrayList<>(List.of("check", "-c", file.toString()));
        Matcher node = Pattern.compile("\\{ ?name: ([a-z0-9-]+), address:").matcher(yaml);
        if (yaml.contains("cluster:") && node.find()) args.addAll(List.of("--node", node.group(1)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.err;
        PrintStream oldOut = System.out;
        int code;
        System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            code = Main.execute(args.toArray(String[]::new));
        } finally {
            System.setErr(old);
            System.setOut(oldOut);
        }
        assertThat(code).as(example + ":\n" + out.toString(StandardCharsets.UTF_8)).isEqualTo(0);
    }

    /** Creates every file and directory the config names that the example does not ship. */
    private void provide(Path work, String yaml) throws Exception {
        Matcher m = FILE_KEYS.matcher(yaml);
        while (m.find()) {
            String key = m.group(1);
            String v = m.group(2).replace("\"", "");
            List<String> values = new ArrayList<>();
            if (v.startsWith("[")) {
                for (String part : v.substring(1, v.length() - 1).split(",")) if (!part.isBlank()) values.add(part.trim());
            } else {
                values.add(v);
            }
            for (String value : values) {
                Path p = work.resolve(value);
                if (Files.exists(p)) continue;
                Files.createDirectories(p.getParent());
                switch (key) {
                    case "path", "paths", "root" -> Files.createDirectories(p);
                    case "cert" -> selfSigned(p);
                    case "key" -> {
                        if (value.endsWith(".key") || value.endsWith(".pem")) selfSigned(p);
                    }
                    case "key_file" -> Files.write(p, new java.security.SecureRandom().generateSeed(32));
                    case "file" -> {
                        if (!value.endsWith(".zone")) Files.writeString(p, "maintenance\n");
                    }
                    default -> Files.writeString(p, "0123456789abcdef0123456789abcdef\n");
                }
            }
        }
    }

    /** A certificate and its key: both at {@code p}'s sibling names the config uses (cert and key files). */
    private static void selfSigned(Path p) throws Exception {
        Path key = Files.createTempFile(p.getParent(), "k", ".pem");
        Path cert = Files.createTempFile(p.getParent(), "c", ".pem");
        Process proc = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(),
                "-out", cert.toString(), "-days", "30", "-subj", "/CN=example.org")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(proc.waitFor()).isEqualTo(0);
        // The config names cert and key separately; one PEM holding both serves either name.
        Files.writeString(p, Files.readString(cert) + Files.readString(key));
        String name = p.getFileName().toString();
        for (String[] pair : new String[][] {{"fullchain.pem", "privkey.pem"}, {".crt", ".key"}}) {
            Path other = null;
            if (name.endsWith(pair[0])) other = p.resolveSibling(name.replace(pair[0], pair[1]));
            else if (name.endsWith(pair[1])) other = p.resolveSibling(name.replace(pair[1], pair[0]));
            if (other != null && !Files.exists(other)) Files.copy(p, other);
        }
        Files.delete(key);
        Files.delete(cert);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
