package dev.cairn.proxy.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ConduitReadableByteChannel;
import org.xnio.conduits.Conduits;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Makes an HTTP/1.1 request head with an obs-fold fail with 400 instead of being unfolded.
 * Undertow's parser silently joins folded header lines, which a proxy must not do quietly: the
 * backend or another hop may split the same bytes differently (request smuggling). This conduit
 * sits under Undertow's parser on each client connection and runs every byte read through an
 * {@link ObsFoldScanner}, which turns the fold into a NUL that Undertow answers with its own
 * 400 (and closes the connection).
 */
final class ObsFoldGuard extends AbstractStreamSourceConduit<StreamSourceConduit> {

    private final ObsFoldScanner scanner = new ObsFoldScanner();

    ObsFoldGuard(StreamSourceConduit next) {
        super(next);
    }

    /** Bytes the connection received before this guard was installed (ALPN, PROXY protocol). */
    void inspect(ByteBuffer buffer) {
        if (buffer != null && buffer.hasRemaining()) scanner.scan(buffer, buffer.position(), buffer.limit());
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        int start = dst.position();
        int n = next.read(dst);
        if (n > 0 && !scanner.off()) scanner.scan(dst, start, start + n);
        return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offs, int len) throws IOException {
        if (scanner.off()) return next.read(dsts, offs, len);
        int[] starts = new int[len];
        for (int i = 0; i < len; i++) starts[i] = dsts[offs + i].position();
        long n = next.read(dsts, offs, len);
        for (int i = 0; i < len && n > 0; i++) {
            ByteBuffer b = dsts[offs + i];
            if (b.position() > starts[i]) scanner.scan(b, starts[i], b.position());
        }
        return n;
    }

    // Transfers go through read(ByteBuffer) so that no byte escapes the framing count.
    @Override
    public long transferTo(long position, long count, FileChannel target) throws IOException {
        if (scanner.off()) return next.transferTo(position, count, target);
        return target.transferFrom(new ConduitReadableByteChannel(this), position, count);
    }

    @Override
    public long transferTo(long count, ByteBuffer throughBuffer, StreamSinkChannel target) throws IOException {
        if (scanner.off()) return next.transferTo(count, throughBuffer, target);
        return Conduits.transfer(this, count, throughBuffer, target);
    }
}
