package dev.cairn.metrics;

import dev.cairn.spi.error.ErrorId;

/** The metrics module's error ids. */
public enum MetricsErrors implements ErrorId {
    PATH_INVALID("CAIRN-METRICS-0001", "metrics.path does not start with '/' or contains '?', '#' or spaces.",
            "Write a plain URL path such as /metrics."),
    EXCLUDE_REGEX_INVALID("CAIRN-METRICS-0002", "An *_exclude key is not a valid (Java) regular expression.",
            "Fix the expression (quote it in single quotes so YAML keeps the backslashes)."),
    METRIC_NAME_TAKEN("CAIRN-METRICS-0003", "Another module (or the host) already registered a metric name this module owns (cairn_build_info, jvm_*, process_*, node_*).",
            "A bug in the other module: report it; until then turn that module off to start the metrics module."),
    LISTEN_FAILED("CAIRN-METRICS-0004", "metrics.listen cannot be bound (address in use, not local, no permission).",
            "Free the port (ss -ltnp), pick another listen address, or run with the permission to bind it.");

    private final String id;
    private final String meaning;
    private final String action;

    MetricsErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
