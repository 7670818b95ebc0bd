package dev.cairn.core;

import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.spi.Module;
import dev.cairn.spi.error.ErrorId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every error id of the host ({@link CoreErrors}) and of the modules ({@link Module#errors()}),
 * checked (format, each module's own prefix, unique across all) and written as docs/errors.md.
 */
public final class ErrorReference {

    private ErrorReference() {
    }

    /** The ids by owner ({@code core} first, then modules by name); throws if any id breaks the rules. */
    public static Map<String, List<ErrorId>> collect(ModuleRegistry modules) {
        Map<String, List<ErrorId>> out = new LinkedHashMap<>();
        out.put("core", List.of(CoreErrors.values()));
        List<Module<?>> sorted = new ArrayList<>(modules.all());
        sorted.sort(Comparator.comparing(Module::name));
        for (Module<?> m : sorted) {
            List<ErrorId> ids = List.copyOf(m.errors());
            if (!ids.isEmpty()) out.put(m.name(), ids);
        }
        Map<String, String> owners = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        out.forEach((owner, ids) -> {
            String prefix = "CAIRN-" + owner.toUpperCase(Locale.ROOT).replace('-', '_') + "-";
            for (ErrorId e : ids) {
                if (!ErrorId.FORMAT.matcher(e.id()).matches() || !e.id().startsWith(prefix)) {
                    problems.add(owner + ": " + e.id() + " is not " + prefix + "NNNN");
                }
                if (e.meaning() == null || e.meaning().isBlank() || e.action() == null || e.action().isBlank()) {
                    problems.add(owner + ": " + e.id() + " needs a meaning and an action");
                }
                String first = owners.putIfAbsent(e.id(), owner);
                if (first != null) problems.add(e.id() + " is declared twice (" + first + " and " + owner + ")");
            }
        });
        if (!problems.isEmpty()) throw new IllegalStateException("error ids: " + String.join("; ", problems));
        return out;
    }

    /** docs/errors.md. */
    public static String markdown(ModuleRegistry modules) {
        StringBuilder b = new StringBuilder();
        b.append("# Cairn error ids\n\n")
                .append("Generated from the error registries (`CoreErrors` and each module's `errors()`) by ")
                .append("`cairn errors-reference`; do not edit by hand ")
                .append("(`scripts/cairn errors-reference > docs/errors.md`).\n\n")
                .append("Every error an operator may search for carries one of these ids: in the log line's ")
                .append("`error_id` field (JSON logs) or at the start of the message (config errors, `cairn check`, ")
                .append("failed reloads). An id is never reused for another error.\n\n");
        collect(modules).forEach((owner, ids) -> {
            b.append("## ").append(owner).append("\n\n")
                    .append("| Id | Meaning | What to do |\n|---|---|---|\n");
            for (ErrorId e : ids) {
                b.append("| `").append(e.id()).append("` | ").append(cell(e.meaning())).append(" | ")
                        .append(cell(e.action())).append(" |\n");
            }
            b.append('\n');
        });
        return b.toString();
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
