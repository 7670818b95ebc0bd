package dev.cairn.backup.source;

import dev.cairn.backup.source.command.CommandSource;
import dev.cairn.backup.source.command.CommandSourceConfig;
import dev.cairn.backup.source.grafana.GrafanaSource;
import dev.cairn.backup.source.grafana.GrafanaSourceConfig;
import dev.cairn.backup.source.mysql.MysqlDumpSource;
import dev.cairn.backup.source.mysql.MysqlSourceConfig;
import dev.cairn.backup.source.prometheus.PrometheusSnapshotSource;
import dev.cairn.backup.source.prometheus.PrometheusSourceConfig;
import dev.cairn.spi.ValidationContext;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.config.ConfigProblems;
import java.nio.file.Path;

/**
 * The source kinds beyond directory trees (mysql, command, prometheus, grafana): how many a
 * job's {@code source} sets, building one, and the checks {@code cairn check} runs on them.
 */
public final class StreamedSources {

    private StreamedSources() {
    }

    /** How many of the part-2 kinds are set. */
    public static int kinds(MysqlSourceConfig mysql, CommandSourceConfig command, PrometheusSourceConfig prometheus,
                            GrafanaSourceConfig grafana) {
        return (mysql != null ? 1 : 0) + (command != null ? 1 : 0) + (prometheus != null ? 1 : 0) + (grafana != null ? 1 : 0);
    }

    /** The source for the kind that is set, or null when none is. */
    public static Source create(MysqlSourceConfig mysql, CommandSourceConfig command, PrometheusSourceConfig prometheus,
                                GrafanaSourceConfig grafana, Path configDir, Catalog catalog) {
        if (mysql != null) return new MysqlDumpSource(mysql, configDir, catalog);
        if (command != null) return new CommandSource(command, configDir);
        if (prometheus != null) return new PrometheusSnapshotSource(prometheus, configDir);
        if (grafana != null) return new GrafanaSource(grafana, configDir);
        return null;
    }

    public static void validate(MysqlSourceConfig mysql, CommandSourceConfig command, PrometheusSourceConfig prometheus,
                                GrafanaSourceConfig grafana, ValidationContext vc) {
        ConfigProblems p = vc.problems();
        if (mysql != null) {
            if ((mysql.cluster() == null) == (mysql.host() == null)) {
                p.error(mysql, mysql.cluster() == null ? null : "host", "set exactly one of cluster and host");
            }
            if (mysql.cluster() != null) {
                for (String svc : java.util.List.of(mysql.primaryService(), mysql.replicaService())) {
                    if (!vc.serviceNames().contains(svc)) {
                        p.error(mysql, "cluster", "no catalog service '" + svc + "' (published by the replication module)");
                    }
                }
            } else if (mysql.from() == MysqlSourceConfig.From.REPLICA && mysql.fallbackToPrimary()) {
                p.error(mysql, "fallback_to_primary", "only applies with cluster");
            }
            if (mysql.lockWaitTimeout() != null && (mysql.lockWaitTimeout().getSeconds() < 1 || mysql.lockWaitTimeout().getNano() != 0)) {
                p.error(mysql, "lock_wait_timeout", "whole seconds, at least 1s (it is the server's lock_wait_timeout)");
            }
            if (mysql.lockHoldLimit() != null && (mysql.lockHoldLimit().isNegative() || mysql.lockHoldLimit().isZero())) {
                p.error(mysql, "lock_hold_limit", "must be positive");
            }
            if (mysql.databases().isEmpty()) p.error(mysql, "databases", "list at least one database");
            for (String d : mysql.databases()) {
                if (d.isBlank() || d.contains(",") || d.contains("`")) p.error(mysql, "databases", "'" + d + "' is not a database name");
            }
            if (mysql.passwordFile() != null && !java.nio.file.Files.isReadable(vc.resolve(mysql.passwordFile()))) {
                p.error(mysql, "password_file", "cannot read " + vc.resolve(mysql.passwordFile()));
            }
        }
        if (command != null) {
            if (command.run().isEmpty()) p.error(command, "run", "give the program and its arguments");
            if ((command.stdoutAs() == null) == (command.produces() == null)) {
                p.error(command, command.stdoutAs() == null ? null : "produces", "set exactly one of stdout_as and produces");
            }
            if (command.stdoutAs() != null && (command.stdoutAs().isBlank() || command.stdoutAs().startsWith("/")
                    || command.stdoutAs().contains(".."))) {
                p.error(command, "stdout_as", "a relative file name without '..'");
            }
            command.envFiles().forEach((k, f) -> {
                if (!java.nio.file.Files.isReadable(vc.resolve(f))) p.error(command, "env_files", k + ": cannot read " + vc.resolve(f));
            });
            if (command.restore() != null && !command.restore().isEmpty() && command.stdoutAs() == null) {
                p.error(command, "restore", "restore loads a stdout_as file back: it needs stdout_as");
            }
        }
        if (prometheus != null && !prometheus.url().matches("https?://.+")) {
            p.error(prometheus, "url", "an http:// or https:// URL");
        }
        if (grafana != null && !grafana.url().matches("https?://.+")) {
            p.error(grafana, "url", "an http:// or https:// URL");
        }
    }
}
