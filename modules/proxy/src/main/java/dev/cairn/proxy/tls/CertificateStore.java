package dev.cairn.proxy.tls;

import dev.cairn.proxy.ProxyErrors;
import dev.cairn.proxy.config.CertificateConfig;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates of one HTTPS listener, chosen per handshake by SNI, and reloaded from disk
 * when their files change (certbot renewals). The SSLContext built once over this key manager
 * never changes: a reload swaps the certificate set, so new handshakes get the new certificate
 * and established connections are untouched. Thread-safe: handshakes read one immutable set.
 */
public final class CertificateStore extends X509ExtendedKeyManager {

    private static final Logger log = LoggerFactory.getLogger(CertificateStore.class);

    /** One loaded certificate: key, chain, the names it serves, and its files' fingerprint. */
    record Entry(String alias, PrivateKey key, X509Certificate[] chain, List<String> names, String keyType) {
    }

    private record Loaded(List<Entry> entries, String fingerprint) {
    }

    private volatile List<CertificateConfig> configs;
    private final Path baseDir;
    private volatile Loaded current;
    private volatile Loaded previous; // handshakes in progress during a swap may still ask for it
    private int generation;

    public CertificateStore(List<CertificateConfig> configs, Path baseDir) throws IOException, GeneralSecurityException {
        this.configs = configs;
        this.baseDir = baseDir;
        this.current = load(configs);
    }

    /** Loads and checks certificates without installing them: what validate and reload use first. */
    public static void check(List<CertificateConfig> configs, Path baseDir) throws IOException, GeneralSecurityException {
        new CertificateStore(configs, baseDir);
    }

    /** Installs a new certificate list (config reload); throws and keeps the old one on error. */
    public synchronized void replace(List<CertificateConfig> newConfigs) throws IOException, GeneralSecurityException {
        Loaded l = load(newConfigs);
        configs = newConfigs;
        install(l);
    }

    /** Reloads when any file changed since the last load; errors keep the old certificates. */
    public synchronized void reloadIfChanged() {
        try {
            if (fingerprint(configs).equals(current.fingerprint)) return;
            Loaded l = load(configs);
            install(l);
            log.info("reloaded TLS certificates: {}", names());
        } catch (IOException | GeneralSecurityException e) {
            log.atError().addKeyValue("error_id", ProxyErrors.CERTIFICATE_RELOAD_FAILED.id())
                    .log("TLS certificate files changed but cannot be loaded, keeping the old ones: {}", e.getMessage());
        }
    }

    private void install(Loaded l) {
        previous = current;
        current = l;
    }

    /** Each loaded certificate's first name (its alias when it has none) and notAfter in epoch seconds. */
    public java.util.Map<String, Long> expiries() {
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (Entry e : current.entries) {
            String name = e.names.isEmpty() ? e.alias : e.names.get(0);
            out.putIfAbsent(name, e.chain[0].getNotAfter().getTime() / 1000);
        }
        return out;
    }

    public List<String> names() {
        return current.entries.stream().flatMap(e -> e.names.stream()).toList();
    }

