package dev.cairn.backup.source;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where a {@link StreamedSource} writes a snapshot: one logical file at a time, streamed (the
 * engine's implementation feeds the chunker as bytes arrive, so no temporary file and no whole
 * table is ever held), plus key/value facts for the snapshot manifest's {@code extra} header
 * (e.g. binlog coordinates) and problems that mark the snapshot.
 *
 * <p>Used by one thread, the source's. A file is complete when its stream is closed; a source
 * that fails throws, and the engine then writes no manifest (an older snapshot stays the latest).
 */
public interface EntrySink {

    /**
     * Starts the logical file {@code path} (relative, {@code /}-separated, e.g.
     * {@code mysql/dump.sql}); the previous file's stream must be closed first.
     */
    OutputStream create(String path) throws IOException;

    /** A fact for the manifest's {@code extra} header; a later value for the same key replaces it. */
    void extra(String key, String value);

    /** Something an operator must see about this snapshot; it is recorded and logged, the snapshot still counts. */
    void problem(String message);
}
