package dev.cairn.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cairn.core.catalog.CheckConfig;
import dev.cairn.core.catalog.ServiceConfig;
import dev.cairn.core.demo.DemoModule;
import dev.cairn.spi.config.Suggestions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private CairnConfig load(String yaml) throws Exception {
        return load(yaml, Map.of());
    }

    private CairnConfig load(String yaml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("cairn.yml");
        Files.writeString(f, yaml);
        return new ConfigLoader(ModuleRegistry.of(new DemoModule()), env).load(f, null);
    }

    private List<String> errors(String yaml) {
        return errors(yaml, null);
    }

    private List<String> errors(String yaml, String node) {
        Path f = dir.resolve("cairn.yml");
        try {
            Files.writeString(f, yaml);
            new ConfigLoader(ModuleRegistry.of(new DemoModule()), Map.of()).load(f, node);
        } catch (ConfigException e) {
            return ConfigLoader.messages(e);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the config to be rejected");
    }

    private String file() {
        return dir.resolve("cairn.yml").toString();
    }

    @Test
    void validFileBindsDefaultsLikeHaproxy() throws Exception {
        CairnConfig c = load("""
                services:
                  web:
                    endpoints:
                      - 10.0.0.1:80
                      - { address: "[::1]:8080", name: b, weight: 5, tags: [blue] }
                    check: { type: http, path: /health }
                """);
        ServiceConfig web = c.services().get("web");
        assertThat(web.endpoints()).hasSize(2);
        assertThat(web.endpoints().get(0).effectiveName()).isEqualTo("10.0.0.1:80");
        assertThat(web.endpoints().get(0).weight()).isEqualTo(1);
        assertThat(web.endpoints().get(1).address().host()).isEqualTo("::1");
        assertThat(web.endpoints().get(1).tags()).containsExactly("blue");
        CheckConfig check = web.check();
        assertThat(check.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(check.rise()).isEqualTo(2);
        assertThat(check.fall()).isEqualTo(3);
        assertThat(check.statusLow()).isEqualTo(200);
        assertThat(check.statusHigh()).isEqualTo(399);
        assertThat(c.admin().listen().toString()).isEqualTo("127.0.0.1:9000");
        assertThat(c.hash()).hasSize(16);
    }

    @Test
    void malformedYamlNamesFileLineAndColumn() {
        List<String> errs = errors("services:\n  web: [1, 2\n  other: x\n");
        assertThat(errs).hasSize(1);
        assertThat(errs.get(0)).startsWith(file() + ":3:").contains("YAML syntax error");
    }

    @Test
    void wrongTypeNamesKeyAndLine() {
        List<String> errs = errors("""
                admin:
                  listen: [a, b]
                services: {}
                """);
        assertThat(errs).containsExactly(file() + ":2:11: admin.listen: expected host:port, found a list");
    }

    @Test
    void outOfRangePortIsReportedAtItsLine() {
        List<String> errs = errors("""
                services:
                  web:
                    endpoints:
                      - 10.0.0.1:80
                      - 10.0.0.2:70000
                """);
        assertThat(errs).containsExactly(
                file() + ":5:9: services.web.endpoints[1]: port 70000 is out of range 1..65535");
    }

    @Test
    void duplicateServiceNameIsRejected() {
        List<String> errs = errors("""
                services:
                  web:
                    endpoints: [10.0.0.1:80]
                  web:
                    endpoints: [10.0.0.2:80]
                """);
        assertThat(errs).containsExactly(
                file() + ":4:3: services.web: duplicate key 'web' (first defined at line 2)");
    }

    @Test
    void duplicateEndpointInAServiceIsRejected() {
        List<String> errs = errors("""
                services:
                  web:
                    endpoints: [10.0.0.1:80, 10.0.0.1:80]
                """);
        assertThat(errs).singleElement().asString()
                .startsWith(file() + ":3:").contains("duplicate endpoint '10.0.0.1:80' in service web");
    }

    @Test
    void referenceToUnknownServiceSuggestsTheClosest() {
        List<String> errs = errors("""
                services:
                  web:
                    endpoints: [127.0.0.1:18081]
                demo:
                  service: wbe
                """);
        assertThat(errs).containsExactly(
                file() + ":5:12: demo.service: unknown service 'wbe' (did you mean 'web'?)");
    }

    @Test
    void unknownKeysAndSectionsGetDidYouMean() {
        List<String> errs = errors("""
                servics:
                  web: {}
                admin:
                  listne: 127.0.0.1:9000
                """);
        assertThat(errs).hasSize(2);
        assertThat(errs.get(0)).startsWith(file() + ":1:1: servics: unknown section 'servics' (did you mean 'services'?)");
        assertThat(errs.get(1)).isEqualTo(file() + ":4:3: admin.listne: unknown key 'listne' (did you mean 'listen'?)");
    }

    @Test
    void everyErrorIsReportedAtOnceInFileOrder() {
        List<String> errs = errors("""
                services:
                  web:
                    endpoints: [10.0.0.1:80]
                    check:
                      interval: soon
                      rise: 0
                      type: udp
                """);
        assertThat(errs).containsExactly(
                file() + ":5:17: services.web.check.interval: 'soon' is not a duration (e.g. 500ms, 2s, 1m30s, 24h, 7d)",
                file() + ":6:13: services.web.check.rise: 0 is out of range 1..100",
                file() + ":7:13: services.web.check.type: 'udp' is not one of tcp, http (did you mean 'tcp'?)");
    }

    @Test
    void missingRequiredKeyIsNamed() {
        List<String> errs = errors("services:\n  web:\n    check: {type: tcp}\n");
        assertThat(errs).containsExactly(file() + ":3:5: services.web.endpoints: missing required key 'endpoints'");
    }

    @Test
    void durationsAndSizesUseOperatorUnits() throws Exception {
        CairnConfig c = load("""
                services:
                  web:
                    endpoints: [10.0.0.1:80]
                    check: { interval: 500ms, timeout: 1m30s }
                """);
        assertThat(c.services().get("web").check().interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.services().get("web").check().timeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(dev.cairn.spi.config.DataSize.parse("512MiB").bytes()).isEqualTo(512L << 20);
        assertThat(dev.cairn.spi.config.DataSize.parse("2MB").bytes()).isEqualTo(2_000_000L);
        assertThatThrownBy(() -> dev.cairn.spi.config.DataSize.parse("2 parsecs"))
                .hasMessageContaining("unknown size unit 'parsecs'");
    }

    @Test
    void environmentReferencesAreSubstitutedAndMissingOnesReported() throws Exception {
        CairnConfig c = load("""
                services:
                  web:
                    endpoints: ["${env:WEB_HOST}:80"]
                """, Map.of("WEB_HOST", "10.1.2.3"));
        assertThat(c.services().get("web").endpoints().get(0).address().host()).isEqualTo("10.1.2.3");
        List<String> errs = errors("services:\n  web:\n    endpoints: [\"${env:NOPE_NOT_SET}:80\"]\n");
        assertThat(errs).singleElement().asString()
                .contains("services.web.endpoints[0]: environment variable NOPE_NOT_SET is not set");
    }

    @Test
    void adminOnPublicAddressNeedsATokenFile() throws Exception {
        List<String> errs = errors("admin:\n  listen: 0.0.0.0:9000\n");
        assertThat(errs).singleElement().asString()
                .startsWith(file() + ":2:11: admin.listen: the admin API on a non-loopback address")
                .contains("needs token_file");
        Files.writeString(dir.resolve("token"), "s3cret\n");
        CairnConfig ok = load("admin:\n  listen: 0.0.0.0:9000\n  token_file: token\n");
        assertThat(ok.admin().tokenFile()).isEqualTo(Path.of("token"));
        List<String> missing = errors("admin:\n  listen: 0.0.0.0:9000\n  token_file: nothere\n");
        assertThat(missing).singleElement().asString().contains("admin.token_file: cannot read token file");
    }

    @Test
    void missingFileIsAClearError() {
        assertThatThrownBy(() -> new ConfigLoader(ModuleRegistry.of()).load(dir.resolve("none.yml"), null))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("none.yml") + ": cannot read config file: no such file");
    }

    @Test
    void emptyFileIsValidAndTurnsNothingOn() throws Exception {
        CairnConfig c = load("");
        assertThat(c.modules()).isEmpty();
        assertThat(c.services()).isEmpty();
    }

    @Test
    void suggestionsIgnoreFarAwayWords() {
        assertThat(Suggestions.closest("xyzzy", List.of("services", "admin"))).isEmpty();
        assertThat(Suggestions.closest("admn", List.of("services", "admin"))).contains("admin");
    }
}
