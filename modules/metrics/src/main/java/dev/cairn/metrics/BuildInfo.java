package dev.cairn.metrics;

import io.prometheus.metrics.core.metrics.Info;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * {@code cairn_build_info{version,revision,java_version} 1}: which build runs where. The version
 * and git revision come from build.properties, filled in by Maven resource filtering (the
 * revision from {@code -Dcairn.revision}, "unknown" in a plain build).
 */
record BuildInfo(String version, String revision, String javaVersion) {

    static final String METRIC = "cairn_build_info";
    private static final String RESOURCE = "/dev/cairn/metrics/build.properties";

    static BuildInfo current() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // A missing or unreadable resource only costs the labels their value.
        }
        return new BuildInfo(resolved(p.getProperty("version")), resolved(p.getProperty("revision")),
                System.getProperty("java.version", "unknown"));
    }

    /** An unfiltered placeholder (running from an IDE without Maven) is reported as unknown. */
    private static String resolved(String value) {
        return value == null || value.isBlank() || value.startsWith("${") ? "unknown" : value.trim();
    }

    /** A new, unregistered info metric carrying these values. */
    Info toMetric() {
        Info info = Info.builder()
                .name(METRIC)
                .help("Cairn build: version, git revision and the Java version it runs on; always 1.")
                .labelNames("version", "revision", "java_version")
                .build();
        info.setLabelValues(version, revision, javaVersion);
        return info;
    }
}
