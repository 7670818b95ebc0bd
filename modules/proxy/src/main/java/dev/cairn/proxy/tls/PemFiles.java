package dev.cairn.proxy.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM certificate chains and private keys (PKCS#8, or PKCS#1 RSA) as certbot writes them. */
final class PemFiles {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private PemFiles() {
    }

    /**
     * The CERTIFICATE blocks of a PEM file, in order. Other blocks are skipped, so one file may
     * hold the chain and the key, as HAProxy's {@code crt} files do.
     */
    static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        String text = Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
        List<X509Certificate> out = new java.util.ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        boolean pem = false;
        while (m.find()) {
            pem = true;
            if (!m.group(1).equals("CERTIFICATE")) continue;
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            out.add((X509Certificate) cf.generateCertificate(new java.io.ByteArrayInputStream(der)));
        }
        if (!pem) {
            // Not PEM: a DER certificate, or whatever the factory can read.
            try (InputStream in = Files.newInputStream(file)) {
                cf.generateCertificates(in).forEach(c -> out.add((X509Certificate) c));
            }
        }
        if (out.isEmpty()) throw new GeneralSecurityException(file + " holds no certificate");
        return out;
    }

    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String text = Files.readString(file);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(der);
                }
                case "RSA PRIVATE KEY" -> {
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(wrapPkcs1(der)));
                }
                case "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" -> throw new GeneralSecurityException(
                        file + ": " + type + " is not supported; convert it with: openssl pkcs8 -topk8 -nocrypt -in "
                                + file.getFileName() + " -out key.pem");
                default -> {
                    // e.g. EC PARAMETERS before the key: skip
                }
            }
        }
        throw new GeneralSecurityException(file + " holds no PEM private key");
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException("unsupported private key algorithm");
    }

    /** PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo with the rsaEncryption OID. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        byte[] algId = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] version = {0x02, 0x01, 0x00};
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algId);
        body.writeBytes(tlv(0x04, pkcs1));
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    static Certificate[] array(List<X509Certificate> chain) {
        return chain.toArray(new Certificate[0]);
    }
}
