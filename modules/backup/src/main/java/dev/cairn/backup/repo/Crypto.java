package dev.cairn.backup.repo;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The repository's cryptography, all from the JDK: AES-256-GCM with a random 96-bit nonce per
 * object or blob, HKDF-SHA256 (RFC 5869) for subkeys, HMAC-SHA256 chunk ids. Thread-safe: the
 * JCE objects are per thread.
 */
public final class Crypto {

    public static final int NONCE = 12;
    public static final int TAG = 16;
    public static final int OVERHEAD = NONCE + TAG;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec dataKey;
    private final ThreadLocal<Mac> idMac;
    private final ThreadLocal<Cipher> cipher = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });
    private final long[] gear;

    /** Derives every subkey from the 32-byte master key. */
    public Crypto(byte[] master) {
        dataKey = new SecretKeySpec(hkdf(master, new byte[32], "data", 32), "AES");
        byte[] idKey = hkdf(master, new byte[32], "chunk-id", 32);
        idMac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(new SecretKeySpec(idKey, "HmacSHA256"));
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] g = hkdf(master, new byte[32], "gear", 2048);
        gear = new long[256];
        for (int i = 0; i < 256; i++) {
            long v = 0;
            for (int j = 0; j < 8; j++) v = (v << 8) | (g[i * 8 + j] & 0xFF);
            gear[i] = v;
        }
    }

    public long[] gearTable() {
        return gear.clone();
    }

    /** The blob id of a chunk: HMAC-SHA256 under the chunk-id key. */
    public byte[] blobId(byte[] data, int off, int len) {
        Mac m = idMac.get();
        m.update(data, off, len);
        return m.doFinal();
    }

    /** nonce || ciphertext || tag of {@code plain} with associated data {@code aad}. */
    public byte[] seal(byte[] plain, int off, int len, byte[] aad) {
        byte[] out = new byte[NONCE + len + TAG];
        sealInto(plain, off, len, aad, out);
        return out;
    }

    /**
     * Seals {@code plain[off, off+len)} into {@code out} (at least {@code len + OVERHEAD} bytes) and
     * returns the sealed length: the same bytes as {@link #seal(byte[], int, int, byte[])}.
     */
    public int sealInto(byte[] plain, int off, int len, byte[] aad, byte[] out) {
        try {
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            System.arraycopy(nonce, 0, out, 0, NONCE);
            Cipher c = cipher.get();
            c.init(Cipher.ENCRYPT_MODE, dataKey, new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad);
            return NONCE + c.doFinal(plain, off, len, out, NONCE);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] seal(byte[] plain, byte[] aad) {
        return seal(plain, 0, plain.length, aad);
    }

    public byte[] seal(byte[] plain, String aad) {
        return seal(plain, 0, plain.length, aad.getBytes(StandardCharsets.US_ASCII));
    }

    /** Authenticates and decrypts; throws {@link AuthenticationException} on any tampering. */
    public byte[] open(byte[] sealed, int off, int len, byte[] aad) {
        if (len < OVERHEAD) throw new AuthenticationException("object too short to be sealed (" + len + " bytes)");
        try {
            Cipher c = cipher.get();
            c.init(Cipher.DECRYPT_MODE, dataKey, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
            c.updateAAD(aad);
            return c.doFinal(sealed, off + NONCE, len - NONCE);
        } catch (AEADBadTagException e) {
            throw new AuthenticationException("authentication failed (damaged or not written with this key)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Authenticates and decrypts {@code sealed[off, off+len)} into {@code out} at {@code outOff}
     * (at least {@code len - OVERHEAD} bytes, not overlapping the input) and returns the plaintext
     * length: the same checks as {@link #open(byte[], int, int, byte[])}, without allocating it.
     */
    public int openInto(byte[] sealed, int off, int len, byte[] aad, byte[] out, int outOff) {
        if (len < OVERHEAD) throw new AuthenticationException("object too short to be sealed (" + len + " bytes)");
        try {
            Cipher c = cipher.get();
            c.init(Cipher.DECRYPT_MODE, dataKey, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
            c.updateAAD(aad);
            return c.doFinal(sealed, off + NONCE, len - NONCE, out, outOff);
        } catch (AEADBadTagException e) {
            throw new AuthenticationException("authentication failed (damaged or not written with this key)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public byte[] open(byte[] sealed, String aad) {
        return open(sealed, 0, sealed.length, aad.getBytes(StandardCharsets.US_ASCII));
    }

    /** Raw AES-GCM with an explicit key (key slots). */
    static byte[] sealWith(byte[] key, byte[] plain, String aad) {
        try {
            byte[] nonce = random(NONCE);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad.getBytes(StandardCharsets.US_ASCII));
            byte[] ct = c.doFinal(plain);
            byte[] out = new byte[NONCE + ct.length];
            System.arraycopy(nonce, 0, out, 0, NONCE);
            System.arraycopy(ct, 0, out, NONCE, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Null when the key does not open it. */
    static byte[] openWith(byte[] key, byte[] sealed, String aad) {
        if (sealed.length < OVERHEAD) return null;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG * 8, sealed, 0, NONCE));
            c.updateAAD(aad.getBytes(StandardCharsets.US_ASCII));
            return c.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** HKDF-SHA256 extract-and-expand (RFC 5869). */
    public static byte[] hkdf(byte[] ikm, byte[] salt, String info, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt.length == 0 ? new byte[32] : salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(ikm);
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            byte[] out = new byte[length];
            byte[] t = new byte[0];
            int pos = 0;
            for (int i = 1; pos < length; i++) {
                mac.update(t);
                mac.update(info.getBytes(StandardCharsets.UTF_8));
                mac.update((byte) i);
                t = mac.doFinal();
                int n = Math.min(t.length, length - pos);
                System.arraycopy(t, 0, out, pos, n);
                pos += n;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] sha256(byte[] data, int off, int len) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(data, off, len);
            return d.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] sha256(byte[] data) {
        return sha256(data, 0, data.length);
    }

    /** A sealed object or blob that did not authenticate. */
    public static final class AuthenticationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public AuthenticationException(String message) {
            super(message);
        }
    }
}
