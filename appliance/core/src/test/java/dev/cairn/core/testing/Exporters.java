package dev.cairn.core.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * For the drop-in tests that compare Cairn's compatible metric families with the incumbent's own
 * exporter (node_exporter, HAProxy's built-in exporter): runs the incumbent as a child process,
 * scrapes a text exposition, and reduces it to the shape a dashboard depends on (family name,
 * type, label names).
 */
public final class Exporters {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Exporters() {
    }

    /**
     * bind_exporter's families (the ones with data on an authoritative server). bind_exporter is
     * not packaged in Debian, so it cannot run beside Cairn: this is its table, read from its source
     * (prometheus-community/bind_exporter, bind_exporter.go at commit
     * 74dfab7cfc82ef11ad99e62a988221c0eb2420ec, the {@code prometheus.NewDesc} calls).
     */
    public static final Map<String, Family> BIND_EXPORTER = Map.ofEntries(
            family("bind_up", "gauge"),
            family("bind_boot_time_seconds", "gauge"),
            family("bind_config_time_seconds", "gauge"),
            family("bind_incoming_queries_total", "counter", "type"),
            family("bind_incoming_requests_total", "counter", "opcode"),
            family("bind_responses_total", "counter", "result"),
            family("bind_response_rcodes_total", "counter", "rcode"),
            family("bind_query_errors_total", "counter", "error"),
            family("bind_query_duplicates_total", "counter"),
            family("bind_query_recursions_total", "counter"),
            family("bind_zone_transfer_success_total", "counter"),
            family("bind_zone_transfer_failure_total", "counter"),
            family("bind_zone_transfer_rejected_total", "counter"),
            family("bind_tasks_running", "gauge"),
            family("bind_worker_threads", "gauge"),
            // bind_exporter writes a counter without _total; the Java client cannot, so Cairn's is a gauge (see BindMetrics).
            family("bind_zone_serial", "gauge", "view", "zone_name"));

    private static Map.Entry<String, Family> family(String name, String type, String... labels) {
        return Map.entry(name, new Family(name, type, new TreeSet<>(List.of(labels))));
    }

    /** One family as a dashboard sees it: the name queried, its TYPE, the label names of its samples. */
    public record Family(String name, String type, SortedSet<String> labels) {
    }

    /** Families by name, from {@code # TYPE} lines and the samples under them (histogram suffixes and le/quantile folded). */
    public static Map<String, Family> families(String exposition) {
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, SortedSet<String>> labels = new LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] t = line.substring(7).trim().split("\\s+");
                types.put(t[0], t[1]);
                labels.putIfAbsent(t[0], new TreeSet<>());
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) continue;
            Matcher m = SAMPLE.matcher(line);
            if (!m.find()) continue;
            String name = familyOf(m.group(1), types);
            SortedSet<String> names = labels.computeIfAbsent(name, n -> new TreeSet<>());
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    if (!l.group(1).equals("le") && !l.group(1).equals("quantile")) names.add(l.group(1));
                }
            }
        }
        Map<String, Family> out = new LinkedHashMap<>();
        labels.forEach((name, l) -> out.put(name, new Family(name, types.getOrDefault(name, "untyped"), l)));
        return out;
    }

    private static String familyOf(String sample, Map<String, String> types) {
        for (String suffix : new String[] {"_bucket", "_sum", "_count", "_created"}) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                if (types.containsKey(base)) return base;
            }
        }
        return sample;
    }

    /** The body of GET {@code url}; fails on anything but 200. */
    public static String scrape(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("GET " + url + ": HTTP " + r.statusCode());
        return r.body();
    }

    /** An incumbent exporter run as a child process; output goes to a log file. */
    public static final class Incumbent implements AutoCloseable {
        private final Process process;
        private final Path log;

        private Incumbent(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        /** Starts {@code command} and waits until {@code url} answers 200 (30 s at most). */
        public static Incumbent start(Path dir, String url, String... command) throws Exception {
            Path log = Files.createTempFile(dir, command[0].replaceAll(".*/", ""), ".log");
            Process p;
            try {
                p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new AssertionError(command[0] + " is required for this test (scripts/packages.txt): " + e, e);
            }
            Incumbent incumbent = new Incumbent(p, log);
            try {
                TestHost.await(Duration.ofSeconds(30), command[0] + " serving " + url, () -> {
                    if (!p.isAlive()) throw new AssertionError(command[0] + " exited: " + incumbent.log());
                    try {
                        scrape(url);
                        return true;
                    } catch (IOException e) {
                        return false;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
            } catch (RuntimeException | Error | InterruptedException e) {
                incumbent.close();
                throw e;
            }
            return incumbent;
        }

        public String log() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }

    /** Names of {@code families} that start with {@code prefix}, in order. */
    public static List<String> namesWithPrefix(Map<String, Family> families, String prefix) {
        List<String> out = new ArrayList<>();
        for (String n : families.keySet()) {
            if (n.startsWith(prefix)) out.add(n);
        }
        return out;
    }
}
