package dev.cairn.dist;

import dev.cairn.core.testing.TestHost;
import java.nio.file.Files;
import java.nio.file.Path;

/** The distribution's demo config/cairn.yml (what scripts/run starts), moved to free ports in a test directory. */
record DemoConfig(Path config, int admin, int metrics, int backend1, int backend2, int proxy, int dns) {

    static DemoConfig onFreePorts(Path dir) throws Exception {
        int admin = TestHost.freePort();
        int metrics = TestHost.freePort();
        int backend1 = TestHost.freePort();
        int backend2 = TestHost.freePort();
        int proxy = TestHost.freePort();
        int dns = TestHost.freePort();
        String yaml = Files.readString(CairnProcess.DIST.resolve("config/cairn.yml"))
                .replace("127.0.0.1:9000", "127.0.0.1:" + admin)
                .replace("\":9100\"", "\"127.0.0.1:" + metrics + "\"")
                .replace("127.0.0.1:18081", "127.0.0.1:" + backend1)
                .replace("127.0.0.1:18082", "127.0.0.1:" + backend2)
                .replace("bind: \":8080\"", "bind: \"127.0.0.1:" + proxy + "\"")
                .replace("127.0.0.1:5353", "127.0.0.1:" + dns);
        for (int port : new int[] {admin, metrics, backend1, proxy, dns}) {
            if (!yaml.contains(":" + port)) throw new AssertionError("demo config has no :" + port + " after the port swap");
        }
        Path config = dir.resolve("cairn.yml");
        Files.writeString(config, yaml);
        Files.createDirectories(dir.resolve("zones"));
        Files.copy(CairnProcess.DIST.resolve("config/zones/cairn.test.zone"), dir.resolve("zones/cairn.test.zone"));
        return new DemoConfig(config, admin, metrics, backend1, backend2, proxy, dns);
    }
}
