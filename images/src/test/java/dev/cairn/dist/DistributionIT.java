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

/** The tarball an operator installs: its layout, and that it runs on nothing but a Java runtime. */
class DistributionIT {

    static final Path TARBALL = Path.of(System.getProperty("cairn.tarball", "target/cairn.tar.gz"));

    @TempDir
    Path dir;

    private static String run(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isEqualTo(0);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void tarballHasLauncherThinJarsAndConfig() throws Exception {
        List<String> entries = run(dir, "tar", "tzf", TARBALL.toAbsolutePath().toString()).lines().toList();
        String top = entries.get(0).substring(0, entries.get(0).indexOf('/') + 1);
        assertThat(top).startsWith("cairn-");
        assertThat(entries).contains(top + "bin/cairn", top + "config/cairn.yml", top + "README.md");
        assertThat(entries.stream().filter(e -> e.startsWith(top + "lib/") && e.endsWith(".jar")))
                .anyMatch(e -> e.contains("cairn-core-"))
                .anyMatch(e -> e.contains("cairn-metrics-"))
                .anyMatch(e -> e.contains("logback-classic-"));
        // Thin jars: no fat jar bundling every dependency.
        assertThat(entries.stream().filter(e -> e.contains("jar-with-dependencies"))).isEmpty();
    }

    /** The unit runs the launcher, so the launcher's block of JVM options is the unit's: one list. */
    @Test
    void theSystemdUnitRunsTheLauncherAndAddsNoJvmOptionsOfItsOwn() throws Exception {
        Path repo = Path.of(System.getProperty("cairn.repo", ".."));
        List<String> unit = Files.readAllLines(repo.resolve("images/src/deb/systemd/cairn.service")).stream()
                .filter(l -> !l.startsWith("#")).toList();
        assertThat(unit).contains("ExecStart=/usr/bin/cairn run -c /etc/cairn/cairn.yml");
        assertThat(unit).noneMatch(l -> l.contains("JAVA_OPTS") || l.contains("JAVA_TOOL_OPTIONS")
                || l.contains("JDK_JAVA_OPTIONS") || l.contains("MALLOC_"));
        String launcher = Files.readString(repo.resolve("images/src/bin/cairn"));
        assertThat(launcher).contains("-XX:+UseSerialGC", "MALLOC_ARENA_MAX", "TrimNativeHeapInterval=1000");
    }

    /**
     * The build's AppCDS archive holds the classes of a start and nothing a start does not load:
     * every archived class's pages are resident in every `cairn run` (docs/benchmarks.md,
     * Footprint), so the admin API's JSON (Jackson, loaded on first use) stays out of it.
     */
    @Test
    void theAppCdsArchiveHoldsTheClassesOfAStartAndNotTheAdminApisJson() throws Exception {
        Path lib = CairnProcess.DIST.resolve("lib").toAbsolutePath();
        Path archive = lib.resolve("cairn.jsa");
        assertThat(archive).exists();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> classes = run(dir, java, "-XX:SharedArchiveFile=" + archive, "-XX:+PrintSharedArchiveAndExit",
                "-cp", lib + "/*", "dev.cairn.core.cli.Main").lines().toList();
        assertThat(classes).anyMatch(l -> l.contains("dev.cairn.proxy.ProxyModule"))
                .anyMatch(l -> l.contains("dev.cairn.dns."))
                .anyMatch(l -> l.contains("dev.cairn.metrics."))
                .noneMatch(l -> l.contains("com.fasterxml.jackson.databind."));
    }

    @Test
    void unpackedTarballRunsWithOnlyAJavaRuntime() throws Exception {
        run(dir, "tar", "xzf", TARBALL.toAbsolutePath().toString());
        Path home;
        try (var s = Files.list(dir)) {
            home = s.filter(p -> p.getFileName().toString().startsWith("cairn-")).findFirst().orElseThrow();
        }
        String java = Path.of(System.getProperty("java.home"), "bin").toString();
        // PATH holds only the Java runtime's bin and the basic system tools the launcher script uses.
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/cairn").toString(), "check", "-c", "config/cairn.yml")
                .directory(home.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().put("PATH", java + ":/usr/bin:/bin");
        Process check = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        check.getInputStream().transferTo(out);
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(out.toString()).isEqualTo(0);
        assertThat(out.toString()).startsWith("config/cairn.yml: OK");
        assertThat(run(home, home.resolve("bin/cairn").toString(), "version")).startsWith("cairn ");
    }

    @Test
    void docsErrorsMdListsEveryErrorIdOfTheShippedModules() throws Exception {
        Path doc = Path.of(System.getProperty("cairn.repo", "..")).resolve("docs/errors.md");
        // The command checks the ids (own prefix, unique across core and every module) and fails otherwise.
        String generated = run(dir, CairnProcess.DIST.resolve("bin/cairn").toAbsolutePath().toString(), "errors-reference");
        assertThat(generated).contains("`CAIRN-CORE-0001`", "`CAIRN-CLUSTER-0001`", "`CAIRN-DNS-0001`", "`CAIRN-METRICS-0001`", "`CAIRN-PROXY-0001`");
        assertThat(Files.readString(doc))
                .as("docs/errors.md is stale: regenerate with scripts/cairn errors-reference > docs/errors.md")
                .isEqualTo(generated);
    }

    @Test
    void everyErrorIdInTheSourcesIsInDocsErrorsMd() throws Exception {
        Path repo = Path.of(System.getProperty("cairn.repo", "..")).toAbsolutePath().normalize();
        String doc = Files.readString(repo.resolve("docs/errors.md"));
        java.util.regex.Pattern id = java.util.regex.Pattern.compile("CAIRN-[A-Z]+-[0-9]{4}");
        List<String> missing = new java.util.ArrayList<>();
        for (String top : List.of("appliance", "modules")) {
            try (var files = Files.walk(repo.resolve(top))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/"))
                        .toList()) {
                    String rel = repo.relativize(f).toString();
                    var m = id.matcher(Files.readString(f));
                    while (m.find()) {
                        if (!doc.contains("`" + m.group() + "`")) missing.add(m.group() + " in " + rel);
                    }
                }
            }
        }
        assertThat(missing).as("error ids used in code but registered nowhere (add them to the module's *Errors enum)").isEmpty();
    }

    @Test
    void docsConfigMdListsEveryKeyOfTheShippedModules() throws Exception {
        Path doc = Path.of(System.getProperty("cairn.repo", "..")).resolve("docs/config.md");
        String generated = run(dir, CairnProcess.DIST.resolve("bin/cairn").toAbsolutePath().toString(), "config-reference");
        assertThat(generated).contains("`admin.listen`", "`services.NAME.check.rise`", "`metrics.listen`");
        assertThat(Files.readString(doc))
                .as("docs/config.md is stale: regenerate with scripts/cairn config-reference > docs/config.md")
                .isEqualTo(generated);
    }
}
