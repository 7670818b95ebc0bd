package dev.cairn.replication.failover;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.core.testing.TestHost;
import dev.cairn.core.testing.mariadb.MariaDbCluster;
import dev.cairn.core.testing.mariadb.MariaDbServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real Cairn processes, each in its own network namespace ({@link NetnsLab}), watch one real
 * MariaDB cluster (a primary and three replicas, semi-sync AFTER_SYNC) with automatic failover on.
 * A partition made with nftables in the namespaces cuts the Cairn nodes from each other and splits
 * the servers: Cairn {@code a} reaches node2 and node3, Cairn {@code b} reaches node4 only (both
 * reach the primary, node1). Then the primary is killed. Both see it dead; the decision lease
 * ({@code GET_LOCK} on a strict majority of the surviving servers) lets only {@code a} promote:
 * {@code b} tries, is refused (1 of 3 servers), and never publishes another primary. After the
 * partition heals both publish the same primary under the same epoch; the old primary restarted
 * writable stays fenced everywhere, and {@code b} restarted with no memory (a stale node) takes the
 * primary and epoch from the servers instead of flipping it back. Needs root (CI has it).
 *
 * <p>{@code durability: available}, and no writes run at the kill (heartbeat off): with semi-sync
 * one replica's ack commits a write, and a replica the promoting node cannot reach (node4 here) may
 * be the only one that has it, so {@code lossless} refuses while node4 is away from {@code a}
 * ({@link AwayReplicaFailoverTest}). This test checks the lease, the decision and its publication;
 * a's plan records node4 as the possible loss.
 */
class PartitionedCairnNodesTest {

    static final Duration LONG = Duration.ofSeconds(60);
    static final String SUCCESS = "cairn_replication_failovers_total{cluster=\"main\",result=\"success\"}";
    static final String FAILED = "cairn_replication_failovers_total{cluster=\"main\",result=\"failed\"}";
    static final String REFUSED = "cairn_replication_failovers_total{cluster=\"main\",result=\"refused\"}";
    static final String WRITABLE = "cairn_replication_writable_primaries{cluster=\"main\"}";

    @TempDir
    Path dir;

