package dev.cairn.core.testing.mariadb;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One {@code mariadb-install-db} per JVM into a template data directory; every
 * {@link MariaDbServer} starts from a copy (about 20 MB, copied in milliseconds), which is what
 * makes three servers come up in well under a second. Deleted when the JVM exits.
 */
final class MariaDbTemplate {

    /** Options every server (and the bootstrap) runs with: small, loopback-only, fast. */
    static final List<String> COMMON_ARGS = List.of(
            "--user=root",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--innodb-buffer-pool-size=16M",
            "--innodb-log-file-size=8M",
            "--innodb-use-native-aio=0",
            "--performance-schema=OFF",
            "--skip-host-cache");

    /** Accounts created at bootstrap, so they are in no node's binary log. */
    private static final String BOOTSTRAP_SQL = """
            FLUSH PRIVILEGES;
            CREATE USER 'repl'@'%' IDENTIFIED BY 'repl';
            GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
            """;

    private static Path template;

    private MariaDbTemplate() {
    }

    /** Copies the template data directory to {@code target} (created). */
    static void copyTo(Path target) throws IOException {
        Path from = template();
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path to = target.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static synchronized Path template() throws IOException {
        if (template != null) {
            return template;
        }
        Path base = Files.createTempDirectory("cairn-mariadb-template-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(base), "mariadb-template-cleanup"));
        Path data = base.resolve("data");
        Path extra = base.resolve("bootstrap.sql");
        Files.writeString(extra, BOOTSTRAP_SQL);
        List<String> cmd = new ArrayList<>(List.of("mariadb-install-db", "--no-defaults",
                "--datadir=" + data,
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                // Its temporary tables beside it: a shared /tmp lost one once ("Unknown table 'mysql.tmp_proxies_priv'").
                "--tmpdir=" + base,
                "--extra-file=" + extra));
        cmd.addAll(COMMON_ARGS);
        Path log = base.resolve("install.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("mariadb-install-db failed (is mariadb-server installed? see scripts/packages.txt):\n"
                        + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during mariadb-install-db", e);
        }
        template = data;
        return data;
    }

    /** Deletes a directory tree, ignoring what is already gone. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // A test's temp dir is cleaned by JUnit anyway; a leftover file must not fail close().
        }
    }
}