    /** An SSLContext that asks this store for the certificate on every handshake. */
    public SSLContext sslContext() throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {this}, null, new SecureRandom());
        return ctx;
    }

    private Loaded load(List<CertificateConfig> list) throws IOException, GeneralSecurityException {
        String fp = fingerprint(list);
        int gen;
        synchronized (this) {
            gen = ++generation;
        }
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (CertificateConfig c : list) {
            String alias = "g" + gen + "-" + i++;
            PrivateKey key;
            X509Certificate[] chain;
            if (c.pkcs12() != null) {
                Path p = baseDir.resolve(c.pkcs12());
                char[] pw = c.passwordFile() == null ? new char[0]
                        : Files.readString(baseDir.resolve(c.passwordFile()), StandardCharsets.UTF_8).strip().toCharArray();
                KeyStore ks = KeyStore.getInstance("PKCS12");
                try (var in = Files.newInputStream(p)) {
                    ks.load(in, pw);
                }
                String keyAlias = null;
                for (Enumeration<String> e = ks.aliases(); e.hasMoreElements(); ) {
                    String a = e.nextElement();
                    if (ks.isKeyEntry(a)) {
                        keyAlias = a;
                        break;
                    }
                }
                if (keyAlias == null) throw new GeneralSecurityException(p + " holds no private key");
                key = (PrivateKey) ks.getKey(keyAlias, pw);
                chain = Arrays.stream(ks.getCertificateChain(keyAlias)).map(x -> (X509Certificate) x)
                        .toArray(X509Certificate[]::new);
            } else {
                chain = PemFiles.certificates(baseDir.resolve(c.cert())).toArray(new X509Certificate[0]);
                key = PemFiles.privateKey(baseDir.resolve(c.key()));
            }
            if (!chain[0].getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
                throw new GeneralSecurityException("certificate " + subject(chain[0]) + " and its key do not match ("
                        + chain[0].getPublicKey().getAlgorithm() + " vs " + key.getAlgorithm() + ")");
            }
            out.add(new Entry(alias, key, chain, names(chain[0]), key.getAlgorithm()));
        }
        return new Loaded(List.copyOf(out), fp);
    }

    private String fingerprint(List<CertificateConfig> list) {
        StringBuilder b = new StringBuilder();
        for (CertificateConfig c : list) {
            for (Path p : new Path[] {c.cert(), c.key(), c.pkcs12(), c.passwordFile()}) {
                if (p == null) continue;
                try {
                    BasicFileAttributes a = Files.readAttributes(baseDir.resolve(p), BasicFileAttributes.class);
                    b.append(p).append('@').append(a.lastModifiedTime().toMillis()).append('/').append(a.size()).append(';');
                } catch (IOException e) {
                    b.append(p).append("@missing;");
                }
            }
        }
        return b.toString();
    }

    private static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private static List<String> names(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) out.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // fall back to the CN
        }
        if (out.isEmpty()) {
            try {
                for (Rdn rdn : new LdapName(subject(c)).getRdns()) {
                    if (rdn.getType().equalsIgnoreCase("CN")) out.add(rdn.getValue().toString().toLowerCase(Locale.ROOT));
                }
            } catch (javax.naming.InvalidNameException e) {
                // no usable name: still the default certificate if first
            }
        }
        return out;
    }

    static boolean nameMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(host);
    }

    private Entry entry(String alias) {
        for (Loaded l : new Loaded[] {current, previous}) {
            if (l == null) continue;
            for (Entry e : l.entries) if (e.alias.equals(alias)) return e;
        }
        return null;
    }

    private String choose(String keyType, SSLSession session) {
        String sni = null;
        if (session instanceof ExtendedSSLSession ext) {
            for (SNIServerName n : ext.getRequestedServerNames()) {
                if (n instanceof SNIHostName h) sni = h.getAsciiName().toLowerCase(Locale.ROOT);
            }
        }
        List<Entry> entries = current.entries;
        Entry fallback = null;
        for (Entry e : entries) {
            if (!keyTypeMatches(keyType, e.keyType)) continue;
            if (fallback == null) fallback = e;
            if (sni != null) {
                for (String n : e.names) if (nameMatches(n, sni)) return e.alias;
            }
        }
        // No name matched: the first certificate (of a usable key type) is the default, as in nginx.
        return fallback == null ? null : fallback.alias;
    }

    private static boolean keyTypeMatches(String wanted, String have) {
        if (wanted == null) return true;
        String w = wanted.toUpperCase(Locale.ROOT);
        if (w.startsWith("EC")) return have.equals("EC");
        if (w.startsWith("RSASSA-PSS")) return have.equals("RSASSA-PSS") || have.equals("RSA");
        return w.startsWith(have.toUpperCase(Locale.ROOT));
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return choose(keyType, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        SSLSession s = socket instanceof javax.net.ssl.SSLSocket ssl ? ssl.getHandshakeSession() : null;
        return choose(keyType, s);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Entry e = entry(alias);
        return e == null ? null : e.chain.clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Entry e = entry(alias);
        return e == null ? null : e.key;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return current.entries.stream().filter(e -> keyTypeMatches(keyType, e.keyType)).map(Entry::alias)
                .toArray(String[]::new);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return null;
    }
}
