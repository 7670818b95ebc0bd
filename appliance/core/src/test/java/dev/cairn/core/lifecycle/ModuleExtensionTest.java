package dev.cairn.core.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.cli.Main;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.Module;
import dev.cairn.spi.ModuleContext;
import dev.cairn.spi.catalog.CatalogEvent;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.catalog.Health;
import dev.cairn.spi.catalog.PublishedEndpoint;
import dev.cairn.spi.catalog.PublishedService;
import dev.cairn.spi.catalog.ServiceView;
import dev.cairn.spi.command.AdminCall;
import dev.cairn.spi.command.CommandContext;
import dev.cairn.spi.command.ModuleCommand;
import dev.cairn.spi.config.Doc;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a module may add beyond its lifecycle: services it publishes, CLI verbs, admin actions. */
class ModuleExtensionTest {

    @TempDir
    Path dir;

    /** Publishes "ledger-primary", answers the action "promote", adds the verb "ledger". */
    static final class Ledger implements Module<Ledger.Config> {
        record Config(@Doc(dflt = "ledger-primary") String publish) {
        }

        volatile ModuleContext ctx;
        volatile Config config;

        @Override public String name() { return "ledger"; }
        @Override public Class<Config> configType() { return Config.class; }
        @Override public Set<String> publishedServices(Config c) { return Set.of(c.publish()); }

        @Override
        public void start(Config c, ModuleContext ctx) {
            this.ctx = ctx;
            this.config = c;
        }

        @Override
        public void stop() {
        }

        @Override
        public Object action(String action, Map<String, String> params, boolean post) throws Exception {
            if (!action.equals("promote")) return Module.super.action(action, params, post);
            if (!post) throw new ActionException(405, "promote changes state: use POST");
            long epoch = Long.parseLong(params.getOrDefault("epoch", "1"));
            boolean ok = ctx.catalog().publish(new PublishedService(config.publish(), epoch,
                    List.of(PublishedEndpoint.up(params.get("to"), "127.0.0.1", 3306, "promoted"))));
            return Map.of("published", ok, "epoch", epoch);
        }

        @Override
        public List<ModuleCommand<Config>> commands() {
            return List.of(new ModuleCommand<>() {
                @Override public String name() { return "ledger"; }
                @Override public String summary() { return "Promote a ledger node."; }
                @Override public String usage() { return "Usage: cairn ledger promote NODE [--epoch N]"; }

                @Override
                public int run(CommandContext<Config> c) throws Exception {
                    List<String> a = c.args();
                    if (a.size() < 2 || !a.get(0).equals("promote")) {
                        c.err().println(usage());
                        return CommandContext.EXIT_USAGE;
                    }
                    String epoch = a.size() > 3 && a.get(2).equals("--epoch") ? a.get(3) : "1";
                    AdminCall.Response r = c.admin().post("ledger", "promote", Map.of("to", a.get(1), "epoch", epoch));
                    c.out().println("publish " + c.config().map(Config::publish).orElse("?") + ": " + r.body());
                    return r.ok() ? 0 : 1;
                }
            });
        }
    }

