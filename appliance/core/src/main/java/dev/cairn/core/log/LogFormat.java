package dev.cairn.core.log;

/** How log lines are written to stdout. */
public enum LogFormat {
    /** {@code 2026-11-22T16:50:00.123Z INFO  core  message key=value}. */
    HUMAN,
    /** One JSON object per line: ts, level, module, logger, thread, msg, error_id, error. */
    JSON
}