    @Test
    void onlyTheCairnNodeReachingAMajorityOfTheServersPromotesAndEveryNodeAgreesAfterTheHeal() throws Exception {
        try (NetnsLab lab = NetnsLab.create(List.of("a", "b"), 4);
             MariaDbCluster db = startDatabases(lab, dir.resolve("db"))) {
            for (String n : lab.nodes) {
                Path cfg = writeConfig(lab, db, n);
                lab.startCairn(n, cfg);
            }
            for (String n : lab.nodes) {
                await(lab, "Cairn " + n + " publishes node1", () -> "node1".equals(publishedPrimary(lab, n)));
            }
            // The partition: a and b cannot reach each other; a loses node4, b loses node2 and node3.
            lab.drop("a", List.of(lab.cairnAddress("b"), lab.dbAddress(3)));
            lab.drop("b", List.of(lab.cairnAddress("a"), lab.dbAddress(1), lab.dbAddress(2)));
            await(lab, "a sees node4 down, b sees node2 and node3 down", () ->
                    reach(lab, "a", "node4").equals("down") && reach(lab, "b", "node2").equals("down")
                            && reach(lab, "b", "node3").equals("down") && reach(lab, "b", "node4").equals("up"));

            try (CatalogWatch watchB = new CatalogWatch(lab, "b")) {
                db.primary().kill();
                await(lab, "a promoted a replica", () -> lastFailover(lab, "a").path("ok").asBoolean(false));
                JsonNode promoted = lastFailover(lab, "a");
                String winner = promoted.path("new_primary").asText();
                assertThat(winner).isIn("node2", "node3");
                assertThat(promoted.path("epoch").asLong()).isEqualTo(1);
                assertThat(promoted.path("audit").toString()).as("a's plan names the replica it could not see")
                        .contains("possible loss: replica(s) [node4] not reachable");
                assertThat(events(lab, "a")).noneMatch(e -> e.contains("REFUSED"));
                // b sees the same dead primary and tries, but only 1 of the 3 surviving servers grants it the lease.
                await(lab, "b refused twice for want of the lease", () -> lab.metric("b", REFUSED) >= 2);
                assertThat(events(lab, "b")).anyMatch(e -> e.contains("decision lease") && e.contains("1 of 3 servers granted it"));
                assertThat(lab.metric("b", SUCCESS)).isZero();
                assertThat(lab.metric("b", FAILED)).isZero();
                assertThat(failover(lab, "b").path("last_failover").isMissingNode()).as("b has no failover of its own").isTrue();
                assertThat(lab.metric("a", SUCCESS)).isEqualTo(1);
                // b's view while partitioned: no primary published, epoch still 0.
                assertThat(failover(lab, "b").path("epoch").asLong()).isZero();
                assertThat(watchB.upSince()).as("mysql-primary endpoints UP on b while partitioned").isSubsetOf(Set.of("node1"));
                // On the servers: exactly one writable node, the winner.
                assertThat(writable(db)).containsExactly(winner);

                lab.heal("a");
                lab.heal("b");
                for (String n : lab.nodes) {
                    await(lab, n + " publishes " + winner + " under epoch 1", () -> winner.equals(publishedPrimary(lab, n))
                            && failover(lab, n).path("epoch").asLong() == 1 && winner.equals(failover(lab, n).path("primary").asText()));
                }
                assertThat(watchB.upSince()).as("b never published another primary").isSubsetOf(Set.of("node1", winner));
            }
            assertThat(lab.metric("a", SUCCESS) + lab.metric("b", SUCCESS)).as("promotions by all nodes").isEqualTo(1);
            String winner = lastFailover(lab, "a").path("new_primary").asText();

            // node4 was cut from a, so it still follows the dead node1: an operator rejoins it through b.
            JsonNode rejoined = lab.post("b", "/api/modules/replication/rejoin?cluster=main&node=node4");
            assertThat(rejoined.path("ok").asBoolean()).as(rejoined.toString()).isTrue();
            await(lab, "node4 follows " + winner, () -> Integer.toString(db.node(winner).port())
                    .equals(db.node("node4").slaveStatus().get("Master_Port")));

            // The old primary comes back writable: fenced on every node, nothing flips back.
            db.primary().startAgain();
            db.primary().exec("SET GLOBAL read_only = 0");
            for (String n : lab.nodes) {
                await(lab, n + " sees two writable nodes and fences node1", () -> lab.metric(n, WRITABLE) == 2
                        && failover(lab, n).path("fenced").toString().contains("node1"));
                assertThat(publishedPrimary(lab, n)).isEqualTo(winner);
            }
            // A stale node: b restarted with no memory at all learns primary and epoch from the servers.
            lab.killCairn("b");
            try (CatalogWatch watchB = new CatalogWatch(lab, "b")) {
                lab.startCairn("b", dir.resolve("b/cairn.yml"));
                await(lab, "restarted b publishes " + winner + " under epoch 1", () -> winner.equals(publishedPrimary(lab, "b"))
                        && failover(lab, "b").path("epoch").asLong() == 1);
                await(lab, "the sampler saw it too", () -> watchB.upSince().contains(winner));
                assertThat(watchB.upSince()).as("what the restarted b published").containsExactly(winner);
            }
            assertThat(publishedPrimary(lab, "a")).isEqualTo(winner);
            assertThat(lab.metric("a", SUCCESS) + lab.metric("b", SUCCESS)).isEqualTo(1);
            System.out.printf("partition: %s promoted %s under epoch 1; b refused for want of the lease%n", "a", winner);
        }
    }

