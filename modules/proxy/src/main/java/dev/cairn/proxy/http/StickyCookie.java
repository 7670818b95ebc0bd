package dev.cairn.proxy.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sticky-session cookie: {@code base64url(endpoint name) "." base64url(HMAC-SHA256)[:16 bytes]}.
 * Signed so a client cannot steer itself to an endpoint by name; independent of the application's
 * own session cookie (PHPSESSID, sessionid, JSESSIONID). Thread-safe.
 */
public final class StickyCookie {

    public static final String NAME = "CAIRN_STICKY";
    private static final int MAC_BYTES = 16;

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> mac;

    public StickyCookie(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.mac = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
            }
        });
    }

    public String sign(String endpoint) {
        byte[] name = endpoint.getBytes(StandardCharsets.UTF_8);
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(name) + "." + b64.encodeToString(tag(name));
    }

    /** The endpoint name in a valid cookie value, or null when absent, malformed or forged. */
    public String verify(String value) {
        if (value == null) return null;
        int dot = value.indexOf('.');
        if (dot <= 0) return null;
        try {
            Base64.Decoder d = Base64.getUrlDecoder();
            byte[] name = d.decode(value.substring(0, dot));
            byte[] given = d.decode(value.substring(dot + 1));
            return MessageDigest.isEqual(given, tag(name)) ? new String(name, StandardCharsets.UTF_8) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private byte[] tag(byte[] name) {
        return Arrays.copyOf(mac.get().doFinal(name), MAC_BYTES);
    }
}
