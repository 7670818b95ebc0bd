package dev.cairn.backup.repo;

import dev.cairn.backup.BackupErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * What opens a repository: a key file (at least 32 random bytes; HKDF) or a passphrase (PBKDF2,
 * {@link #PBKDF2_ITERATIONS}). Each key slot in {@code keys/} wraps the master key under one.
 */
public final class RepoKey {

    public static final int PBKDF2_ITERATIONS = 600_000;
    static final String SLOT_AAD = "cairn-key-slot";

    private final byte[] secret;
    private final boolean passphrase;
    private final String label;

    private RepoKey(byte[] secret, boolean passphrase, String label) {
        this.secret = secret;
        this.passphrase = passphrase;
        this.label = label;
    }

    public static RepoKey keyFile(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        if (b.length < 32) {
            throw new IOException(BackupErrors.KEY_FILE.id() + " key file " + file + " has " + b.length
                    + " bytes; it needs at least 32 random bytes (cairn backup key generate FILE)");
        }
        return new RepoKey(b, false, "key file " + file.getFileName());
    }

    public static RepoKey passphrase(String text) {
        return new RepoKey(text.getBytes(StandardCharsets.UTF_8), true, "passphrase");
    }

    /** Reads a passphrase file: its first line. */
    public static RepoKey passphraseFile(Path file) throws IOException {
        String s = Files.readString(file, StandardCharsets.UTF_8);
        int nl = s.indexOf('\n');
        return passphrase(nl >= 0 ? s.substring(0, nl) : s);
    }

    public String label() {
        return label;
    }

    private byte[] kek(byte[] salt, int iterations) {
        if (!passphrase) return Crypto.hkdf(secret, salt, "cairn key file", 32);
        try {
            char[] chars = new String(secret, StandardCharsets.UTF_8).toCharArray();
            PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, 256);
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A new key slot wrapping {@code master}. */
    public byte[] wrap(byte[] master) {
        byte[] salt = Crypto.random(32);
        byte[] wrapped = Crypto.sealWith(kek(salt, PBKDF2_ITERATIONS), master, SLOT_AAD);
        StringBuilder b = new StringBuilder();
        b.append("cairn-key 1\n");
        b.append("kdf ").append(passphrase ? "pbkdf2-hmac-sha256" : "hkdf-sha256").append('\n');
        if (passphrase) b.append("iterations ").append(PBKDF2_ITERATIONS).append('\n');
        b.append("salt ").append(Base64.getEncoder().encodeToString(salt)).append('\n');
        b.append("wrapped ").append(Base64.getEncoder().encodeToString(wrapped)).append('\n');
        b.append("created ").append(java.time.Instant.now()).append('\n');
        b.append("label ").append(label.replace('\n', ' ')).append('\n');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The master key if this key opens {@code slot}, else null. */
    public byte[] unwrap(byte[] slot) {
        Map<String, String> f = new LinkedHashMap<>();
        for (String line : new String(slot, StandardCharsets.UTF_8).split("\n")) {
            int sp = line.indexOf(' ');
            if (sp > 0) f.put(line.substring(0, sp), line.substring(sp + 1));
        }
        if (!"1".equals(f.get("cairn-key"))) return null;
        boolean slotIsPass = "pbkdf2-hmac-sha256".equals(f.get("kdf"));
        if (slotIsPass != passphrase) return null;
        int iterations = 0;
        if (slotIsPass) {
            iterations = Integer.parseInt(f.getOrDefault("iterations", "0"));
            if (iterations < PBKDF2_ITERATIONS || iterations > 100_000_000) return null;
        }
        try {
            byte[] salt = Base64.getDecoder().decode(f.getOrDefault("salt", ""));
            byte[] wrapped = Base64.getDecoder().decode(f.getOrDefault("wrapped", ""));
            byte[] m = Crypto.openWith(kek(salt, iterations), wrapped, SLOT_AAD);
            return m != null && m.length == 32 ? m : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Writes a new key file of 32 random bytes (base64 text, mode 0600). */
    public static void generate(Path file) throws IOException {
        byte[] b = Base64.getEncoder().encode(Crypto.random(48));
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(tmp, b);
        try {
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX filesystem
        }
        Files.move(tmp, file);
    }
}
