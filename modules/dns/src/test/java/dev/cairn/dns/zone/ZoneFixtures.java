package dev.cairn.dns.zone;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/** The test zone files under src/test/resources/zones. */
public final class ZoneFixtures {

    private ZoneFixtures() {
    }

    public static Path dir() {
        try {
            return Path.of(ZoneFixtures.class.getResource("/zones/example.test.zone").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Name name(String s) {
        return Name.fromConstantString(s.endsWith(".") ? s : s + ".");
    }

    /** example.test built from its file, with the file's serial. */
    public static ZoneData exampleTest() {
        ZoneSourceReader.Result r = ZoneSourceReader.readFile(dir().resolve("example.test.zone"), name("example.test"));
        if (!r.problems().isEmpty()) throw new IllegalStateException(r.problems().toString());
        List<Record> records = r.records().stream().map(SourcedRecord::record).toList();
        return ZoneData.build(name("example.test"), records, 2024010101L);
    }
}
