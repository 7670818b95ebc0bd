package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void aTerminalGetsABarWithBytesFilesAndEtaAPipeGetsNothingForShortRuns() throws Exception {
        ByteArrayOutputStream tty = new ByteArrayOutputStream();
        BackupCli.Progress bar = new BackupCli.Progress(true, new PrintStream(tty, true, StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline && !tty.toString(StandardCharsets.UTF_8).contains("ETA")) {
            bar.show(512L << 20, 2048L << 20, 120, 500);
        }
        bar.done();
        String out = tty.toString(StandardCharsets.UTF_8);
        assertThat(out).startsWith("\r[#######").contains(" 25% 512.0 MiB / 2.0 GiB, 120/500 files ETA ").endsWith("\n");

        ByteArrayOutputStream pipe = new ByteArrayOutputStream();
        BackupCli.Progress plain = new BackupCli.Progress(false, new PrintStream(pipe, true, StandardCharsets.UTF_8));
        plain.show(1, 2, 1, 2);
        plain.done();
        assertThat(pipe.size()).isZero();
    }
}
