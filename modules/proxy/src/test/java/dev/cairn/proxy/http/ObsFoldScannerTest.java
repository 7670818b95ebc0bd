package dev.cairn.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scanner's framing, fed byte streams in pieces as a connection would deliver them. */
class ObsFoldScannerTest {

    /** Runs the stream through a guard in chunks of {@code piece} bytes; returns what Undertow would read. */
    private static String guarded(String stream, int piece) {
        ObsFoldScanner g = new ObsFoldScanner();
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        for (int at = 0; at < bytes.length; at += piece) {
            ByteBuffer b = ByteBuffer.wrap(bytes, at, Math.min(piece, bytes.length - at));
            g.scan(b, b.position(), b.limit());
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    private static int nuls(String s) {
        return (int) s.chars().filter(c -> c == 0).count();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 4096})
    void foldsInHeadsAreMarkedWhateverTheReadSizes(int piece) {
        assertThat(nuls(guarded("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", piece))).isEqualTo(1);
        assertThat(nuls(guarded("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n", piece))).isEqualTo(1);
        assertThat(nuls(guarded("GET / HTTP/1.1\n X: a\n\n", piece))).isEqualTo(1);
    }

    @Test
    void aMalformedChunkMarksItsHeadOnlyWhenTheHeadIsInTheSameRead() {
        String stream = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
        String whole = guarded(stream, 4096);
        assertThat(whole.charAt(0)).isEqualTo('\0');
        assertThat(nuls(whole)).isEqualTo(1);
        // Head first, body in a later read: Undertow already has the head; nothing is changed.
        ObsFoldScanner g = new ObsFoldScanner();
        byte[] bytes = stream.getBytes(StandardCharsets.ISO_8859_1);
        int split = stream.indexOf("zz");
        g.scan(ByteBuffer.wrap(bytes), 0, split);
        g.scan(ByteBuffer.wrap(bytes), split, bytes.length);
        assertThat(nuls(new String(bytes, StandardCharsets.ISO_8859_1))).isZero();
        assertThat(g.off()).isTrue();
        // Well-formed chunks, extensions with blanks before ';' included, leave the stream alone.
        assertThat(nuls(guarded("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a=1\r\nhello\r\n0\r\n\r\n", 1))).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 4096})
    void bodiesAreSkippedByTheirFraming(int piece) {
        String stream = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab\r\n cdef"
                + "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nx\r\n y\r\n0\r\n\r\n"
                + "POST / HTTP/1.1\r\nHost: x\r\ntransfer-encoding: gzip, Chunked\r\n\r\n3;ext=1\r\n\r\n \r\n0\r\nTrailer: t\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assertThat(nuls(guarded(stream, piece))).isZero();
        String folded = stream + "GET /f HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n";
        String out = guarded(folded, piece);
        assertThat(nuls(out)).isEqualTo(1);
        assertThat(out.indexOf('\0')).isEqualTo(folded.lastIndexOf("\r\n b") + 2);
    }

    @Test
    void upgradesAndTunnelsStopTheGuard() {
        // After a WebSocket upgrade the bytes are frames, not heads.
        assertThat(nuls(guarded("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n\n \n\t", 4096))).isZero();
        assertThat(nuls(guarded("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n\n \n", 4096))).isZero();
        assertThat(nuls(guarded("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\n \n", 4096))).isZero();
        // But a fold before the end of such a head is still caught.
        assertThat(nuls(guarded("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nX: a\r\n b\r\n\r\n", 4096))).isEqualTo(1);
    }

    @Test
    void lookalikesAreNotFolds() {
        assertThat(nuls(guarded("GET / HTTP/1.1\r\nHost: x\r\nX-A:   spaced  \r\nX-B:\tb\r\n\r\n", 1))).isZero();
        // Header names that merely start like the framing headers do not change the framing.
        assertThat(nuls(guarded("GET / HTTP/1.1\r\nContent-Lengthy: 5\r\n\r\nGET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 1))).isEqualTo(1);
    }
}
