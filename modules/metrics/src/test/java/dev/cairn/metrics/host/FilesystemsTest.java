package dev.cairn.metrics.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.metrics.host.Filesystems.Mount;
import dev.cairn.metrics.host.Filesystems.Statfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemsTest {

    private static final Duration TIMEOUT = Duration.ofMillis(200);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(20);
    private static final Mount ROOT = new Mount("/dev/vda", "/", "ext4", false);
    private static final Mount NFS = new Mount("nfs:/export", "/hang", "nfs4", false);

    @TempDir
    Path dir;

    @Test
    void statfsOfRootMatchesStat() throws Exception {
        try (Filesystems fs = new Filesystems()) {
            Statfs root = fs.statfs(List.of(ROOT)).get(ROOT);
            assertThat(root).isNotNull();
            assertThat(root.blockSize()).isPositive();
            assertThat(root.blocks()).isGreaterThanOrEqualTo(root.blocksFree());
            assertThat(root.blocksFree()).isGreaterThanOrEqualTo(root.blocksAvailable());
            assertThat(root.files()).isGreaterThanOrEqualTo(root.filesFree());
        }
    }

    @Test
    void aHungMountIsAnErrorAndIsNotProbedAgainUntilItsProbeEnds() throws Exception {
        // Stands in for statfs on a dead NFS server: /hang answers (with the root's statfs) only
        // once its probe has slept past the timeout while the marker file exists.
        // Each probe of /hang leaves a line in the calls file, so "not probed again" is counted, not timed.
        Path marker = Files.createFile(dir.resolve("hung"));
        Path calls = dir.resolve("calls");
        String format = "'%s %b %f %a %c %d'";
        List<String> probe = List.of("sh", "-c",
                "case \"$1\" in /hang) echo probe >> '" + calls + "'; [ -e '" + marker + "' ] && sleep 1;"
                        + " exec stat -f -c " + format + " -- / ;;"
                        + " *) exec stat -f -c " + format + " -- \"$1\" ;; esac",
                "probe");
        try (Filesystems fs = new Filesystems(probe, TIMEOUT)) {
            Map<Mount, Statfs> first = fs.statfs(List.of(ROOT, NFS));
            assertThat(first.get(ROOT)).isNotNull();
            assertThat(first).containsEntry(NFS, null);

            long started = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!(Files.exists(calls) && Files.readAllLines(calls).size() == 1) && System.nanoTime() < started) {
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
            Files.delete(marker);
            Map<Mount, Statfs> second = fs.statfs(List.of(ROOT, NFS));
            assertThat(Files.readAllLines(calls)).as("no new probe of the hung mount while its first one runs").hasSize(1);
            assertThat(second.get(ROOT)).isNotNull();
            assertThat(second).containsEntry(NFS, null);

            // Once the hung probe ends, the mount is probed again and answers.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Statfs recovered = null;
            while (recovered == null && System.nanoTime() < deadline) {
                recovered = fs.statfs(List.of(NFS)).get(NFS);
                if (recovered == null) Thread.sleep(POLL_INTERVAL.toMillis());
            }
            assertThat(recovered).isNotNull();
        }
    }

    @Test
    void aFailingStatfsIsAnErrorForThatMountOnly() throws Exception {
        Mount gone = new Mount("tmpfs", dir.resolve("does-not-exist").toString(), "tmpfs", false);
        try (Filesystems fs = new Filesystems()) {
            Map<Mount, Statfs> result = fs.statfs(List.of(gone, ROOT));
            assertThat(result).containsEntry(gone, null);
            assertThat(result.get(ROOT)).isNotNull();
        }
    }
}
