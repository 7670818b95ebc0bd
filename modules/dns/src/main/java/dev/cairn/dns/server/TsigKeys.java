package dev.cairn.dns.server;

import dev.cairn.dns.DnsConfig.TsigKeyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/** TSIG keys by name, read from their secret files. Immutable and thread-safe once built. */
public final class TsigKeys {

    private static final Pattern BIND_SECRET = Pattern.compile("secret\\s+\"([^\"]+)\"");
    private static final Map<String, Name> ALGORITHMS = Map.of(
            "hmac-sha256", TSIG.HMAC_SHA256,
            "hmac-sha512", TSIG.HMAC_SHA512,
            "hmac-sha384", TSIG.HMAC_SHA384,
            "hmac-sha224", TSIG.HMAC_SHA224,
            "hmac-sha1", TSIG.HMAC_SHA1,
            "hmac-md5", TSIG.HMAC_MD5);

    public static final TsigKeys NONE = new TsigKeys(Map.of());

    private final Map<Name, TSIG> byName;

    private TsigKeys(Map<Name, TSIG> byName) {
        this.byName = byName;
    }

    /** Loads every key; throws IllegalArgumentException naming the key whose file or algorithm is wrong. */
    public static TsigKeys load(Map<String, TsigKeyConfig> keys, Path dir) {
        Map<Name, TSIG> out = new HashMap<>();
        for (Map.Entry<String, TsigKeyConfig> e : keys.entrySet()) {
            out.put(keyName(e.getKey()), key(e.getKey(), e.getValue(), dir));
        }
        return new TsigKeys(Map.copyOf(out));
    }

    public static TSIG key(String name, TsigKeyConfig cfg, Path dir) {
        Name alg = ALGORITHMS.get(cfg.algorithm().toLowerCase(java.util.Locale.ROOT));
        if (alg == null) {
            throw new IllegalArgumentException("unknown TSIG algorithm '" + cfg.algorithm() + "' (use "
                    + String.join(", ", new java.util.TreeSet<>(ALGORITHMS.keySet())) + ")");
        }
        Path file = dir.resolve(cfg.secretFile()).normalize();
        String text;
        try {
            text = Files.readString(file).trim();
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read secret file " + file + ": " + ex.getMessage());
        }
        Matcher m = BIND_SECRET.matcher(text);
        String secret = m.find() ? m.group(1) : text;
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(secret.replaceAll("\\s", ""));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("secret in " + file + " is not base64");
        }
        if (bytes.length == 0) throw new IllegalArgumentException("secret file " + file + " is empty");
        return new TSIG(alg, keyName(name), bytes);
    }

    static Name keyName(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not a valid key name");
        }
    }

    /** The key with this name (as it appears in a TSIG record), or null. */
    public TSIG get(Name name) {
        return byName.get(name);
    }

    public TSIG get(String name) {
        return name == null ? null : byName.get(keyName(name));
    }
}
