package dev.cairn.backup.source;

import java.util.Map;

/**
 * Metadata of one entry as a source saw it. {@code path} is relative, {@code /}-separated,
 * valid UTF-8. Times are epoch nanoseconds; {@code inode}/{@code device} 0 when not a file
 * system entry (a streamed dump).
 */
public record EntryMeta(String path, int mode, int uid, int gid, String user, String group, long mtimeNs,
                        long ctimeNs, long inode, long device, long size, Map<String, byte[]> xattrs) {

    /** Metadata for a streamed file (a dump's stdout): mode 0600, owned by root, stamped now. */
    public static EntryMeta streamed(String path) {
        long now = System.currentTimeMillis() * 1_000_000L;
        return new EntryMeta(path, 0600, 0, 0, "root", "root", now, now, 0, 0, -1, Map.of());
    }

    public static EntryMeta directory(String path) {
        long now = System.currentTimeMillis() * 1_000_000L;
        return new EntryMeta(path, 0700, 0, 0, "root", "root", now, now, 0, 0, 0, Map.of());
    }
}
