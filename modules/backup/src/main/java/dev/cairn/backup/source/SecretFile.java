package dev.cairn.backup.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A file only this user can read, holding a secret for a child process (a MySQL client
 * defaults file), in a private directory of its own, deleted on close. The secret never
 * appears in a child's argv, where {@code ps} shows it to every user.
 */
public final class SecretFile implements AutoCloseable {

    private final Path dir;
    private final Path file;

    private SecretFile(Path dir, Path file) {
        this.dir = dir;
        this.file = file;
    }

    public static SecretFile write(String name, String content) throws IOException {
        Path dir = Files.createTempDirectory("cairn-secret-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        Path file = dir.resolve(name);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardCharsets.UTF_8);
        return new SecretFile(dir, file);
    }

    /** Reads a {@code password_file}: its content less one trailing newline. */
    public static String readSecret(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        if (s.endsWith("\r")) s = s.substring(0, s.length() - 1);
        return s;
    }

    public Path path() {
        return file;
    }

    @Override
    public void close() {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: the directory is private to this user.
        }
    }
}
