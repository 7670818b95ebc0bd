package dev.cairn.backup.sla;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.time.Duration;

/**
 * {@code backup.jobs.<name>.sla}: the promises of a backup SLA document (seed 003: coverage,
 * RPO, versions, retention, usability, RTO) as config, each one measured: {@code cairn check}
 * refuses promises the job's schedule, retention or source cannot keep, and the running module
 * reports every broken one (status, {@code cairn_backup_sla_met}).
 */
public record SlaConfig(
        @Doc("recovery point objective: the newest successful snapshot is never older than this")
        Duration rpo,
        @Doc(value = "how many verified snapshots must exist at any time (a snapshot counts once verified)", dflt = "1")
        @Range(min = 1, max = 10000)
        int versions,
        @Doc("how snapshots are proven usable: `structure`, `read-data` or `restore-test` (or a mapping with `mode`, `share`, `every`, `scratch`)")
        VerifyConfig verify,
        @Doc("recovery time objective: a restore test must finish within this (needs `verify: restore-test`)")
        Duration rto) {
}
