package dev.cairn.cluster;

import static dev.cairn.cluster.Holds.holdsFor;
import static dev.cairn.core.testing.TestHost.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.cluster.advert.Advert;
import dev.cairn.cluster.advert.AdvertCodec;
import dev.cairn.cluster.advert.VipState;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Forged, tampered, replayed, wrong-key and stale-epoch adverts are ignored and counted. */
class AdvertSecurityTest {

    static final Duration LONG = Duration.ofSeconds(20);
    static final String VIP = LoopbackCluster.VIP;

    @TempDir
    java.nio.file.Path dir;
    LoopbackCluster c;

    @AfterEach
    void tearDown() {
        if (c != null) c.close();
    }

    @Test
    void badAdvertsAreIgnoredAndCounted() throws Exception {
        // n3 is played by this test: it sends crafted adverts from 127.0.0.3.
        c = new LoopbackCluster(dir, LoopbackCluster.config(3, "advert_interval: 1s\n"));
        c.startAll("n1", "n2");
        await(LONG, "n1 MASTER with n2's ack", () -> c.masters().equals(List.of("n1")));
        InetSocketAddress n1 = new InetSocketAddress("127.0.0.1", c.port);
        AdvertCodec right = new AdvertCodec(List.of(LoopbackCluster.SECRET.getBytes(StandardCharsets.UTF_8)));
        AdvertCodec wrong = new AdvertCodec(List.of("another-secret-0123456789".getBytes(StandardCharsets.UTF_8)));
        long seq = System.currentTimeMillis() * 1000;
        // A takeover attempt: top priority, a far newer epoch, claims MASTER.
        Advert takeover = new Advert("test", "n3", "x", seq, 200, false, Map.of(),
                List.of(new Advert.VipView(VIP, VipState.MASTER, 254, 1_000_000, "n3")));
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.3", 0))) {
            send(s, wrong.encode(takeover), n1);                    // wrong key
            byte[] tampered = right.encode(takeover);
            tampered[12] ^= 0x01;                                   // forged: one bit flipped after signing
            send(s, tampered, n1);
            await(LONG, "2 bad_hmac", () -> c.metric("n1", "cairn_cluster_adverts", "result", "bad_hmac") == 2);

            Advert stale = new Advert("test", "n3", "x", seq + 1, 100, false, Map.of(),
                    List.of(new Advert.VipView(VIP, VipState.MASTER, 254, 0, "n3")));
            byte[] staleBytes = right.encode(stale);
            send(s, staleBytes, n1);                                // valid, but epoch 0 < 1
            await(LONG, "stale_epoch counted", () -> c.metric("n1", "cairn_cluster_adverts", "result", "stale_epoch") == 1);
            send(s, staleBytes, n1);                                // the same packet again
            await(LONG, "replay counted", () -> c.metric("n1", "cairn_cluster_adverts", "result", "replay") == 1);

            Advert older = new Advert("test", "n3", "x", seq - 5, 100, false, Map.of(),
                    List.of(new Advert.VipView(VIP, VipState.BACKUP, 1, 1, "n1")));
            send(s, right.encode(older), n1);                       // an old sequence number
            await(LONG, "2 replays", () -> c.metric("n1", "cairn_cluster_adverts", "result", "replay") == 2);

            send(s, new byte[] {1, 2, 3}, n1);
            await(LONG, "malformed counted", () -> c.metric("n1", "cairn_cluster_adverts", "result", "malformed") == 1);
            Advert stranger = new Advert("test", "n9", "x", seq, 100, false, Map.of(), List.of());
            send(s, right.encode(stranger), n1);
            await(LONG, "unknown peer counted", () -> c.metric("n1", "cairn_cluster_adverts", "result", "unknown_peer") == 1);
        }
        holdsFor(Duration.ofMillis(300), "n1 stays master at epoch 1 after the forged adverts",
                () -> c.masters().equals(List.of("n1")) && Long.valueOf(1).equals(c.vip("n1").get("epoch")));
        assertThat(c.vip("n2").get("master")).isEqualTo("n1");
        assertThat(c.metric("n1", "cairn_vip_transitions", "vip", VIP, "state", "BACKUP")).isEqualTo(1);
    }

    @Test
    void secretRotationByReloadKeepsTheClusterTogether() throws Exception {
        // 1 s adverts: this test asserts no transition at all, which a CPU stall of a second on a
        // busy shared machine would break at a few hundred ms (a real lease loss).
        c = new LoopbackCluster(dir, LoopbackCluster.config(3, "advert_interval: 1s\n"));
        c.startAll("n1", "n2", "n3");
        await(LONG, "n1 MASTER", () -> c.masters().equals(List.of("n1")));
        String next = "rotated-secret-abcdefghijklmnop";
        // Step 1 on every node: add the new secret as a second line, reload.
        for (String n : List.of("n1", "n2", "n3")) {
            java.nio.file.Files.writeString(dir.resolve(n).resolve("secret"), LoopbackCluster.SECRET + "\n" + next + "\n");
            assertThat(c.reload(n, c.yaml().replace("admin:\n  listen: 127.0.0.1:0\n", "") + "# step 1\n").ok()).isTrue();
        }
        // Step 2 on every node: the new secret first (it signs), old one still accepted.
        for (String n : List.of("n1", "n2", "n3")) {
            java.nio.file.Files.writeString(dir.resolve(n).resolve("secret"), next + "\n" + LoopbackCluster.SECRET + "\n");
            assertThat(c.reload(n, c.yaml().replace("admin:\n  listen: 127.0.0.1:0\n", "") + "# step 2\n").ok()).isTrue();
        }
        // Step 3: drop the old secret.
        for (String n : List.of("n1", "n2", "n3")) {
            java.nio.file.Files.writeString(dir.resolve(n).resolve("secret"), next + "\n");
            assertThat(c.reload(n, c.yaml().replace("admin:\n  listen: 127.0.0.1:0\n", "") + "# step 3\n").ok()).isTrue();
        }
        double before = c.metric("n2", "cairn_cluster_adverts", "result", "ok");
        await(LONG, "adverts keep arriving", () -> c.metric("n2", "cairn_cluster_adverts", "result", "ok") > before + 4);
        assertThat(c.metric("n2", "cairn_cluster_adverts", "result", "bad_hmac")).isZero();
        assertThat(c.masters()).containsExactly("n1");
        assertThat(c.metric("n1", "cairn_vip_transitions", "vip", VIP, "state", "MASTER")).isEqualTo(1);
    }

    private static void send(DatagramSocket s, byte[] b, InetSocketAddress to) throws java.io.IOException {
        s.send(new DatagramPacket(b, b.length, to));
    }
}
