package dev.cairn.backup.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * Where a {@link Source} puts entries. Parents must come before their children. Not thread-safe:
 * one source thread calls it.
 */
public interface EntrySink {

    void directory(EntryMeta meta) throws IOException;

    void symlink(EntryMeta meta, byte[] target) throws IOException;

    /** A second name of a file already emitted as {@code targetPath}. */
    void hardLink(EntryMeta meta, String targetPath) throws IOException;

    /**
     * A file on a local file system: skipped without reading when the parent snapshot has it
     * with the same size, mtime, ctime and inode (at this path, or at another one with the same
     * device and inode: below a renamed directory); else read (holes detected) and checked for
     * changes while read.
     */
    void file(EntryMeta meta, Path file) throws IOException, InterruptedException;

    /** A streamed file (a dump's stdout), read to its end and chunked as it arrives. */
    void stream(EntryMeta meta, InputStream content) throws IOException, InterruptedException;

    /**
     * The parent snapshot's extended attributes of {@code meta}'s path when its size, mtime,
     * ctime and inode are unchanged (any xattr change moves ctime), else null: lets a source
     * skip reading them.
     */
    default java.util.Map<String, byte[]> unchangedXattrs(EntryMeta meta) {
        return null;
    }

    /** A fact for the manifest header, e.g. a dump's binlog coordinates. */
    void extra(String key, String value);

    /** Something that could not be backed up; the snapshot is marked partial. */
    void problem(String message);

    /** Something skipped by design (FIFOs, devices, sockets): reported, not partial. */
    void skipped(String message);
}
