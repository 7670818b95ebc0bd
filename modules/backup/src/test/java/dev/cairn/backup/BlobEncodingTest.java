package dev.cairn.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.backup.repo.Crypto;
import dev.cairn.backup.repo.Repository;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob is zstd-compressed at the job's level only when that is smaller; otherwise stored as it is. */
class BlobEncodingTest {

    @TempDir
    java.nio.file.Path tmp;

    @Test
    void incompressibleChunksAreStoredUncompressedAndTextIsCompressed() throws Exception {
        RepoFixture fixture = new RepoFixture(tmp);
        byte[] random = new byte[64 * 1024];
        new Random(5).nextBytes(random);
        StringBuilder log = new StringBuilder();
        for (int i = 0; log.length() < 64 * 1024; i++) log.append("2026-12-04T19:").append(i % 60).append(" level=info msg=\"served\"\n");
        byte[] text = log.substring(0, 64 * 1024).getBytes(StandardCharsets.UTF_8);
        try (Repository r = fixture.open()) {
            byte[] rid = r.crypto().blobId(random, 0, random.length);
            byte[] sealedRandom = r.sealBlob(rid, random, 0, random.length, 3);
            assertThat(sealedRandom).as("one encoding byte and the AEAD's nonce and tag, no zstd frame")
                    .hasSize(random.length + 1 + Crypto.OVERHEAD);
            assertThat(r.openBlob(rid, sealedRandom, 0, sealedRandom.length, random.length)).isEqualTo(random);

            byte[] tid = r.crypto().blobId(text, 0, text.length);
            byte[] sealedText = r.sealBlob(tid, text, 0, text.length, 3);
            assertThat(sealedText.length).as("a log compresses").isLessThan(text.length / 4);
            assertThat(r.openBlob(tid, sealedText, 0, sealedText.length, text.length)).isEqualTo(text);
            byte[] level0 = r.sealBlob(tid, text, 0, text.length, 0);
            assertThat(level0).as("compression 0 stores as it is").hasSize(text.length + 1 + Crypto.OVERHEAD);
        }
    }
}
