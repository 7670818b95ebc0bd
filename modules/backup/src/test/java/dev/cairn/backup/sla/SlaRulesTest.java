package dev.cairn.backup.sla;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.source.command.CommandSourceConfig;
import dev.cairn.backup.source.grafana.GrafanaSourceConfig;
import dev.cairn.backup.source.mysql.MysqlSourceConfig;
import dev.cairn.backup.source.prometheus.PrometheusSourceConfig;
import dev.cairn.core.config.ConfigBinder;
import dev.cairn.core.config.ConfigError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * The SLA checks of {@code cairn check}, through the host's own strict binder (so errors carry
 * file:line:col and key path). The jobs are bound to records shaped like part 1's
 * {@code backup.jobs} (built on the backup-engine branch) plus the part-2 source kinds and
 * {@code sla}; the real {@code cairn check} wiring follows when both branches meet.
 */
class SlaRulesTest {

    record Dir(List<Path> paths) {
    }

    record Src(Dir directory, MysqlSourceConfig mysql, CommandSourceConfig command, PrometheusSourceConfig prometheus,
               GrafanaSourceConfig grafana) {
    }

    record Job(Src source, String schedule, String timezone, String repository, RetentionModel keep, SlaConfig sla) {
    }

    record Repo(Path path, Path keyFile, boolean create) {
    }

    record Backup(Map<String, Repo> repositories, Map<String, Job> jobs) {
    }

    static SlaRules.SourceFacts facts(Job j) {
        Src s = j.source();
        if (s.mysql() != null) {
            boolean scratch = j.sla() != null && j.sla().verify() != null && j.sla().verify().scratch() != null;
            return new SlaRules.SourceFacts("mysql", scratch ? null : "set sla.verify.scratch (a throwaway server to load the dump into)");
        }
        if (s.command() != null) {
            boolean restorable = s.command().produces() != null || !s.command().restore().isEmpty();
            return new SlaRules.SourceFacts("command", restorable ? null : "set source.command.restore (the program that loads its output back)");
        }
        if (s.grafana() != null) return new SlaRules.SourceFacts("grafana", "restoring into a scratch Grafana is not built yet");
        return new SlaRules.SourceFacts(s.prometheus() != null ? "prometheus" : "directory", null);
    }

    static List<String> check(String label, String yaml) {
        LoadSettings settings = LoadSettings.builder().setLabel(label).build();
        Node root = new Composer(settings, new ParserImpl(settings, new StreamReader(settings, yaml))).getSingleNode().orElseThrow();
        Node section = null;
        for (NodeTuple t : ((MappingNode) root).getValue()) {
            if (((ScalarNode) t.getKeyNode()).getValue().equals("backup")) section = t.getValueNode();
        }
        ConfigBinder binder = new ConfigBinder(label, Map.of());
        Backup b = (Backup) binder.bind(section, Backup.class, "backup");
        if (b != null) {
            for (Job j : b.jobs().values()) {
                ZoneId zone = ZoneId.of(j.timezone() == null ? "UTC" : j.timezone());
                SlaRules.validate(j.sla(), j.schedule(), zone, j.keep(), facts(j), binder);
            }
        }
        return binder.errors().stream().map(ConfigError::toString).toList();
    }

    @Test
    void seed003sTableAsConfigPassesTheChecks() throws Exception {
        Path example = Path.of("../../config/examples/backup-sla.yml");
        assertThat(check("backup-sla.yml", Files.readString(example))).isEmpty();
    }

    @Test
    void impossibleSlasAreRefusedAtTheirLine() {
        String yaml = """
                backup:
                  jobs:
                    db:
                      schedule: daily 02:00
                      keep: { weekly: 4 }
                      source:
                        mysql: { host: 127.0.0.1:3306, databases: [app], user: backup }
                      sla:
                        rpo: 12h
                        versions: 6
                        verify: restore-test
                    grafana:
                      schedule: monthly 1 05:00
                      keep: { within: 30d }
                      source:
                        command: { run: [grafana-backup], stdout_as: grafana.json }
                      sla:
                        versions: 3
                        verify: structure
                        rto: 5m
                    dump:
                      schedule: hourly
                      source:
                        command: { run: [pg_dump, -Fc, app], stdout_as: app.dump }
                      sla:
                        verify: { mode: restore-test }
                """;
        assertThat(check("cairn.yml", yaml)).containsExactly(
                "cairn.yml:9:14: backup.jobs.db.sla.rpo: CAIRN-BACKUP-0401: rpo 12h is shorter than the schedule 'daily 02:00' allows"
                        + " (up to 1d between runs): run more often or promise less",
                "cairn.yml:10:19: backup.jobs.db.sla.versions: CAIRN-BACKUP-0401: versions 6 but the job's keep rules leave as few as 4"
                        + " snapshot(s) of schedule 'daily 02:00': keep more or promise fewer versions",
                "cairn.yml:11:17: backup.jobs.db.sla.verify.mode: CAIRN-BACKUP-0401: restore-test of a mysql source needs a way to restore it:"
                        + " set sla.verify.scratch (a throwaway server to load the dump into)",
                "cairn.yml:18:19: backup.jobs.grafana.sla.versions: CAIRN-BACKUP-0401: versions 3 but the job's keep rules leave as few as 1"
                        + " snapshot(s) of schedule 'monthly 1 05:00': keep more or promise fewer versions",
                "cairn.yml:20:14: backup.jobs.grafana.sla.rto: CAIRN-BACKUP-0401: an rto is measured only by restoring: set verify: restore-test",
                "cairn.yml:26:25: backup.jobs.dump.sla.verify.mode: CAIRN-BACKUP-0401: restore-test of a command source needs a way to"
                        + " restore it: set source.command.restore (the program that loads its output back)");
    }

    @Test
    void theRpoIsHeldAgainstTheLongestGapOfTheSchedule() {
        ZoneId utc = ZoneId.of("UTC");
        assertThat(ScheduleModel.parse("daily 02:00").longestGap(utc)).hasHours(24);
        assertThat(ScheduleModel.parse("monthly 1 05:00").longestGap(utc)).hasDays(31);
        assertThat(ScheduleModel.parse("0 */6 * * 1-5").longestGap(utc)).hasHours(54);
        assertThat(ScheduleModel.parse("every 15m").longestGap(utc)).hasMinutes(15);
        // A DST change makes one day of a local-time schedule 25 hours long.
        assertThat(ScheduleModel.parse("daily 02:30").longestGap(ZoneId.of("Europe/Tallinn"))).hasHours(25);
    }
}
