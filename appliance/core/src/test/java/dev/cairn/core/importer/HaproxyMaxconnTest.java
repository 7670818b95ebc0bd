package dev.cairn.core.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HAProxy's maxconn as {@code cairn import} translates it: a frontend's (or the defaults') limit
 * becomes proxy.limits.max_connections, a server's proxy.limits.endpoint_max_connections; what
 * one Cairn value cannot express is named with its line and makes the import exit non-zero.
 */
class HaproxyMaxconnTest {

    @TempDir
    Path dir;

    private ConfigImporter.Result translate(String cfg) throws Exception {
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, cfg);
        return ConfigImporter.translate(file, List.of(), null);
    }

    @Test
    void defaultsAndFrontendMaxconnBecomeTheListenersLimit() throws Exception {
        ConfigImporter.Result r = translate("""
                defaults
                    mode http
                    maxconn 3000
                frontend web
                    bind :8080
                    default_backend app
                backend app
                    server b1 127.0.0.1:9002 check maxconn 50
                """);
        assertThat(r.yaml()).contains("limits: { endpoint_max_connections: 50, max_connections: 3000 }");
        assertThat(r.notes()).noneMatch(n -> n.contains("maxconn"));
        assertThat(r.behaviourChanges()).isFalse();

        ConfigImporter.Result own = translate("""
                defaults
                    maxconn 3000
                frontend web
                    bind :8080
                    maxconn 2000
                    default_backend app
                backend app
                    server b1 127.0.0.1:9002
                """);
        assertThat(own.yaml()).contains("max_connections: 2000").doesNotContain("3000");
        assertThat(own.behaviourChanges()).isFalse();
    }

    @Test
    void frontendsWithDifferentLimitsAreNamedAndChangeBehaviour() throws Exception {
        Path file = dir.resolve("haproxy.cfg");
        ConfigImporter.Result r = translate("""
                frontend a
                    bind :8080
                    maxconn 2000
                    default_backend app
                frontend b
                    bind :8081
                    maxconn 100
                    default_backend app
                backend app
                    server b1 127.0.0.1:9002
                """);
        assertThat(r.yaml()).contains("max_connections: 2000");
        assertThat(r.notes()).anyMatch(n -> n.startsWith(file + ":7: maxconn 100:") && n.contains("one max_connections for every listener"));
        assertThat(r.behaviourChanges()).isTrue();
    }

    @Test
    void globalMaxconnIsProcessWideAndOnlyNoted() throws Exception {
        ConfigImporter.Result r = translate("""
                global
                    maxconn 50000
                frontend web
                    bind :8080
                    default_backend app
                backend app
                    server b1 127.0.0.1:9002
                """);
        assertThat(r.yaml()).doesNotContain("max_connections");
        assertThat(r.notes()).anyMatch(n -> n.contains(":2: maxconn:") && n.contains("proxy.limits.max_connections"));
    }
}
