package dev.cairn.backup.server;

import dev.cairn.backup.repo.Wire;
import dev.cairn.backup.store.LocalStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The backup server's staging area for resumable uploads: {@code <root>/.uploads/<session>}, one
 * file per (object name, upload id), holding the bytes received so far. Names starting with
 * {@code .} are invisible to list and get, so a partial upload is never seen; it becomes the
 * object only once complete and re-hashed, by a hard link (atomic, never half-written). Every part
 * is fsynced before it is acknowledged, so what was acknowledged survives a server crash. Partial
 * uploads older than the expiry (by the time of their last part) are deleted.
 *
 * <p>Thread-safe: one lock per session, so a part and a query about the same upload never interleave.
 */
final class UploadStaging {

    private static final long LOCK_WAIT_SECONDS = 10;

    private final LocalStore store;
    private final Path dir;
    private final Duration expiry;
    /** Striped by session: a fixed set, so no lock outlives its use and none is ever replaced. */
    private final ReentrantLock[] locks = new ReentrantLock[64];

    UploadStaging(LocalStore store, Duration expiry) {
        this.store = store;
        this.dir = store.root().resolve(".uploads");
        this.expiry = expiry;
        for (int i = 0; i < locks.length; i++) locks[i] = new ReentrantLock();
    }

    private ReentrantLock stripe(String session) {
        return locks[Integer.parseInt(session.substring(0, 2), 16) % locks.length];
    }

    /** What one part did. */
    record Part(long offset, boolean complete, boolean hashOk) {
    }

    /** Thrown when another request holds the session longer than {@link #LOCK_WAIT_SECONDS}. */
    static final class Busy extends IOException {
        private static final long serialVersionUID = 1L;

        Busy() {
            super("another request is writing this upload");
        }
    }

    /** Thrown when a part does not start where the staged bytes end. */
    static final class WrongOffset extends IOException {
        private static final long serialVersionUID = 1L;
        final long held;

        WrongOffset(long held) {
            super("the server holds " + held + " bytes of this upload");
            this.held = held;
        }
    }

    private static String session(String name, String uploadId) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(name.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(uploadId.getBytes(StandardCharsets.US_ASCII));
            return Wire.hex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private ReentrantLock lock(String session) throws IOException {
        ReentrantLock l = stripe(session);
        try {
            if (!l.tryLock(LOCK_WAIT_SECONDS, TimeUnit.SECONDS)) throw new Busy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("waiting for the upload's lock");
        }
        return l;
    }

    /** How many bytes of this upload the server holds (0: none). */
    long held(String name, String uploadId) throws IOException {
        String s = session(name, uploadId);
        ReentrantLock l = lock(s);
        try {
            Path f = dir.resolve(s);
            return Files.exists(f) ? Files.size(f) : 0;
        } finally {
            l.unlock();
        }
    }

    /**
     * Appends one part ({@code from}, up to {@code length} bytes of {@code body}; fewer when the
     * connection is cut: those are kept). When the upload reaches {@code total}, the whole staged
     * file is re-hashed against {@code wantHash}; a match becomes the object, a mismatch is
     * deleted (the client starts over).
     */
    Part append(String name, String uploadId, long from, long length, long total, InputStream body, String wantHash) throws IOException {
        String s = session(name, uploadId);
        ReentrantLock l = lock(s);
        try {
            Files.createDirectories(dir);
            Path f = dir.resolve(s);
            long held = Files.exists(f) ? Files.size(f) : 0;
            if (from != held) throw new WrongOffset(held);
            long got = 0;
            IOException cut = null;
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                byte[] buf = new byte[256 * 1024];
                try {
                    while (got < length) {
                        int n = body.read(buf, 0, (int) Math.min(buf.length, length - got));
                        if (n < 0) break;
                        ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                        while (b.hasRemaining()) ch.write(b);
                        got += n;
                    }
                } catch (IOException e) {
                    cut = e; // the client went away mid-part: keep what arrived
                }
                ch.force(true);
            }
            long now = held + got;
            if (cut != null || got < length || now < total) {
                if (cut != null && got == 0 && held == 0) Files.deleteIfExists(f);
                return new Part(now, false, true);
            }
            if (!sha256Hex(f).equals(wantHash)) {
                Files.deleteIfExists(f);
                return new Part(0, true, false);
            }
            store.linkIfAbsent(name, f);
            Files.deleteIfExists(f);
            return new Part(now, true, true);
        } finally {
            l.unlock();
        }
    }

    /** Forgets a session (the object exists already). */
    void discard(String name, String uploadId) throws IOException {
        String s = session(name, uploadId);
        ReentrantLock l = lock(s);
        try {
            Files.deleteIfExists(dir.resolve(s));
        } finally {
            l.unlock();
        }
    }

    private static String sha256Hex(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return Wire.hex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Deletes partial uploads whose last part is older than the expiry.
     *
     * @return how many were deleted
     */
    int expire(Instant now) throws IOException {
        if (!Files.isDirectory(dir)) return 0;
        int n = 0;
        FileTime limit = FileTime.from(now.minus(expiry));
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String session = p.getFileName().toString();
                if (session.length() != 64) continue;
                ReentrantLock l = stripe(session);
                if (!l.tryLock()) continue; // being written: not expired
                try {
                    if (Files.getLastModifiedTime(p).compareTo(limit) < 0 && Files.deleteIfExists(p)) n++;
                } catch (java.nio.file.NoSuchFileException gone) {
                    // finished meanwhile
                } finally {
                    l.unlock();
                }
            }
        }
        return n;
    }
}
