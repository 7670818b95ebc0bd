package dev.cairn.backup.source;

import java.io.IOException;

/**
 * What a backup job reads: a directory tree, a database dump, a command's output... A source
 * walks what it backs up and hands every entry to the {@link EntrySink}, which chunks file
 * contents straight into the repository (no temporary files) and writes the manifest at the end.
 * One call per backup, on the job's thread.
 */
public interface Source {

    /** The roots recorded in the snapshot (paths, a database name...), for {@code backup list}. */
    java.util.List<String> describe();

    /**
     * Emits the entries. Throwing fails the backup (no snapshot is written); a problem that
     * loses only some entries goes to {@link EntrySink#problem} instead, which marks the
     * snapshot partial.
     */
    void emit(EntrySink sink) throws IOException, InterruptedException;
}
