package dev.cairn.cluster.advert;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The wire format of adverts: a small binary body followed by its HMAC-SHA256 under the cluster
 * secret. The first key signs; any of the keys verifies (so a secret can be rotated with no
 * outage). Thread-safe: each call creates its own {@link Mac}.
 */
public final class AdvertCodec {

    static final int MAGIC = 0x4341524e; // "CARN"
    static final byte VERSION = 1;
    static final int MAC_LENGTH = 32;
    /** Bounds that keep a forged packet from making us allocate much. */
    static final int MAX_ITEMS = 256;
    public static final int MAX_PACKET = 8192;

    private final List<byte[]> keys;

    /** @param keys the accepted secrets, the first one signs; at least one */
    public AdvertCodec(List<byte[]> keys) {
        if (keys.isEmpty()) throw new IllegalArgumentException("no cluster secret");
        this.keys = keys.stream().map(byte[]::clone).toList();
    }

    /** Why a packet was rejected, as counted in cairn_cluster_adverts_total{result}. */
    public static final class RejectedException extends Exception {
        private final String result;

        RejectedException(String result, String message) {
            super(message);
            this.result = result;
        }

        public String result() {
            return result;
        }
    }

    public byte[] encode(Advert a) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeUTF(a.cluster());
            out.writeUTF(a.node());
            out.writeUTF(a.configHash() == null ? "" : a.configHash());
            out.writeLong(a.seq());
            out.writeInt(a.intervalMillis());
            out.writeBoolean(a.shutdown());
            out.writeShort(a.acks().size());
            for (Map.Entry<String, Long> e : a.acks().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeShort(a.vips().size());
            for (Advert.VipView v : a.vips()) {
                out.writeUTF(v.vip());
                out.writeByte(v.state().ordinal());
                out.writeShort(v.priority());
                out.writeLong(v.epoch());
                out.writeUTF(v.leader() == null ? "" : v.leader());
            }
            out.flush();
            byte[] body = bytes.toByteArray();
            byte[] mac = mac(keys.get(0), body, body.length);
            byte[] packet = Arrays.copyOf(body, body.length + MAC_LENGTH);
            System.arraycopy(mac, 0, packet, body.length, MAC_LENGTH);
            return packet;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Verifies the HMAC first (with every accepted key), then parses; throws with the metric's result label. */
    public Advert decode(byte[] packet, int length) throws RejectedException {
        if (length < 5 + MAC_LENGTH || length > MAX_PACKET) {
            throw new RejectedException("malformed", "packet of " + length + " bytes");
        }
        int bodyLength = length - MAC_LENGTH;
        byte[] got = Arrays.copyOfRange(packet, bodyLength, length);
        boolean ok = false;
        for (byte[] key : keys) {
            ok |= MessageDigest.isEqual(mac(key, packet, bodyLength), got);
        }
        if (!ok) {
            throw new RejectedException("bad_hmac", "HMAC does not match any cluster secret");
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(packet, 0, bodyLength));
            if (in.readInt() != MAGIC || in.readByte() != VERSION) {
                throw new RejectedException("malformed", "not a Cairn v1 advert");
            }
            String cluster = in.readUTF();
            String node = in.readUTF();
            String hash = in.readUTF();
            long seq = in.readLong();
            int interval = in.readInt();
            boolean shutdown = in.readBoolean();
            int nAcks = in.readUnsignedShort();
            if (nAcks > MAX_ITEMS) throw new RejectedException("malformed", "too many acks");
            Map<String, Long> acks = new LinkedHashMap<>();
            for (int i = 0; i < nAcks; i++) {
                acks.put(in.readUTF(), in.readLong());
            }
            int nVips = in.readUnsignedShort();
            if (nVips > MAX_ITEMS) throw new RejectedException("malformed", "too many VIPs");
            List<Advert.VipView> vips = new ArrayList<>();
            VipState[] states = VipState.values();
            for (int i = 0; i < nVips; i++) {
                String vip = in.readUTF();
                int st = in.readUnsignedByte();
                if (st >= states.length) throw new RejectedException("malformed", "unknown state " + st);
                int prio = in.readUnsignedShort();
                long epoch = in.readLong();
                String leader = in.readUTF();
                vips.add(new Advert.VipView(vip, states[st], prio, epoch, leader.isEmpty() ? null : leader));
            }
            if (in.available() != 0) throw new RejectedException("malformed", "trailing bytes");
            return new Advert(cluster, node, hash, seq, interval, shutdown, acks, vips);
        } catch (IOException e) {
            throw new RejectedException("malformed", "truncated advert");
        }
    }

    private static byte[] mac(byte[] key, byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(data, 0, length);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /**
     * Reads the secret file: one secret per non-empty line, the first signs. Lines shorter than
     * 16 bytes are refused: a guessable secret makes the HMAC worthless.
     */
    public static List<byte[]> readSecrets(java.nio.file.Path file) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) continue;
            if (s.length() < 16) {
                throw new IOException("a secret in " + file + " is shorter than 16 characters");
            }
            out.add(s.getBytes(StandardCharsets.UTF_8));
        }
        if (out.isEmpty()) throw new IOException(file + " holds no secret");
        return out;
    }
}
