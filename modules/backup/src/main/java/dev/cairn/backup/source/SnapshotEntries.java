package dev.cairn.backup.source;

import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A stored snapshot as an {@link EntryReader}: each file streamed by the engine's
 * {@link dev.cairn.backup.restore.FileReader}, every chunk authenticated and checked against its
 * id before a byte is handed out (so a load into a database never sees a damaged byte), nothing
 * written to disk.
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
        return dev.cairn.backup.restore.FileReader.open(repo, snapshot, path);
    }

    @Override
    public Map<String, String> extra() {
        return snapshot.header().extra();
    }
}
