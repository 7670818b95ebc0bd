package dev.cairn.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code promtool check metrics} (Debian package prometheus) on an exposition. */
final class Promtool {

    record Result(int exitCode, List<String> lines) {
    }

    /** docs/monitoring/promtool-allowlist.txt: the findings accepted, one regex per line. */
    static final Path ALLOWLIST = Path.of("../../docs/monitoring/promtool-allowlist.txt");

    private Promtool() {
    }

    /** The lines of {@code result} that no pattern of the allow-list matches. */
    static List<String> unexpected(Result result) throws IOException {
        List<Pattern> allowed = Files.readAllLines(ALLOWLIST).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).map(Pattern::compile).toList();
        return result.lines().stream().filter(l -> allowed.stream().noneMatch(p -> p.matcher(l).matches())).toList();
    }

    static Result checkMetrics(String exposition) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is required for this test (apt-get install prometheus): " + e, e);
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("promtool did not finish within 30s");
        }
        return new Result(p.exitValue(), out.lines().filter(l -> !l.isBlank()).toList());
    }
}
