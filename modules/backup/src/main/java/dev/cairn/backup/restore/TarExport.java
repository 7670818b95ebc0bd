package dev.cairn.backup.restore;

import dev.cairn.backup.BackupErrors;

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
        // one reader: buffers reused, and neighbouring small chunks come from one read of their pack
        dev.cairn.backup.repo.BlobReader reader = repo.blobReader();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(sink, StandardCharsets.UTF_8.name())) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
            tar.setAddPaxHeadersForNonAsciiNames(false);
            for (Snapshot.Node n : s.nodes()) {
                if (!Restorer.safePath(n.path())) throw new IOException(BackupErrors.UNSAFE_PATH.id() + " refusing to export unsafe path " + n.path());
                // One PAX extended header per entry, written here: Commons Compress would round times to
                // 100 ns, and GNU tar applies only the last of two consecutive extended headers.
                Map<String, String> pax = new java.util.LinkedHashMap<>();
                String name = n.type() == Snapshot.Type.DIR ? n.path() + "/" : n.path();
                String link = n.target() == null ? null : new String(n.target(), StandardCharsets.UTF_8);
                if (!fitsUstar(name)) pax.put("path", name);
                if (link != null && !fitsUstar(link)) pax.put("linkpath", link);
                Instant t = Instant.ofEpochSecond(Math.floorDiv(n.mtimeNs(), 1_000_000_000L), Math.floorMod(n.mtimeNs(), 1_000_000_000L));
                if (t.getNano() != 0) pax.put("mtime", t.getEpochSecond() + "." + String.format("%09d", t.getNano()));
                for (Map.Entry<String, byte[]> x : n.xattrs().entrySet()) {
                    pax.put("SCHILY.xattr." + x.getKey(), new String(x.getValue(), StandardCharsets.UTF_8));
                }
                byte type = switch (n.type()) {
                    case DIR -> TarArchiveEntry.LF_DIR;
                    case FILE -> TarArchiveEntry.LF_NORMAL;
                    case SYMLINK -> TarArchiveEntry.LF_SYMLINK;
                    default -> TarArchiveEntry.LF_LINK;
                };
                String shortName = pax.containsKey("path") ? (n.type() == Snapshot.Type.DIR ? "PaxPath/" : "PaxPath") : name;
                TarArchiveEntry e = new TarArchiveEntry(shortName, type, true);
                if (link != null) e.setLinkName(pax.containsKey("linkpath") ? "PaxLink" : link);
                if (n.type() == Snapshot.Type.FILE) e.setSize(n.size());
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
                e.setLastModifiedTime(FileTime.from(Instant.ofEpochSecond(t.getEpochSecond())));
                if (!pax.isEmpty()) paxHeader(tar, pax);
                tar.putArchiveEntry(e);
                if (n.type() == Snapshot.Type.FILE) {
                    for (byte[] id : n.chunks()) {
                        reader.read(id);
                        tar.write(reader.data(), reader.offset(), reader.length());
                    }
                    files++;
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        }
        return files;
    }

    private static boolean fitsUstar(String name) {
        return name.length() < 100 && name.chars().allMatch(c -> c >= 0x20 && c < 0x7F);
    }

    private static void paxHeader(TarArchiveOutputStream tar, Map<String, String> records) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, String> r : records.entrySet()) {
            byte[] kv = (" " + r.getKey() + "=" + r.getValue() + "\n").getBytes(StandardCharsets.UTF_8);
            int len = kv.length + 1;
            while (String.valueOf(len).length() + kv.length != len) len++;
            b.writeBytes(String.valueOf(len).getBytes(StandardCharsets.US_ASCII));
            b.writeBytes(kv);
        }
        TarArchiveEntry x = new TarArchiveEntry("./PaxHeaders/entry", TarArchiveEntry.LF_PAX_EXTENDED_HEADER_LC, true);
        x.setSize(b.size());
        x.setModTime(FileTime.fromMillis(0));
        tar.putArchiveEntry(x);
        tar.write(b.toByteArray());
        tar.closeArchiveEntry();
    }
}
