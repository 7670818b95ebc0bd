package dev.cairn.backup.sla;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.cairn.backup.BackupModule;
import dev.cairn.backup.schedule.Schedule;
import dev.cairn.core.config.ConfigError;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SLA checks as {@code cairn check} runs them: the host's loader with the backup module. */
class SlaRulesTest {

    @TempDir
    Path dir;

    List<String> check(String name, String yaml) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, yaml);
        try {
            new ConfigLoader(ModuleRegistry.of(new BackupModule()), Map.of()).load(file, null);
            return List.of();
        } catch (ConfigException e) {
            return e.errors().stream().map(ConfigError::toString).map(s -> s.replace(dir + "/", "")).toList();
        }
    }

    @Test
    void seed003sTableAsConfigPassesCairnCheck() throws Exception {
        String example = Files.readString(Path.of("../../config/examples/backup-sla.yml"));
        Files.createDirectories(dir.resolve("secrets"));
        for (String s : List.of("mysql-backup.password", "influx.token", "grafana.token")) Files.writeString(dir.resolve("secrets/" + s), "x\n");
        assertThat(check("backup-sla.yml", example)).isEmpty();
    }

    @Test
    void impossibleSlasAreRefusedAtTheirLine() throws Exception {
        String yaml = """
                backup:
                  repositories:
                    local: { path: repo, key_file: key, create: true }
                  jobs:
                    db:
                      repository: local
                      schedule: daily 02:00
                      keep: { weekly: 4 }
                      source:
                        mysql: { host: 127.0.0.1:3306, databases: [app], user: backup }
                      sla:
                        rpo: 12h
                        versions: 6
                        verify: restore-test
                    grafana:
                      repository: local
                      schedule: "0 5 1 * *"
                      keep: { within: 30d }
                      source:
                        command: { run: [grafana-backup], stdout_as: grafana.json }
                      sla:
                        versions: 3
                        verify: structure
                        rto: 5m
                    dump:
                      repository: local
                      schedule: hourly
                      source:
                        command: { run: [pg_dump, -Fc, app], stdout_as: app.dump }
                      sla:
                        verify: { mode: restore-test }
                    adhoc:
                      repository: local
                      schedule: manual
                      source:
                        directory: { paths: [.] }
                      sla: { rpo: 1d }
                """;
        assertThat(check("cairn.yml", yaml)).containsExactly(
                "cairn.yml:12:14: backup.jobs.db.sla.rpo: CAIRN-BACKUP-0401: rpo 12h is shorter than the schedule 'daily 02:00' allows"
                        + " (up to 1d between runs): run more often or promise less",
                "cairn.yml:13:19: backup.jobs.db.sla.versions: CAIRN-BACKUP-0401: versions 6 but the job's keep rules leave as few as 4"
                        + " snapshot(s) of schedule 'daily 02:00': keep more or promise fewer versions",
                "cairn.yml:14:17: backup.jobs.db.sla.verify.mode: CAIRN-BACKUP-0401: restore-test of a mysql source needs a way to restore it:"
                        + " set sla.verify.scratch (a throwaway server to load the dump into)",
                "cairn.yml:22:19: backup.jobs.grafana.sla.versions: CAIRN-BACKUP-0401: versions 3 but the job's keep rules leave as few as 1"
                        + " snapshot(s) of schedule '0 5 1 * *': keep more or promise fewer versions",
                "cairn.yml:24:14: backup.jobs.grafana.sla.rto: CAIRN-BACKUP-0401: an rto is measured only by restoring: set verify: restore-test",
                "cairn.yml:31:25: backup.jobs.dump.sla.verify.mode: CAIRN-BACKUP-0401: restore-test of a command source needs a way to"
                        + " restore it: set source.command.restore (the program that loads its output back)",
                "cairn.yml:37:19: backup.jobs.adhoc.sla.rpo: CAIRN-BACKUP-0401: an rpo needs a schedule: the job runs only on demand");
    }

    @Test
    void partTwoSourcesAreCheckedToo() throws Exception {
        String yaml = """
                backup:
                  repositories:
                    local: { path: repo, key_file: key, create: true }
                  jobs:
                    both:
                      repository: local
                      source:
                        mysql: { cluster: mysql, host: 127.0.0.1:3306, databases: [], user: backup, password_file: nope }
                    cmd:
                      repository: local
                      source:
                        command: { run: [true] }
                    locked:
                      repository: local
                      source:
                        mysql: { host: 127.0.0.1:3306, databases: [app], user: backup, consistency: lock,
                                 lock_wait_timeout: 1500ms, lock_hold_limit: 0s }
                """;
        List<String> errors = check("cairn.yml", yaml);
        assertThat(errors).anyMatch(e -> e.contains("backup.jobs.both.source.mysql.host: set exactly one of cluster and host"))
                .anyMatch(e -> e.contains("no catalog service 'mysql-primary'"))
                .anyMatch(e -> e.contains("backup.jobs.both.source.mysql.databases: list at least one database"))
                .anyMatch(e -> e.contains("backup.jobs.both.source.mysql.password_file: cannot read"))
                .anyMatch(e -> e.contains("backup.jobs.cmd.source.command: set exactly one of stdout_as and produces"))
                .anyMatch(e -> e.contains("backup.jobs.locked.source.mysql.lock_wait_timeout: whole seconds, at least 1s"))
                .anyMatch(e -> e.contains("backup.jobs.locked.source.mysql.lock_hold_limit: must be positive"));
        assertThat(errors).allMatch(e -> e.matches("cairn\\.yml:\\d+:\\d+: .*"));
        assertThat(check("cairn.yml", """
                backup:
                  repositories:
                    local: { path: repo, key_file: key, create: true }
                  jobs:
                    typo:
                      repository: local
                      source:
                        mysql: { host: 127.0.0.1:3306, databases: [app], user: backup, consistency: locked }
                """)).singleElement().asString().startsWith("cairn.yml:8:")
                .contains("backup.jobs.typo.source.mysql.consistency: 'locked' is not one of auto, lock, snapshot");
    }

    @Test
    void theRpoIsHeldAgainstTheLongestGapOfTheSchedule() {
        ZoneId utc = ZoneId.of("UTC");
        assertThat(SlaRules.longestGap(Schedule.parse("daily 02:00"), utc)).hasHours(24);
        assertThat(SlaRules.longestGap(Schedule.parse("0 5 1 * *"), utc)).hasDays(31);
        assertThat(SlaRules.longestGap(Schedule.parse("0 */6 * * 1-5"), utc)).hasHours(54);
        assertThat(SlaRules.longestGap(Schedule.parse("every 15m"), utc)).hasMinutes(15);
        // A DST change makes one day of a local-time schedule 25 hours long.
        assertThat(SlaRules.longestGap(Schedule.parse("daily 02:30"), ZoneId.of("Europe/Tallinn"))).hasHours(25);
    }
}
