package dev.cairn.cluster;

import static dev.cairn.core.testing.TestHost.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.spi.catalog.Health;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tracked catalog health moves the VIP; the script driver and notify hooks run with CAIRN_* variables. */
class TrackAndHooksTest {

    static final Duration LONG = Duration.ofSeconds(15);
    static final String VIP = LoopbackCluster.VIP;

    @TempDir
    Path dir;
    LoopbackCluster c;
    final Map<String, ServerSocket> backends = new HashMap<>();

    @AfterEach
    void tearDown() throws Exception {
        if (c != null) c.close();
        for (ServerSocket s : backends.values()) s.close();
    }

    private ServerSocket listen(int port) throws Exception {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try {
                    s.accept().close();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return s;
    }

    @Test
    void unhealthyTrackedServiceMovesTheVipAndRecoveryWaitsForRise() throws Exception {
        String more = """
                advert_interval: 200ms
                track:
                  - {service: web, rise: 5, fall: 2}
                """;
        String yaml = LoopbackCluster.config(3, more) + """
                services:
                  web:
                    endpoints: [127.0.0.1:@WEBPORT@]
                    check: {type: tcp, interval: 100ms, timeout: 100ms, rise: 1, fall: 1}
                """;
        c = new LoopbackCluster(dir, yaml);
        for (String n : List.of("n1", "n2", "n3")) {
            int port = dev.cairn.core.testing.TestHost.freePort();
            backends.put(n, listen(port));
            c.nodeVars.put(n, Map.of("@WEBPORT@", Integer.toString(port)));
        }
        c.startAll("n1", "n2", "n3");
        await(LONG, "n1 MASTER", () -> c.masters().equals(List.of("n1")));
        int n1Port = backends.get("n1").getLocalPort();
        backends.remove("n1").close();
        await(LONG, "n1 FAULT", () -> c.state("n1").equals("FAULT"));
        await(LONG, "n2 MASTER", () -> c.masters().equals(List.of("n2")));
        backends.put("n1", listen(n1Port));
        await(LONG, "n1's catalog sees web up", () -> c.host("n1").catalog().service("web").orElseThrow()
                .endpoints().get(0).health() == Health.UP);
        long up = System.nanoTime();
        await(LONG, "n1 leaves FAULT", () -> !c.state("n1").equals("FAULT"));
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - up);
        // rise 5 at one sample per 100 ms interval: at least 4 more samples after the first healthy one.
        assertThat(waitedMs).isGreaterThanOrEqualTo(300);
        await(LONG, "n1 MASTER again (preempt)", () -> c.masters().equals(List.of("n1")));
    }

    @Test
    void scriptDriverAndNotifyHooksSeeTheTransition() throws Exception {
        Path log = dir.resolve("hooks.log");
        String more = """
                advert_interval: 200ms
                notify_hooks:
                  - 'echo "notify $CAIRN_NODE $CAIRN_VIP $CAIRN_PREVIOUS_STATE->$CAIRN_STATE epoch=$CAIRN_EPOCH" >> %s'
                """.formatted(log);
        String yaml = LoopbackCluster.config(2, more).replace("driver: {type: none}",
                "driver: {type: script, on_master: 'echo \"up $CAIRN_NODE $CAIRN_VIP_IP/$CAIRN_VIP_PREFIX dev $CAIRN_VIP_DEV\" >> "
                        + log + "', on_backup: 'echo \"down $CAIRN_NODE $CAIRN_VIP_IP\" >> " + log + "'}");
        c = new LoopbackCluster(dir, yaml);
        c.startAll("n1", "n2");
        await(LONG, "n1 MASTER", () -> c.masters().equals(List.of("n1")));
        await(LONG, "hooks ran", () -> read(log).contains("up n1 10.99.9.100/24 dev lo")
                && read(log).contains("notify n1 10.99.9.100/24 CLAIMING->MASTER epoch=1"));
        c.stop("n1");
        await(LONG, "n2 took over through its script", () -> read(log).contains("down n1 10.99.9.100")
                && read(log).contains("up n2 10.99.9.100/24 dev lo") && read(log).contains("notify n2 10.99.9.100/24 CLAIMING->MASTER"));
        List<String> lines = Files.readAllLines(log);
        assertThat(lines.indexOf("down n1 10.99.9.100")).as("n1 released before n2 took it").isLessThan(
                lines.indexOf("up n2 10.99.9.100/24 dev lo"));
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