    /** Primary node1 and replicas node2..node4 on the lab's addresses, semi-sync on, an account for Cairn. */
    static MariaDbCluster startDatabases(NetnsLab lab, Path base) throws Exception {
        String[] args = Stream.concat(Stream.of(FailoverFixture.SEMI_SYNC), Stream.of("--bind-address=" + lab.bindAddresses()))
                .toArray(String[]::new);
        MariaDbCluster db = MariaDbCluster.start(base, 3, args);
        try {
            db.primary().exec("SET GLOBAL rpl_semi_sync_master_enabled = ON");
            // Replicas follow node1 at the address Cairn knows it by.
            for (MariaDbServer r : db.replicas()) db.replicateFrom(r, lab.dbAddress(0), db.primary().port());
            db.awaitReplicating(Duration.ofSeconds(30));
            TestHost.await(Duration.ofSeconds(30), "every replica a semi-sync client", () -> "3"
                    .equals(db.primary().query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'").get(0).get("Value")));
            db.primary().exec("CREATE USER 'cairn'@'" + lab.subnet + ".%' IDENTIFIED BY 'cairn-secret';"
                    + " GRANT ALL PRIVILEGES ON *.* TO 'cairn'@'" + lab.subnet + ".%';"
                    + " CREATE DATABASE app; CREATE TABLE app.t (k VARCHAR(64) PRIMARY KEY) ENGINE=InnoDB");
            db.awaitCaughtUp(Duration.ofSeconds(30));
            return db;
        } catch (Exception | Error e) {
            db.close();
            throw e;
        }
    }

    Path writeConfig(NetnsLab lab, MariaDbCluster db, String node) throws Exception {
        Path d = Files.createDirectories(dir.resolve(node));
        Files.writeString(d.resolve("cairn.pw"), "cairn-secret\n");
        Files.writeString(d.resolve("repl.pw"), MariaDbServer.REPL_PASSWORD + "\n");
        StringBuilder y = new StringBuilder("""
                services: {}
                admin:
                  listen: 127.0.0.1:9000
                metrics:
                  listen: 127.0.0.1:9100
                  host_metrics: false
                  jvm_metrics: false
                replication:
                  clusters:
                    main:
                      user: cairn
                      password_file: cairn.pw
                      interval: 500ms
                      connect_timeout: 500ms
                      read_timeout: 1s
                      publish: { primary: mysql-primary, replicas: mysql-replicas }
                      # No writes at the kill: every replica has received the same (see the class comment).
                      heartbeat: { enabled: false }
                      nodes:
                """);
        List<MariaDbServer> servers = db.nodes();
        for (int i = 0; i < servers.size(); i++) {
            y.append("        - { address: ").append(lab.dbAddress(i)).append(':').append(servers.get(i).port())
                    .append(", name: ").append(servers.get(i).name()).append(" }\n");
        }
        y.append("""
                      failover:
                        mode: auto
                        durability: available
                        confirm: 2
                        drain_stall: 5s
                        replication_password_file: repl.pw
                """);
        Path cfg = d.resolve("cairn.yml");
        Files.writeString(cfg, y.toString());
        return cfg;
    }

    /** The UP endpoint of mysql-primary in a node's catalog, or null. */
    static String publishedPrimary(NetnsLab lab, String node) {
        List<String> up = upPrimaries(lab, node);
        return up.size() == 1 ? up.get(0) : null;
    }

    static List<String> upPrimaries(NetnsLab lab, String node) {
        JsonNode c = lab.get(node, "/api/catalog");
        List<String> out = new ArrayList<>();
        if (c == null) return out;
        for (JsonNode s : c.path("services")) {
            if (!s.path("name").asText().equals("mysql-primary")) continue;
            for (JsonNode e : s.path("endpoints")) {
                if (e.path("health").asText().equals("up")) out.add(e.path("name").asText());
            }
        }
        return out;
    }

    static JsonNode failover(NetnsLab lab, String node) {
        JsonNode f = lab.get(node, "/api/modules/replication/failover?cluster=main");
        return f == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : f.path("main");
    }

    static JsonNode lastFailover(NetnsLab lab, String node) {
        return failover(lab, node).path("last_failover");
    }

    static List<String> events(NetnsLab lab, String node) {
        List<String> out = new ArrayList<>();
        failover(lab, node).path("events").forEach(e -> out.add(e.asText()));
        return out;
    }

    /** How a node's monitor reaches a database server: up, refusing, down; "" while unknown. */
    static String reach(NetnsLab lab, String node, String server) {
        JsonNode s = lab.get(node, "/api/modules/replication/status?cluster=main");
        if (s == null) return "";
        for (JsonNode n : s.path("main").path("nodes")) {
            if (n.path("name").asText().equals(server)) return n.path("reach").asText();
        }
        return "";
    }

    /** Servers answering with read_only off, as the test sees them (root, on their sockets). */
    static List<String> writable(MariaDbCluster db) {
        List<String> out = new ArrayList<>();
        for (MariaDbServer s : db.nodes()) {
            if (s.running() && "0".equals(s.value("SELECT @@read_only"))) out.add(s.name());
        }
        return out;
    }

    static void await(NetnsLab lab, String what, BooleanSupplier cond) throws InterruptedException {
        try {
            TestHost.await(LONG, what, cond);
        } catch (AssertionError e) {
            StringBuilder b = new StringBuilder(e.getMessage());
            for (String n : lab.nodes) {
                b.append("\n--- Cairn ").append(n).append(" ---\nfailover: ").append(failover(lab, n))
                        .append("\nlog:\n").append(lab.logTail(n, 40));
            }
            throw new AssertionError(b.toString(), e);
        }
    }

    /** Samples a node's catalog in the background: every endpoint it published UP for mysql-primary. */
    static final class CatalogWatch implements AutoCloseable {
        private final ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
        private final Thread t;
        private volatile boolean on = true;

        CatalogWatch(NetnsLab lab, String node) {
            t = new Thread(() -> {
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                while (on && System.nanoTime() < deadline) {
                    seen.addAll(upPrimaries(lab, node));
                    try {
                        Thread.sleep(100); // sampling pace, not a wait for a condition
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "catalog-watch-" + node);
            t.setDaemon(true);
            t.start();
        }

        Set<String> upSince() {
            return new TreeSet<>(seen);
        }

        @Override
        public void close() throws InterruptedException {
            on = false; // the sampler ends after its current look (a curl of at most 3 s)
            t.join(10_000);
        }
    }
}
