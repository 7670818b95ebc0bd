package dev.cairn.backup.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A repository in a local directory (or an NFS mount). A put writes a temporary file beside the
 * target ({@code .tmp-*}), fsyncs it, hard-links it to the final name (which fails atomically if
 * that exists: put-if-absent without a race) and fsyncs the directory. One fsync per object,
 * never per chunk: packs are 16-64 MiB.
 */
public final class LocalStore implements Store {

    private final Path root;

    public LocalStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    private Path path(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("..") || name.contains("\\")) {
            throw new IllegalArgumentException("bad object name " + name);
        }
        return root.resolve(name);
    }

    @Override
    public boolean putIfAbsent(String name, byte[] data, int off, int len) throws IOException {
        Path target = path(name);
        Path dir = target.getParent();
        Files.createDirectories(dir);
        if (Files.exists(target)) return false;
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(data, off, len);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            try {
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException e) {
                return false;
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDir(dir);
        return true;
    }

    /**
     * Makes a complete file (on the same file system, e.g. a staged upload) the object
     * {@code name} unless that exists: fsync, hard link (atomic put-if-absent), directory fsync.
     * The file itself is left for the caller to remove.
     *
     * @return false when the object already existed
     */
    public boolean linkIfAbsent(String name, Path file) throws IOException {
        Path target = path(name);
        Path dir = target.getParent();
        Files.createDirectories(dir);
        if (Files.exists(target)) return false;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        try {
            Files.createLink(target, file);
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        syncDir(dir);
        return true;
    }

    /** Whether the object exists. */
    public boolean exists(String name) {
        return Files.isRegularFile(path(name));
    }

    /** Writes straight into a temporary file beside the objects; the commit fsyncs and links it. */
    @Override
    public Pending create(String prefix, int sizeHint) throws IOException {
        Path dir = path(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        Files.createDirectories(dir);
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new Pending() {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer bb = ByteBuffer.wrap(b, off, len);
                while (bb.hasRemaining()) ch.write(bb);
            }

            @Override
            public boolean commit(String name) throws IOException {
                Path target = path(name);
                ch.force(true);
                ch.close();
                Files.createDirectories(target.getParent());
                if (Files.exists(target)) return false;
                try {
                    Files.createLink(target, tmp);
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
                syncDir(target.getParent());
                return true;
            }

            @Override
            public void close() throws IOException {
                if (closed) return;
                closed = true;
                ch.close();
                Files.deleteIfExists(tmp);
            }
        };
    }

    private static void syncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some filesystems refuse fsync on a directory; the file itself is synced.
        }
    }

    @Override
    public byte[] get(String name) throws IOException {
        return Files.readAllBytes(path(name));
    }

    /** Packs open for ranged reads (a restore reads many blobs of each); closed with the store. */
    private final java.util.concurrent.ConcurrentHashMap<String, FileChannel> open = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int OPEN_MAX = 16;

    @Override
    public byte[] get(String name, long offset, int length) throws IOException {
        FileChannel ch = channel(name);
        try {
            return read(ch, offset, length);
        } catch (java.nio.channels.ClosedChannelException e) {
            // closed by another thread evicting it: read through a channel of our own
            try (FileChannel own = FileChannel.open(path(name), StandardOpenOption.READ)) {
                return read(own, offset, length);
            }
        }
    }

    /** One pread per call in the common case (no fstat: a short read is the object's end). */
    @Override
    public int read(String name, long offset, byte[] into, int off, int length) throws IOException {
        FileChannel ch = channel(name);
        try {
            return readInto(ch, offset, into, off, length);
        } catch (java.nio.channels.ClosedChannelException e) {
            try (FileChannel own = FileChannel.open(path(name), StandardOpenOption.READ)) {
                return readInto(own, offset, into, off, length);
            }
        }
    }

    private static int readInto(FileChannel ch, long offset, byte[] into, int off, int length) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(into, off, length);
        while (b.hasRemaining()) {
            if (ch.read(b, offset + (b.position() - off)) < 0) break;
        }
        return b.position() - off;
    }

    private FileChannel channel(String name) throws IOException {
        FileChannel ch = open.get(name);
        if (ch == null || !ch.isOpen()) {
            ch = FileChannel.open(path(name), StandardOpenOption.READ);
            if (open.size() >= OPEN_MAX) closeOpen();
            FileChannel raced = open.putIfAbsent(name, ch);
            if (raced != null && raced.isOpen()) {
                ch.close();
                ch = raced;
            } else if (raced != null) {
                open.put(name, ch);
            }
        }
        return ch;
    }

    private void closeOpen() {
        for (String n : new ArrayList<>(open.keySet())) {
            FileChannel c = open.remove(n);
            if (c != null) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // read-only channel
                }
            }
        }
    }

    @Override
    public void close() {
        closeOpen();
    }

    @Override
    public void delete(String name) throws IOException {
        FileChannel c = open.remove(name);
        if (c != null) c.close();
        Files.deleteIfExists(path(name));
    }

    private static byte[] read(FileChannel ch, long offset, int length) throws IOException {
        {
            long size = ch.size();
            int n = (int) Math.max(0, Math.min(length, size - offset));
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) break;
            }
            if (b.position() == n) return b.array();
            byte[] r = new byte[b.position()];
            System.arraycopy(b.array(), 0, r, 0, r.length);
            return r;
        }
    }

    @Override
    public List<StoreObject> list(String prefix) throws IOException {
        List<StoreObject> out = new ArrayList<>();
        int slash = prefix.lastIndexOf('/');
        Path base = slash < 0 ? root : root.resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(base)) return out;
        walk(base, prefix, out);
        return out;
    }

    private void walk(Path dir, String prefix, List<StoreObject> out) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith(".")) continue;
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p)) {
                    if (prefix.startsWith(rel + "/") || (rel + "/").startsWith(prefix)) walk(p, prefix, out);
                } else if (rel.startsWith(prefix)) {
                    try {
                        out.add(new StoreObject(rel, Files.size(p)));
                    } catch (NoSuchFileException gone) {
                        // deleted while listing
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }


    /** Removes temporary files a killed writer left behind (only prune calls this, under the exclusive lock). */
    public void removeTemporaries() throws IOException {
        if (!Files.isDirectory(root)) return;
        try (var s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.getFileName().toString().startsWith(".tmp-")) Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public String describe() {
        return root.toString();
    }
}
