package dev.cairn.backup.source;

import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A stored snapshot as an {@link EntryReader}: each file streamed chunk by chunk from the
 * repository, every chunk authenticated and checked against its id before a byte is handed out
 * (so a load into a database never sees a damaged byte), nothing written to disk.
 */
public final class SnapshotEntries implements EntryReader {

    private final Repository repo;
    private final Snapshot snapshot;

    public SnapshotEntries(Repository repo, Snapshot snapshot) {
        this.repo = repo;
        this.snapshot = snapshot;
    }

    @Override
    public List<String> paths() {
        List<String> out = new ArrayList<>();
        for (Snapshot.Node n : snapshot.nodes()) if (n.type() == Snapshot.Type.FILE) out.add(n.path());
        return out;
    }

    @Override
    public InputStream open(String path) throws IOException {
        for (Snapshot.Node n : snapshot.nodes()) {
            if (n.type() == Snapshot.Type.FILE && n.path().equals(path)) return new ChunkStream(n.chunks());
        }
        throw new NoSuchFileException(path + " is not in the snapshot");
    }

    @Override
    public Map<String, String> extra() {
        return snapshot.header().extra();
    }

    private final class ChunkStream extends InputStream {
        private final List<byte[]> chunks;
        private int next;
        private byte[] current = new byte[0];
        private int pos;

        ChunkStream(List<byte[]> chunks) {
            this.chunks = chunks;
        }

        private boolean fill() throws IOException {
            while (pos >= current.length) {
                if (next >= chunks.size()) return false;
                current = repo.readBlob(chunks.get(next++));
                pos = 0;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? current[pos++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (!fill()) return -1;
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