    @Test
    void aPublishedServiceExistsEmptyFromStartAndFollowsItsEpoch() throws Exception {
        Ledger ledger = new Ledger();
        try (TestHost h = TestHost.start(dir, "services: {}\nledger: {}\n", ledger)) {
            List<CatalogEvent> events = new CopyOnWriteArrayList<>();
            h.host().catalog().subscribe(events::add);
            assertThat(h.host().catalog().service("ledger-primary")).get()
                    .extracting(ServiceView::endpoints).asList().isEmpty();
            assertThat(h.host().catalog().publishedEpoch("ledger-primary")).isEmpty();

            PublishedService first = new PublishedService("ledger-primary", 3,
                    List.of(PublishedEndpoint.up("db1", "127.0.0.1", 3306, "primary")));
            assertThat(h.host().catalog().publish(first)).isTrue();
            assertThat(h.host().catalog().service("ledger-primary").orElseThrow().available())
                    .extracting(EndpointView::name).containsExactly("db1");

            // A stale decision-maker (lower epoch) cannot move it back.
            PublishedService stale = new PublishedService("ledger-primary", 2,
                    List.of(PublishedEndpoint.up("db2", "127.0.0.2", 3306, "primary")));
            assertThat(h.host().catalog().publish(stale)).isFalse();
            assertThat(h.host().catalog().service("ledger-primary").orElseThrow().endpoints())
                    .extracting(EndpointView::name).containsExactly("db1");

            // A new epoch moves it: the old endpoint is reported removed (so TCP sessions to it are cut).
            PublishedService moved = new PublishedService("ledger-primary", 4,
                    List.of(PublishedEndpoint.up("db2", "127.0.0.2", 3306, "promoted")));
            assertThat(h.host().catalog().publish(moved)).isTrue();
            assertThat(h.host().catalog().publishedEpoch("ledger-primary")).contains(4L);
            TestHost.await(java.time.Duration.ofSeconds(5), "the removal of db1", () -> events.stream().anyMatch(e -> e.kind() == CatalogEvent.Kind.PUBLISH
                    && e.after() == null && e.before() != null && e.before().name().equals("db1")));
            assertThat(events).anyMatch(e -> e.after() != null && e.after().name().equals("db2"));

            // The same epoch may update health (lag, a replica going down).
            PublishedService down = new PublishedService("ledger-primary", 4, List.of(new PublishedEndpoint(
                    "db2", "127.0.0.2", 3306, Health.DOWN, 1, Set.of(), "not writable")));
            assertThat(h.host().catalog().publish(down)).isTrue();
            assertThat(h.host().catalog().service("ledger-primary").orElseThrow().available()).isEmpty();
            assertThat(h.metric("cairn_service_endpoint_up", "service", "ledger-primary", "endpoint", "db2")).isEqualTo(0.0);

            // A config service cannot be taken over by a publication.
            assertThat(h.host().catalog().publish(new PublishedService("other", 1, List.of()))).isTrue();
        }
    }

    @Test
    void aPublishedNameCannotAlsoBeAConfigService() throws Exception {
        Path f = dir.resolve("cairn.yml");
        Files.writeString(f, "services:\n  ledger-primary:\n    endpoints: [127.0.0.1:3306]\nledger: {}\nadmin:\n  listen: 127.0.0.1:0\n");
        Assertions.assertThatThrownBy(() -> new ConfigLoader(ModuleRegistry.of(new Ledger())).load(f, null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("services.ledger-primary")
                .hasMessageContaining("published by the ledger module");
    }

    @Test
    void actionsAreServedUnderApiModules() throws Exception {
        try (TestHost h = TestHost.start(dir, "services: {}\nledger: {}\n", new Ledger())) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(
                            URI.create(h.adminUrl() + "/api/modules/ledger/promote?to=db9&epoch=7"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("\"published\" : true");
            assertThat(h.host().catalog().service("ledger-primary").orElseThrow().endpoints())
                    .extracting(EndpointView::name).containsExactly("db9");

            HttpResponse<String> get = http.send(HttpRequest.newBuilder(
                    URI.create(h.adminUrl() + "/api/modules/ledger/promote?to=x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).isEqualTo(405);
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(
                    URI.create(h.adminUrl() + "/api/modules/ledger/nothing")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("has no action 'nothing'");
            HttpResponse<String> absent = http.send(HttpRequest.newBuilder(
                    URI.create(h.adminUrl() + "/api/modules/backup/run")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(absent.statusCode()).isEqualTo(404);
            assertThat(absent.body()).contains("module 'backup' is not running");
        }
    }

    @Test
    void aModuleVerbGetsItsSectionAndCallsTheDaemon() throws Exception {
        try (TestHost h = TestHost.start(dir, "services: {}\nledger: { publish: books }\n", new Ledger())) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream old = System.out;
            int code;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                code = Main.execute(ModuleRegistry.of(new Ledger()), "ledger", "-c", h.configFile().toString(),
                        "--url", h.adminUrl(), "promote", "db5", "--epoch", "2");
                assertThat(Main.execute(ModuleRegistry.of(new Ledger()), "ledger", "--help")).isEqualTo(0);
            } finally {
                System.setOut(old);
            }
            assertThat(code).isEqualTo(0);
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("publish books: ")
                    .contains("\"published\":true").contains("Usage: cairn ledger promote NODE");
            assertThat(h.host().catalog().service("books").orElseThrow().endpoints())
                    .extracting(EndpointView::name).containsExactly("db5");
        }
    }
}
