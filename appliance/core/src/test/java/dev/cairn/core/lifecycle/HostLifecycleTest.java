package dev.cairn.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.demo.DemoModule;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.config.Doc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostLifecycleTest {

    @TempDir
    Path dir;

    /** A module that records its lifecycle calls and fails where told to. */
    static final class Probe implements Module<Probe.Config> {
        record Config(@Doc(dflt = "false") boolean failStart, @Doc(dflt = "false") boolean failReload,
                      @Doc(dflt = "x") String value) {
        }

        final List<String> calls = new ArrayList<>();
        volatile String value;

        @Override public String name() { return "probe"; }
        @Override public Class<Config> configType() { return Config.class; }

        @Override
        public void start(Config c, ModuleContext ctx) {
            calls.add("start");
            if (c.failStart()) throw new IllegalStateException("port 1 is taken");
            value = c.value();
        }

        @Override
        public void reload(Config c, ModuleContext ctx) {
            calls.add("reload");
            if (c.failReload()) throw new IllegalStateException("cannot apply " + c.value());
            value = c.value();
        }

        @Override
        public void stop() {
            calls.add("stop");
        }
    }

    private static String demo(int p1, int p2) {
        return """
                services:
                  demo:
                    endpoints: [127.0.0.1:%d, 127.0.0.1:%d]
                demo:
                  service: demo
                """.formatted(p1, p2);
    }

    @Test
    void failingModuleStartReleasesEverythingAlreadyStarted() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        int admin = TestHost.freePort();
        Probe probe = new Probe();
        Path file = dir.resolve("cairn.yml");
        Files.writeString(file, demo(p1, p2) + "probe:\n  fail_start: true\nadmin:\n  listen: 127.0.0.1:" + admin + "\n");
        Host host = new Host(ModuleRegistry.of(new DemoModule(), probe), file, null, Map.of());
        assertThatThrownBy(host::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("module probe failed to start: port 1 is taken");
        // stop was called on the failed module too, and every port the demo and admin held is free again
        assertThat(probe.calls).containsExactly("start", "stop");
        for (int port : new int[] {p1, p2, admin}) {
            assertThat(canBind(port)).as("port %d released", port).isTrue();
        }
        host.close(); // safe after a failed start
    }

    /**
     * Meets another module's start half-way: its own start returns only once the partner's start
     * has begun too, which a one-at-a-time start never allows (it would wait out the deadline).
     */
    static final class Rendezvous implements Module<Rendezvous.Config> {
        record Config(@Doc(dflt = "x") String value) {
        }

        private final String name;
        private final String partner;
        private final java.util.concurrent.CountDownLatch both;
        volatile String partnerStatusDuringStart;
        volatile String startThread;
        final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

        Rendezvous(String name, String partner, java.util.concurrent.CountDownLatch both) {
            this.name = name;
            this.partner = partner;
            this.both = both;
        }

        @Override public String name() { return name; }
        @Override public Class<Config> configType() { return Config.class; }

        @Override
        public void start(Config c, ModuleContext ctx) throws Exception {
            calls.add("start");
            startThread = Thread.currentThread().getName();
            both.countDown();
            if (!both.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("module " + partner + " did not start beside " + name);
            }
            partnerStatusDuringStart = ctx.moduleStatus(partner).map(s -> s.healthy() + " " + s.summary()).orElse("absent");
        }

        @Override
        public void stop() {
            calls.add("stop");
        }
    }

    @Test
    void independentModulesStartAtTheSameTime() throws Exception {
        java.util.concurrent.CountDownLatch both = new java.util.concurrent.CountDownLatch(2);
        Rendezvous a = new Rendezvous("alpha", "beta", both);
        Rendezvous b = new Rendezvous("beta", "alpha", both);
        try (TestHost t = TestHost.start(dir, "alpha: {}\nbeta: {}\n", a, b)) {
            assertThat(a.calls).containsExactly("start");
            assertThat(b.calls).containsExactly("start");
            assertThat(a.startThread).isNotEqualTo(b.startThread);
            // While both were starting, neither saw the other as up; once started, both are.
            assertThat(a.partnerStatusDuringStart).isIn("false starting", "true running");
            assertThat(t.host().moduleStatus().keySet()).containsExactly("alpha", "beta");
            assertThat(t.host().moduleStatus().values()).allMatch(s -> s.healthy());
        }
    }

    /** Binds a plain TCP listener on its port a while into its start, as a slow module would. */
    static final class SlowListener implements Module<SlowListener.Config> {
        record Config(int port) {
        }

        private ServerSocket socket;

        @Override public String name() { return "slow"; }
        @Override public Class<Config> configType() { return Config.class; }

        @Override
        public void start(Config c, ModuleContext ctx) throws Exception {
            Thread.sleep(1500);
            socket = new ServerSocket();
            socket.bind(new InetSocketAddress("127.0.0.1", c.port()));
            Thread accept = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        socket.accept().close();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "slow-accept");
            accept.setDaemon(true);
            accept.start();
        }

        @Override
        public void stop() {
            try {
                socket.close();
            } catch (IOException | RuntimeException e) {
                // stopping anyway
            }
        }
    }

    @Test
    void anEndpointServedByAModuleIsNotCheckedBeforeThatModuleHasStarted() throws Exception {
        int port = TestHost.freePort();
        String yaml = """
                services:
                  slow:
                    endpoints: [127.0.0.1:%d]
                    check: { type: tcp, interval: 100ms, rise: 5, fall: 3 }
                slow:
                  port: %d
                """.formatted(port, port);
        try (TestHost t = TestHost.start(dir, yaml, new SlowListener())) {
            // Checked against the port before the module bound it, the endpoint would have gone down at
            // its first check and needed five good checks (0.5 s) to be up again: it never went down.
            TestHost.await(java.time.Duration.ofSeconds(10), "checks ran",
                    () -> t.metric("cairn_health_check_duration_seconds", "service", "slow") >= 3);
            assertThat(t.host().catalog().checkStats("slow", "127.0.0.1:" + port).orElseThrow().upToDown()).isZero();
            assertThat(t.host().catalog().service("slow").orElseThrow().available()).hasSize(1);
        }
    }

    @Test
    void aModuleThatFailsFirstInTheFileStillStopsTheModulesStartedBesideIt() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        int admin = TestHost.freePort();
        Probe probe = new Probe();
        Path file = dir.resolve("cairn.yml");
        Files.writeString(file, "probe:\n  fail_start: true\n" + demo(p1, p2) + "admin:\n  listen: 127.0.0.1:" + admin + "\n");
        Host host = new Host(ModuleRegistry.of(new DemoModule(), probe), file, null, Map.of());
        assertThatThrownBy(host::start)
                .isInstanceOf(StartupException.class)
                .hasMessage("module probe failed to start: port 1 is taken");
        assertThat(probe.calls).containsExactly("start", "stop");
        for (int port : new int[] {p1, p2, admin}) {
            assertThat(canBind(port)).as("port %d released", port).isTrue();
        }
        assertThat(host.moduleStatus()).isEmpty();
        host.close();
    }

    @Test
    void invalidReloadKeepsEverythingAsItWas() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        Probe probe = new Probe();
        try (TestHost t = TestHost.start(dir, demo(p1, p2) + "probe:\n  value: one\n", new DemoModule(), probe)) {
            String hash = t.host().config().hash();
            ReloadResult r = t.reload(demo(p1, p2) + "probe:\n  value: two\n  bogus: 1\n");
            assertThat(r.ok()).isFalse();
            assertThat(r.errors()).singleElement().asString()
                    .endsWith("cairn.yml:8:3: probe.bogus: unknown key 'bogus'");
            assertThat(probe.calls).containsExactly("start");
            assertThat(probe.value).isEqualTo("one");
            assertThat(t.host().config().hash()).isEqualTo(hash);
            assertThat(t.metric("cairn_config_reload_success")).isEqualTo(0.0);
            assertThat(get("http://127.0.0.1:" + p1 + "/")).contains("hello from demo backend");
        }
    }

    @Test
    void validReloadAppliesOnlyToChangedModules() throws Exception {
        int p1 = TestHost.freePort();
        int p2 = TestHost.freePort();
        Probe probe = new Probe();
        try (TestHost t = TestHost.start(dir, demo(p1, p2) + "probe:\n  value: one\n", new DemoModule(), probe)) {
            double before = t.metric("cairn_config_last_reload_timestamp_seconds");
            ReloadResult r = t.reload(demo(p1, p2) + "probe:\n  value: two\n");
            assertThat(r.ok()).isTrue();
            assertThat(r.applied()).containsExactly("module probe reloaded");
            assertThat(probe.calls).containsExactly("start", "reload");
            assertThat(probe.value).isEqualTo("two");
            assertThat(t.metric("cairn_config_reload_success")).isEqualTo(1.0);
            assertThat(t.metric("cairn_config_last_reload_timestamp_seconds")).isGreaterThanOrEqualTo(before);
            assertThat(t.metric("cairn_config_reloads", "result", "success")).isEqualTo(1.0);
        }
    }

    @Test
    void reloadThatAModuleCannotApplyIsReportedAndTheModuleKeepsItsState() throws Exception {
        Probe probe = new Probe();
        try (TestHost t = TestHost.start(dir, "probe:\n  value: one\n", probe)) {
            ReloadResult r = t.reload("probe:\n  value: two\n  fail_reload: true\n");
            assertThat(r.ok()).isFalse();
            assertThat(r.errors()).containsExactly("module probe: cannot apply two (kept its previous state)");
            assertThat(probe.value).isEqualTo("one");
            // Fixing the file and reloading again retries the module.
            assertThat(t.reload("probe:\n  value: three\n").ok()).isTrue();
            assertThat(probe.value).isEqualTo("three");
        }
    }

    @Test
    void removingASectionStopsTheModuleAndAddingItStartsIt() throws Exception {
        Probe probe = new Probe();
        try (TestHost t = TestHost.start(dir, "probe:\n  value: one\n", probe)) {
            assertThat(t.reload("services: {}\n").applied()).containsExactly("module probe stopped");
            assertThat(t.host().module("probe")).isEmpty();
            assertThat(t.reload("probe:\n  value: again\n").applied()).containsExactly("module probe started");
            assertThat(probe.calls).containsExactly("start", "stop", "start");
        }
    }

    static boolean canBind(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
