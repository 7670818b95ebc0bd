package dev.cairn.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.cli.Main;
import dev.cairn.core.demo.DemoModule;
import dev.cairn.core.testing.TestHost;
import dev.cairn.spi.catalog.ServiceView;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Services, endpoints and tags appear everywhere in the order the file lists them: the loaded
 * config, the catalog, /api/status, /api/catalog, the status page and {@code cairn status}.
 * Twelve names in an order neither sorted nor a hash order, so a lost order shows. No module
 * section: nothing binds the endpoints' port (without a check nothing connects to it either).
 */
class ConfigOrderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> NAMES = List.of("zulu", "alpha", "mike", "bravo", "yankee", "charlie", "x-ray",
            "delta", "whiskey", "echo", "victor", "foxtrot");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private static String yaml(List<String> names, int port) {
        StringBuilder b = new StringBuilder("services:\n");
        for (String n : names) {
            b.append("  ").append(n).append(":\n    endpoints:\n")
                    .append("      - { address: 127.0.0.1:").append(port).append(", name: z-").append(n)
                    .append(", tags: [primary, zone-b, a-rack] }\n")
                    .append("      - { address: 127.0.0.1:").append(port).append(", name: a-").append(n).append(" }\n");
        }
        return b.toString();
    }

    private JsonNode get(TestHost t, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(t.adminUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    private void assertOrder(TestHost t, List<String> names) throws Exception {
        assertThat(t.host().config().services().keySet()).containsExactlyElementsOf(names);
        assertThat(t.host().catalog().services().stream().map(ServiceView::name)).containsExactlyElementsOf(names);

        List<String> statusNames = new ArrayList<>();
        get(t, "/api/status").path("services").fieldNames().forEachRemaining(statusNames::add);
        assertThat(statusNames).containsExactlyElementsOf(names);

        JsonNode catalog = get(t, "/api/catalog").path("services");
        List<String> catalogNames = new ArrayList<>();
        catalog.forEach(s -> catalogNames.add(s.path("name").asText()));
        assertThat(catalogNames).containsExactlyElementsOf(names);
        JsonNode eps = catalog.get(0).path("endpoints");
        assertThat(eps.get(0).path("name").asText()).isEqualTo("z-" + names.get(0));
        assertThat(eps.get(1).path("name").asText()).isEqualTo("a-" + names.get(0));
        assertThat(eps.get(0).path("tags").toString()).isEqualTo("[\"primary\",\"zone-b\",\"a-rack\"]");

        String page = http.send(HttpRequest.newBuilder(URI.create(t.adminUrl() + "/")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(positions(page, names)).isSorted();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.execute("status", "--url", t.adminUrl())).isZero();
        } finally {
            System.setOut(old);
        }
        assertThat(positions(out.toString(StandardCharsets.UTF_8), names)).isSorted();
    }

    /** Where each service's first endpoint row appears in {@code text}. */
    private static List<Integer> positions(String text, List<String> names) {
        List<Integer> at = new ArrayList<>();
        for (String n : names) {
            int i = text.indexOf("z-" + n);
            assertThat(i).as(n + " in:\n" + text).isNotNegative();
            at.add(i);
        }
        return at;
    }

    @Test
    void servicesKeepTheFileOrderEverywhere() throws Exception {
        int port = TestHost.freePort();
        try (TestHost t = TestHost.start(dir, yaml(NAMES, port), new DemoModule())) {
            assertOrder(t, NAMES);
        }
    }

    @Test
    void aReloadThatReordersTheFileReordersTheViews() throws Exception {
        int port = TestHost.freePort();
        try (TestHost t = TestHost.start(dir, yaml(NAMES, port), new DemoModule())) {
            List<String> reversed = new ArrayList<>(NAMES);
            java.util.Collections.reverse(reversed);
            assertThat(t.reload(yaml(reversed, port)).ok()).isTrue();
            assertOrder(t, reversed);
        }
    }

    @Test
    void loadedConfigKeepsServiceAndModuleOrder() throws Exception {
        Path f = dir.resolve("c.yml");
        java.nio.file.Files.writeString(f, yaml(NAMES, 8080));
        CairnConfig c = new ConfigLoader(ModuleRegistry.of(new DemoModule()), Map.of()).load(f, null);
        assertThat(c.services().keySet()).containsExactlyElementsOf(NAMES);
        assertThat(c.services().get("zulu").endpoints().get(0).tags()).containsExactly("primary", "zone-b", "a-rack");
    }
}
