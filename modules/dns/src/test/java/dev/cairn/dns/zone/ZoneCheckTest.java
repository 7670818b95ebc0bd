package dev.cairn.dns.zone;

import static dev.cairn.dns.zone.ZoneFixtures.name;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.dns.ZoneConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZoneCheckTest {

    @TempDir
    Path dir;

    private static final String HEAD = """
            $TTL 300
            @ IN SOA ns1 hostmaster 1 3600 900 604800 60
              IN NS ns1
            ns1 IN A 192.0.2.1
            """;

    private List<String> problems(String body) throws IOException {
        Files.writeString(dir.resolve("z.zone"), HEAD + body);
        ZoneConfig cfg = new ZoneConfig(Path.of("z.zone"), List.of(), Map.of(), List.of("any"), List.of(), null, List.of());
        return PreparedZone.read("example.test", cfg, dir).problems().stream().map(ZoneProblem::toString).toList();
    }

    private String file() {
        return dir.resolve("z.zone").toString();
    }

    @Test
    void validZoneHasNoProblems() throws IOException {
        assertThat(problems("www IN A 192.0.2.10\n")).isEmpty();
    }

    @Test
    void syntaxErrorNamesFileAndLine() throws IOException {
        assertThat(problems("www IN A 192.0.2.10\nbad IN A 999.1.1.1\n"))
                .singleElement().asString().startsWith(file() + ":6: ").contains("999.1.1.1");
    }

    @Test
    void unknownTypeNamesFileAndLine() throws IOException {
        assertThat(problems("www IN BOGUS 1\n")).singleElement().asString().startsWith(file() + ":5: ");
    }

    @Test
    void cnameAndOtherDataIsAnError() throws IOException {
        assertThat(problems("www IN A 192.0.2.10\nwww IN CNAME ns1\n"))
                .singleElement().asString().startsWith(file() + ":6: ").contains("CNAME and other data");
    }

    @Test
    void nsTargetWithoutAddressIsAnError() throws IOException {
        assertThat(problems("sub IN NS ns.sub\n"))
                .singleElement().asString().startsWith(file() + ":5: ").contains("has no address records");
    }

    @Test
    void outOfZoneDataIsAnError() throws IOException {
        assertThat(problems("www.example.org. IN A 192.0.2.10\n"))
                .singleElement().asString().startsWith(file() + ":5: ").contains("out of zone");
    }

    @Test
    void missingSoaAndNsAreErrors() throws IOException {
        Files.writeString(dir.resolve("z.zone"), "www 300 IN A 192.0.2.1\n");
        ZoneConfig cfg = new ZoneConfig(Path.of("z.zone"), List.of(), Map.of(), List.of("any"), List.of(), null, List.of());
        assertThat(PreparedZone.read("example.test", cfg, dir).problems()).extracting(ZoneProblem::message)
                .anyMatch(m -> m.contains("no SOA")).anyMatch(m -> m.contains("no NS"));
    }

    @Test
    void includeErrorsNameTheIncludedFile() throws IOException {
        Files.writeString(dir.resolve("inc.zone"), "ok IN A 192.0.2.7\nbad IN AAAA nope\n");
        assertThat(problems("$INCLUDE inc.zone\n")).singleElement().asString()
                .startsWith(dir.resolve("inc.zone") + ":2: ");
    }

    @Test
    void inlineRecordsAreCheckedByIndex() {
        ZoneConfig cfg = new ZoneConfig(null, List.of("@ SOA ns1 hostmaster 1 3600 900 604800 60", "@ NS ns1",
                "ns1 A 192.0.2.1", "www A not-an-ip"), Map.of(), List.of("any"), List.of(), null, List.of());
        assertThat(PreparedZone.read("example.test", cfg, dir).problems())
                .singleElement().asString().startsWith("records[3]: ");
    }

    @Test
    void inlineOnlyZoneIsServable() {
        ZoneConfig cfg = new ZoneConfig(null, List.of("@ 3600 SOA ns1 hostmaster 7 3600 900 604800 60", "@ NS ns1",
                "ns1 A 192.0.2.1"), Map.of(), List.of("any"), List.of(), null, List.of());
        PreparedZone pz = PreparedZone.read("example.test", cfg, dir);
        assertThat(pz.problems()).isEmpty();
        assertThat(pz.fileSerial()).isEqualTo(7);
        assertThat(pz.origin()).isEqualTo(name("example.test"));
    }

    @Test
    void staticRecordsMayNotShadowAServiceBinding() throws IOException {
        Files.writeString(dir.resolve("z.zone"), HEAD + "web IN A 192.0.2.9\n");
        ZoneConfig cfg = new ZoneConfig(Path.of("z.zone"), List.of(),
                Map.of("web", new ZoneConfig.ServiceRecordConfig("web", ZoneConfig.ServiceRecordConfig.Kind.ADDRESS, null, 10)),
                List.of("any"), List.of(), null, List.of());
        assertThat(PreparedZone.read("example.test", cfg, dir).problems())
                .singleElement().asString().startsWith(file() + ":5: ").contains("bound to a catalog service");
    }
}
