package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.sla.SlaConfig;
import dev.cairn.backup.sla.SlaMetrics;
import dev.cairn.backup.sla.SlaTracker;
import dev.cairn.backup.sla.VerifyConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * docs/monitoring/alerts/backup-sla.rules.yml: promtool checks it and runs its unit tests (a
 * firing and a quiet case per alert), its runbook anchors exist, and every metric it uses is
 * one the backup module exports.
 */
class BackupSlaAlertRulesTest {

    static final Path REPO = Path.of("../..").toAbsolutePath().normalize();
    static final Path ALERTS = REPO.resolve("docs/monitoring/alerts");
    static final String RULES = "backup-sla.rules.yml";
    static final String TESTS = "tests/backup-sla.test.yml";

    static String promtool(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> yaml(Path f) throws Exception {
        return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(Files.readString(f));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alerts() throws Exception {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Object g : (List<?>) yaml(ALERTS.resolve(RULES)).get("groups")) {
            for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) out.add((Map<String, Object>) r);
        }
        return out;
    }

    @Test
    void promtoolChecksTheRulesAndEveryUnitTestPasses() throws Exception {
        assertThat(promtool(ALERTS, "check", "rules", RULES)).contains("SUCCESS: 5 rules found");
        assertThat(promtool(ALERTS.resolve("tests"), "test", "rules", Path.of(TESTS).getFileName().toString())).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAFiringAndAQuietCaseAndARunbookHeading() throws Exception {
        Set<String> cases = new HashSet<>();
        for (Object t : (List<?>) yaml(ALERTS.resolve(TESTS)).get("tests")) cases.add(String.valueOf(((Map<?, ?>) t).get("name")));
        List<String> names = alerts().stream().map(a -> String.valueOf(a.get("alert"))).toList();
        assertThat(names).containsExactly("CairnBackupSlaRpoMissed", "CairnBackupSlaVerifyFailed",
                "CairnBackupSlaRestoreSlowerThanRto", "CairnBackupSlaCopyLagging", "CairnBackupSlaMetricsAbsent");
        for (Map<String, Object> a : alerts()) {
            String name = String.valueOf(a.get("alert"));
            assertThat(cases).as(name).contains(name + " fires", name + " stays quiet");
            String url = String.valueOf(((Map<?, ?>) a.get("annotations")).get("runbook_url"));
            assertThat(anchorExists(url)).as(name + ": " + url).isTrue();
        }
    }

    @Test
    void everyMetricTheRulesUseIsExportedByTheModule() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        new BackupMetrics(registry);
        SlaTracker t = new SlaTracker("db", new SlaConfig(Duration.ofDays(1), 1,
                new VerifyConfig(VerifyConfig.Mode.RESTORE_TEST, 10, 1, null, null, null), Duration.ofMinutes(5)), null, Clock.systemUTC());
        t.backedUp("s", Instant.now(), 0);
        t.restoreTested("s", true, Duration.ofSeconds(3), "ok");
        t.storeLag("offsite", Duration.ZERO);
        try (SlaMetrics m = new SlaMetrics(registry)) {
            m.add(t);
            Set<String> exported = new TreeSet<>();
            for (MetricSnapshot s : registry.scrape()) exported.add(s.getMetadata().getPrometheusName());
            Set<String> used = new TreeSet<>();
            Matcher mm = Pattern.compile("cairn_backup_[a-z_]+").matcher(Files.readString(ALERTS.resolve(RULES)));
            while (mm.find()) used.add(mm.group());
            assertThat(used).hasSizeGreaterThan(6);
            assertThat(exported).containsAll(used);
        }
    }

    static boolean anchorExists(String url) throws Exception {
        int hash = url.indexOf('#');
        if (!url.startsWith("docs/runbooks/") || hash < 0) return false;
        Path file = REPO.resolve(url.substring(0, hash));
        if (!Files.isRegularFile(file)) return false;
        for (String line : Files.readAllLines(file)) {
            if (!line.startsWith("#")) continue;
            String slug = line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").replace(' ', '-');
            if (slug.equals(url.substring(hash + 1))) return true;
        }
        return false;
    }
}
