package dev.cairn.backup.restore;

import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Streams one file of a snapshot, chunk by chunk, each authenticated and hashed against its id
 * before its bytes are handed out: for sources whose restore is a stream (a database dump piped
 * into a client) and for restore tests. Holds one chunk in memory (buffers reused). Not thread-safe.
 */
public final class FileReader extends InputStream {

    private final dev.cairn.backup.repo.BlobReader reader;
    private final List<byte[]> chunks;
    private int next;
    private byte[] cur = new byte[0];
    private int pos;
    private int end;

    public FileReader(Repository repo, Snapshot.Node file) {
        if (file.type() != Snapshot.Type.FILE) throw new IllegalArgumentException(file.path() + " is not a file");
        this.reader = repo.blobReader();
        this.chunks = file.chunks();
    }

    /** The file at {@code path} in {@code s}. */
    public static FileReader open(Repository repo, Snapshot s, String path) throws IOException {
        for (Snapshot.Node n : s.nodes()) {
            if (n.path().equals(path) && n.type() == Snapshot.Type.FILE) return new FileReader(repo, n);
        }
        throw new java.nio.file.NoSuchFileException(path + " in snapshot");
    }

    private boolean fill() throws IOException {
        while (pos == end) {
            if (next == chunks.size()) return false;
            reader.read(chunks.get(next++));
            cur = reader.data();
            pos = reader.offset();
            end = pos + reader.length();
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? cur[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (!fill()) return -1;
        int n = Math.min(len, end - pos);
        System.arraycopy(cur, pos, b, off, n);
        pos += n;
        return n;
    }
}
