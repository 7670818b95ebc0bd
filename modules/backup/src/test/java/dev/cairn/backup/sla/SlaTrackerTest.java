package dev.cairn.backup.sla;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.Metrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SlaTrackerTest {

    /** A clock a test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-12-01T02:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static double v(PrometheusRegistry r, String name, String... labels) {
        return Metrics.value(r, name, labels);
    }

    @Test
    void anRpoMissBreaksTheSlaAtTheNextScrapeWithoutABackupRun() {
        TestClock clock = new TestClock();
        SlaTracker t = new SlaTracker("mysql", new SlaConfig(Duration.ofHours(26), 1, null, null), null, clock);
        PrometheusRegistry registry = new PrometheusRegistry();
        try (SlaMetrics m = new SlaMetrics(registry)) {
            m.add(t);
            t.backedUp("s1", clock.instant(), 0);
            t.verified("s1", true, "structure");
            assertThat(t.met()).isTrue();
            assertThat(v(registry, "cairn_backup_sla_met", "backup_job", "mysql", "reason", "rpo")).isEqualTo(1.0);
            assertThat(v(registry, "cairn_backup_rpo_seconds", "backup_job", "mysql")).isEqualTo(93600.0);
            assertThat(v(registry, "cairn_backup_versions_verified", "backup_job", "mysql")).isEqualTo(1.0);
            clock.now = clock.now.plus(Duration.ofHours(27));
            assertThat(t.met()).isFalse();
            assertThat(t.breaches()).singleElement().satisfies(b -> {
                assertThat(b.reason()).isEqualTo(SlaTracker.Reason.RPO);
                assertThat(b.message()).isEqualTo("last successful backup 27h ago, rpo 26h");
            });
            assertThat(v(registry, "cairn_backup_sla_met", "backup_job", "mysql", "reason", "rpo")).isEqualTo(0.0);
            assertThat(v(registry, "cairn_backup_sla_met", "backup_job", "mysql", "reason", "versions")).isEqualTo(1.0);
            assertThat(t.details()).containsEntry("sla_met", false);
        }
    }

    @Test
    void aSnapshotCountsTowardsVersionsOnlyOnceVerifiedAndWhileItExists() {
        TestClock clock = new TestClock();
        SlaTracker t = new SlaTracker("ansible", new SlaConfig(null, 3, null, null), null, clock);
        for (String id : List.of("a", "b", "c")) t.backedUp(id, clock.instant(), 0);
        assertThat(t.verifiedVersions()).isZero();
        t.verified("a", true, "structure");
        t.verified("b", true, "structure");
        assertThat(t.breaches()).extracting(SlaTracker.Breach::reason).containsExactly(SlaTracker.Reason.VERSIONS);
        t.verified("c", true, "read-data 10%");
        assertThat(t.met()).isTrue();
        t.present(List.of("b", "c"));
        assertThat(t.verifiedVersions()).isEqualTo(2);
        assertThat(t.met()).isFalse();
        t.backedUp("d", clock.instant(), 0);
        t.verified("d", false, "pack 3f2a... missing");
        assertThat(t.breaches()).extracting(SlaTracker.Breach::reason)
                .containsExactly(SlaTracker.Reason.VERSIONS, SlaTracker.Reason.VERIFY);
    }

    @Test
    void aJobWhoseDumpWasNotTimedHasNoDumpLockSeries() throws Exception {
        TestClock clock = new TestClock();
        SlaTracker t = new SlaTracker("files", new SlaConfig(Duration.ofDays(1), 1, null, null), null, clock);
        PrometheusRegistry registry = new PrometheusRegistry();
        try (SlaMetrics m = new SlaMetrics(registry)) {
            m.add(t);
            assertThat(v(registry, "cairn_backup_dump_lock_seconds", "backup_job", "files")).as("before any backup").isNaN();
            t.backedUp("s1", clock.instant(), Double.NaN);
            assertThat(v(registry, "cairn_backup_dump_lock_seconds", "backup_job", "files")).as("a directory job's").isNaN();
            t.dumpLockSeconds(0.4);
            assertThat(v(registry, "cairn_backup_dump_lock_seconds", "backup_job", "files")).as("read from the repository").isEqualTo(0.4);
        }
    }

    @Test
    void aRestoreTestSlowerThanTheRtoAndALaggingCopyBreakTheSla() throws Exception {
        TestClock clock = new TestClock();
        SlaTracker t = new SlaTracker("db", new SlaConfig(Duration.ofDays(1), 1,
                new VerifyConfig(VerifyConfig.Mode.RESTORE_TEST, 10, 1, null, null, null), Duration.ofMinutes(5)), null, clock);
        PrometheusRegistry registry = new PrometheusRegistry();
        try (SlaMetrics m = new SlaMetrics(registry)) {
            m.add(t);
            t.backedUp("s1", clock.instant(), 0.25);
            t.restoreTested("s1", true, Duration.ofMinutes(4), "ok");
            t.storeLag("offsite", Duration.ofHours(2));
            assertThat(t.met()).isTrue();
            t.restoreTested("s1", true, Duration.ofMinutes(6), "ok");
            t.storeLag("offsite", Duration.ofHours(30));
            assertThat(t.breaches()).extracting(SlaTracker.Breach::reason).containsExactly(SlaTracker.Reason.RTO, SlaTracker.Reason.COPY);
            assertThat(v(registry, "cairn_backup_restore_test_duration_seconds", "backup_job", "db")).isEqualTo(360.0);
            assertThat(v(registry, "cairn_backup_rto_seconds", "backup_job", "db")).isEqualTo(300.0);
            assertThat(v(registry, "cairn_backup_store_lag_seconds", "backup_job", "db", "store", "offsite")).isEqualTo(108000.0);
            assertThat(v(registry, "cairn_backup_dump_lock_seconds", "backup_job", "db")).isEqualTo(0.25);
            assertThat(v(registry, "cairn_backup_verify_success", "backup_job", "db")).isEqualTo(1.0);
            assertThat(v(registry, "cairn_backup_sla_met", "backup_job", "db", "reason", "rto")).isEqualTo(0.0);
            assertThat(v(registry, "cairn_backup_sla_met", "backup_job", "db", "reason", "copy")).isEqualTo(0.0);
            assertThat(v(registry, "cairn_backup_sla_met", "backup_job", "db", "reason", "rpo")).isEqualTo(1.0);
        }
        assertThat(registry.scrape().size()).isZero();
    }
}
