package dev.cairn.dns.zone;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Tokenizer;

/**
 * Reads zone sources with dnsjava's {@link Master} (RFC 1035 syntax with $ORIGIN, $TTL,
 * $INCLUDE and $GENERATE) and remembers where each record was written, so that later checks
 * can report {@code file:line} as named-checkzone does.
 *
 * <p>dnsjava does not expose the line of a record; it is read from the tokenizer's private
 * {@code line} field when the JVM allows it, and left out otherwise. Stateless and thread-safe.
 */
public final class ZoneSourceReader {

    /** TTL of records that give none when the file has no $TTL (BIND's default is the SOA minimum; 1h is what most files mean). */
    public static final long DEFAULT_TTL_SECONDS = 3600;

    private static final Field MASTER_TOKENIZER = field(Master.class, "st");
    private static final Field MASTER_INCLUDED = field(Master.class, "included");
    private static final Field MASTER_FILE = field(Master.class, "file");
    private static final Field TOKENIZER_LINE = field(Tokenizer.class, "line");

    /** Records read and problems found; the records are usable only when {@code problems} is empty. */
    public record Result(List<SourcedRecord> records, List<ZoneProblem> problems) {
    }

    private ZoneSourceReader() {
    }

    /** Reads a zone file; relative $INCLUDE paths resolve against the file's directory. */
    public static Result readFile(Path file, Name origin) {
        List<SourcedRecord> out = new ArrayList<>();
        List<ZoneProblem> problems = new ArrayList<>();
        String label = file.toString();
        if (!Files.isRegularFile(file)) {
            problems.add(new ZoneProblem(label, "cannot read zone file: " + (Files.exists(file) ? "not a regular file" : "no such file")));
            return new Result(out, problems);
        }
        // Master resolves $INCLUDE against the including file's parent directory when it was opened by File.
        try (Master m = new Master(file.toString(), origin, DEFAULT_TTL_SECONDS)) {
            read(m, label, out, problems);
        } catch (IOException e) {
            problems.add(new ZoneProblem(label, e.getMessage()));
        }
        return new Result(out, problems);
    }

    /** Reads inline records, one per list entry; names are relative to {@code origin}. */
    public static Result readInline(List<String> lines, Name origin) {
        List<SourcedRecord> out = new ArrayList<>();
        List<ZoneProblem> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String where = "records[" + i + "]";
            String line = lines.get(i);
            if (line.startsWith("$")) {
                problems.add(new ZoneProblem(where, "directives ($INCLUDE, $ORIGIN, ...) belong in a zone file"));
                continue;
            }
            try (Master m = new Master(new ByteArrayInputStream((line + "\n").getBytes(StandardCharsets.UTF_8)),
                    origin, DEFAULT_TTL_SECONDS)) {
                m.disableIncludes();
                int before = out.size();
                Record r;
                while ((r = m.nextRecord()) != null) {
                    out.add(new SourcedRecord(r, where));
                }
                if (out.size() == before) {
                    problems.add(new ZoneProblem(where, "no record in '" + line + "'"));
                }
            } catch (IOException | RuntimeException e) {
                problems.add(new ZoneProblem(where, stripLocation(e.getMessage()) + " in '" + line + "'"));
            }
        }
        return new Result(out, problems);
    }

    private static void read(Master m, String label, List<SourcedRecord> out, List<ZoneProblem> problems) {
        while (true) {
            Record r;
            try {
                r = m.nextRecord();
            } catch (IOException | RuntimeException e) {
                problems.add(new ZoneProblem(where(m, label, 0), stripLocation(e.getMessage())));
                // Master cannot resume after an error: report the first, like named-checkzone.
                return;
            }
            if (r == null) return;
            // The tokenizer has consumed the record's end of line: the record ends on the line before.
            out.add(new SourcedRecord(r, where(m, label, -1)));
        }
    }

    /** {@code file:line} of the record just read (the innermost $INCLUDE'd file). */
    private static String where(Master m, String label, int adjust) {
        try {
            Master cur = m;
            String file = label;
            while (true) {
                Master inner = (Master) get(MASTER_INCLUDED, cur);
                if (inner == null) break;
                cur = inner;
                File f = (File) get(MASTER_FILE, inner);
                if (f != null) file = f.getPath();
            }
            Tokenizer st = (Tokenizer) get(MASTER_TOKENIZER, cur);
            Object line = st == null ? null : get(TOKENIZER_LINE, st);
            return line == null ? file : file + ":" + Math.max(1, (Integer) line + adjust);
        } catch (RuntimeException e) {
            return label;
        }
    }

    /** dnsjava prefixes messages with {@code file:line:}; ours already says where. */
    static String stripLocation(String msg) {
        if (msg == null) return "syntax error";
        String s = msg.replaceFirst("^<none>:\\d+:\\s*", "");
        s = s.replaceFirst("^\\S+:\\d+:\\s*", "");
        return s.isBlank() ? msg : s;
    }

    private static Field field(Class<?> c, String name) {
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Object get(Field f, Object target) {
        if (f == null) return null;
        try {
            return f.get(target);
        } catch (IllegalAccessException e) {
            return null;
        }
    }
}
