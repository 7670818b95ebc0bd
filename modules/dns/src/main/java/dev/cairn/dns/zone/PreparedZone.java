package dev.cairn.dns.zone;

import dev.cairn.dns.ZoneConfig;
import dev.cairn.dns.ZoneConfig.ServiceRecordConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * A zone's static part read and checked: the records of its file and inline list, its service
 * bindings by absolute owner name, and the file's modification stamp (to notice edits).
 * Immutable once built; {@link #problems()} non-empty means it must not be served.
 */
public record PreparedZone(
        Name origin,
        ZoneConfig config,
        List<Record> records,
        Map<Name, ServiceRecordConfig> bindings,
        List<ZoneProblem> problems,
        Stamp stamp) {

    /** Size and modification time of the zone file; null fields when there is no file. */
    public record Stamp(FileTime modified, long size) {
        static Stamp of(Path file) {
            if (file == null) return new Stamp(null, -1);
            try {
                return new Stamp(Files.getLastModifiedTime(file), Files.size(file));
            } catch (IOException e) {
                return new Stamp(null, -2);
            }
        }
    }

    /** Reads and checks a zone; {@code dir} resolves a relative file path. */
    public static PreparedZone read(String originText, ZoneConfig cfg, Path dir) {
        List<ZoneProblem> problems = new ArrayList<>();
        Name origin;
        try {
            origin = parseOrigin(originText);
        } catch (TextParseException e) {
            problems.add(new ZoneProblem("", "'" + originText + "' is not a domain name: " + e.getMessage()));
            return new PreparedZone(Name.root, cfg, List.of(), Map.of(), problems, Stamp.of(null));
        }
        Map<Name, ServiceRecordConfig> bindings = new LinkedHashMap<>();
        Map<Name, Integer> dynamicTypes = new LinkedHashMap<>();
        cfg.serviceRecords().forEach((rel, b) -> {
            try {
                Name owner = rel.equals("@") ? origin : Name.fromString(rel, origin);
                bindings.put(owner, b);
                dynamicTypes.put(owner, b.type() == ServiceRecordConfig.Kind.SRV ? Type.SRV : Type.A);
            } catch (TextParseException e) {
                problems.add(new ZoneProblem("service_records." + rel, "'" + rel + "' is not a domain name: " + e.getMessage()));
            }
        });
        List<SourcedRecord> sourced = new ArrayList<>();
        Path file = cfg.file() == null ? null : dir.resolve(cfg.file()).normalize();
        Stamp stamp = Stamp.of(file);
        if (file != null) {
            ZoneSourceReader.Result r = ZoneSourceReader.readFile(file, origin);
            sourced.addAll(r.records());
            problems.addAll(r.problems());
        }
        if (!cfg.records().isEmpty()) {
            ZoneSourceReader.Result r = ZoneSourceReader.readInline(cfg.records(), origin);
            sourced.addAll(r.records());
            problems.addAll(r.problems());
        }
        if (file == null && cfg.records().isEmpty()) {
            problems.add(new ZoneProblem("", "zone " + origin + " needs a file or records (with SOA and NS)"));
        } else if (problems.isEmpty()) {
            problems.addAll(ZoneCheck.check(origin, sourced, dynamicTypes));
        }
        List<Record> records = sourced.stream().map(SourcedRecord::record).toList();
        return new PreparedZone(origin, cfg, records, Map.copyOf(bindings), List.copyOf(problems), stamp);
    }

    public static Name parseOrigin(String text) throws TextParseException {
        return Name.fromString(text.endsWith(".") ? text : text + ".");
    }

    public boolean ok() {
        return problems.isEmpty();
    }

    /** The serial written in the zone's SOA. */
    public long fileSerial() {
        for (Record r : records) {
            if (r instanceof SOARecord s) return s.getSerial();
        }
        return 0;
    }

    /** The zone file's absolute path, or null for an inline-only zone. */
    public Path file(Path dir) {
        return config.file() == null ? null : dir.resolve(config.file()).normalize();
    }
}
