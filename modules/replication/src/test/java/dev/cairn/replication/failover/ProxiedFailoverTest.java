package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover with the clients behind Cairn's TCP proxy, as users run it: the proxy module forwards
 * 127.0.0.1:PORT to {@code mysql-primary} (balance first) and the writers know nothing but that
 * port. Real MariaDB primary + 2 replicas, semi-sync AFTER_SYNC, {@code durability: lossless};
 * each writer logs every acknowledged key and all are checked on the new primary afterwards.
 * A session held open through the proxy to the old primary must be closed by the proxy once the
 * primary is fenced: with a SIGSTOPped primary nothing else would ever close it (no FIN, no RST).
 * Each test builds its own cluster (they kill servers).
 */
class ProxiedFailoverTest {

    /** How long a read on the held session may block before the test calls it left hanging. */
    static final Duration HELD_SESSION_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void killedPrimaryUnderLoadThroughTheTcpProxyLosesNoAcknowledgedWrite() throws Exception {
        failOverThroughTheProxy(false);
    }

    @Test
    void hungPrimaryUnderLoadThroughTheTcpProxyHasItsSessionsClosedAndLosesNoAcknowledgedWrite() throws Exception {
        failOverThroughTheProxy(true);
    }

    private void failOverThroughTheProxy(boolean silent) throws Exception {
        try (FailoverFixture f = FailoverFixture.start(dir, 2, PrimaryFailoverTest.AUTO, true);
             Socket held = new Socket()) {
            FailoverFixture.Writers w = f.new Writers(3, f.proxyPort);
            w.awaitAcks(300, Duration.ofSeconds(30));
            assertThat(w.firstAck).as("writers went through the proxy to the primary").containsOnlyKeys("node1");

            // A client session through the proxy to node1, idle after the server's greeting.
            held.connect(new InetSocketAddress("127.0.0.1", f.proxyPort), 2000);
            held.setSoTimeout((int) HELD_SESSION_TIMEOUT.toMillis());
            InputStream in = held.getInputStream();
            byte[] greeting = new byte[4];
            assertThat(in.readNBytes(greeting, 0, 4)).as("node1's greeting through the proxy").isEqualTo(4);
            in.skipNBytes((greeting[0] & 0xff) | (greeting[1] & 0xff) << 8 | (greeting[2] & 0xff) << 16);

            if (silent) {
                f.db.primary().pause();
            } else {
                f.db.primary().kill();
            }
            Promotion.Result r = f.awaitPromotion(Duration.ofSeconds(40));
            assertThat(r.ok()).as(r.detail() + "\n" + String.join("\n", r.audit().stream().map(Object::toString).toList())).isTrue();
            String newPrimary = r.newPrimary();
            assertThat(newPrimary).isIn("node2", "node3");

            // The proxy closed the held session (EOF), it was not left hanging on the fenced primary.
            int next;
            try {
                next = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the session through the proxy to the fenced node1 is still open "
                        + HELD_SESSION_TIMEOUT + " after the failover", e);
            } catch (java.net.SocketException e) {
                next = -1; // reset: closed just as well
            }
            assertThat(next).as("the held session is closed").isEqualTo(-1);

            // Writes succeed through the proxy again, on the new primary.
            w.awaitAcks(300, Duration.ofSeconds(30));
            assertThat(w.firstAck).containsKey(newPrimary);
            w.stop();
            assertThat(f.host.metric("cairn_proxy_tcp_connections", "bind", "127.0.0.1:" + f.proxyPort,
                    "service", "mysql-primary")).as("connections the proxy accepted").isGreaterThan(3);

            MariaDbServer promoted = f.db.node(newPrimary);
            assertThat(w.acked).hasSizeGreaterThan(600);
            assertThat(FailoverFixture.keys(promoted)).as("acknowledged writes on the new primary").containsAll(w.acked);
            MariaDbServer other = f.db.node(newPrimary.equals("node2") ? "node3" : "node2");
            FailoverFixture.awaitCaughtUp(promoted, other, Duration.ofSeconds(20));
            assertThat(FailoverFixture.keys(other)).as("acknowledged writes on the repointed replica").containsAll(w.acked);
            System.out.printf("through the TCP proxy (%s): %s promoted, failover took %d ms; %d writes acknowledged, none missing%n",
                    silent ? "SIGSTOP" : "SIGKILL", newPrimary, r.durationMillis(), w.acked.size());
        }
    }
}
