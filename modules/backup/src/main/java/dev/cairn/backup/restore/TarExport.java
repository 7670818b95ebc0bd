package dev.cairn.backup.restore;

import com.github.luben.zstd.ZstdOutputStream;
import dev.cairn.backup.repo.Repository;
import dev.cairn.backup.repo.Snapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes a snapshot as a standard POSIX.1-2001 (PAX) tar, optionally zstd-compressed, that GNU tar
 * extracts to the same tree as {@code cairn restore}: modes, owners, mtimes in ns (PAX mtime),
 * symlinks, hard links, {@code user.*} xattrs (SCHILY.xattr, extract with {@code tar --xattrs}).
 * Every chunk is authenticated before it is written; a damaged blob fails the export.
 */
public final class TarExport {

    private TarExport() {
    }

    public static long write(Repository repo, Snapshot s, OutputStream out, boolean zstd) throws IOException {
        OutputStream sink = zstd ? new ZstdOutputStream(out, 3) : out;
        long files = 0;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(sink, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            for (Snapshot.Node n : s.nodes()) {
                if (!Restorer.safePath(n.path())) throw new IOException("CAIRN-BACKUP-0041 refusing to export unsafe path " + n.path());
                TarArchiveEntry e;
                switch (n.type()) {
                    case DIR -> e = new TarArchiveEntry(n.path() + "/", TarArchiveEntry.LF_DIR, true);
                    case FILE -> {
                        e = new TarArchiveEntry(n.path(), TarArchiveEntry.LF_NORMAL, true);
                        e.setSize(n.size());
                    }
                    case SYMLINK -> {
                        e = new TarArchiveEntry(n.path(), TarArchiveEntry.LF_SYMLINK, true);
                        e.setLinkName(new String(n.target(), StandardCharsets.UTF_8));
                    }
                    default -> {
                        e = new TarArchiveEntry(n.path(), TarArchiveEntry.LF_LINK, true);
                        e.setLinkName(new String(n.target(), StandardCharsets.UTF_8));
                    }
                }
                int typeBits = switch (n.type()) {
                    case DIR -> 0040000;
                    case SYMLINK -> 0120000;
                    default -> 0100000;
                };
                e.setMode(typeBits | (n.mode() & 07777));
                e.setUserId(n.uid());
                e.setGroupId(n.gid());
                e.setUserName(n.user());
                e.setGroupName(n.group());
                Instant t = Instant.ofEpochSecond(Math.floorDiv(n.mtimeNs(), 1_000_000_000L), Math.floorMod(n.mtimeNs(), 1_000_000_000L));
                e.setLastModifiedTime(FileTime.from(t));
                if (t.getNano() != 0) e.addPaxHeader("mtime", t.getEpochSecond() + "." + String.format("%09d", t.getNano()));
                for (Map.Entry<String, byte[]> x : n.xattrs().entrySet()) {
                    e.addPaxHeader("SCHILY.xattr." + x.getKey(), new String(x.getValue(), StandardCharsets.UTF_8));
                }
                tar.putArchiveEntry(e);
                if (n.type() == Snapshot.Type.FILE) {
                    for (byte[] id : n.chunks()) tar.write(repo.readBlob(id));
                    files++;
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        return files;
    }
}
