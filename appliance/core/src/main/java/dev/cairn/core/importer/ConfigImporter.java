package dev.cairn.core.importer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates HAProxy, keepalived and BIND configs into one Cairn config, with a note for every
 * directive it could not translate (file and line). What it writes is for {@code cairn check},
 * which validates it like any config.
 */
public final class ConfigImporter {

    /** The translated YAML and what could not be translated. */
    public record Result(String yaml, List<String> notes, boolean behaviourChanges) {
    }

    private ConfigImporter() {
    }

    /** Every directive each importer knows, by source ("haproxy", "keepalived", "bind"). */
    public static java.util.Map<String, java.util.Set<String>> knownDirectives() {
        return java.util.Map.of("haproxy", HaproxyImporter.KNOWN, "keepalived", KeepalivedImporter.KNOWN,
                "bind", BindImporter.KNOWN);
    }

    public static Result translate(Path haproxy, List<Path> keepalived, Path bind) throws IOException {
        YamlTree out = new YamlTree();
        ImportNotes notes = new ImportNotes();
        out.map("admin").put("listen", "127.0.0.1:9000");
        out.map("services");
        if (haproxy != null) new HaproxyImporter(haproxy, out, notes).run();
        if (keepalived != null && !keepalived.isEmpty()) new KeepalivedImporter(keepalived, out, notes).run();
        if (bind != null) new BindImporter(bind, out, notes).run();
        out.map("metrics").put("listen", ":9100");
        List<String> sources = new ArrayList<>();
        if (haproxy != null) sources.add(haproxy.toString());
        if (keepalived != null) keepalived.forEach(k -> sources.add(k.toString()));
        if (bind != null) sources.add(bind.toString());
        String header = "# Written by cairn import from " + String.join(", ", sources) + ".\n"
                + "# Check it with: cairn check -c THIS_FILE. What was not translated was printed on stderr.\n\n";
        return new Result(header + out.render(), notes.all().stream().map(ImportNotes.Note::toString).toList(),
                notes.behaviourChanges());
    }
}
