package dev.cairn.backup.source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Hands every byte the engine reads from a source's stream to an observer as well (a dump
 * scanner reading coordinates and digests on the way), so the stream is read once, never
 * stored aside.
 */
public final class ScanningInputStream extends FilterInputStream {

    /** Sees the bytes in the order they are read. */
    @FunctionalInterface
    public interface Observer {
        void bytes(byte[] b, int off, int len);
    }

    private final Observer observer;

    public ScanningInputStream(InputStream in, Observer observer) {
        super(in);
        this.observer = observer;
    }

    @Override
    public int read() throws IOException {
        int c = in.read();
        if (c >= 0) observer.bytes(new byte[] {(byte) c}, 0, 1);
        return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) observer.bytes(b, off, n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        throw new IOException("a scanned stream is read, never skipped");
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
