package dev.cairn.proxy.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A route's maintenance switch: while the file exists its bytes are the 503 body. The file is
 * looked at most once per {@link #CHECK_INTERVAL_NANOS}, not per request, so a busy route costs
 * one stat a second. Thread-safe: a racing refresh only repeats a stat.
 */
final class MaintenancePage {

    static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;

    private final Path file;
    private volatile long nextCheck;
    private volatile byte[] body;
    private volatile long modified = -1;
    private volatile long size = -1;

    MaintenancePage(Path file) {
        this.file = file;
        this.nextCheck = System.nanoTime();
    }

    /** The page to serve, or null when maintenance is off. */
    byte[] current() {
        long now = System.nanoTime();
        if (now - nextCheck >= 0) {
            nextCheck = now + CHECK_INTERVAL_NANOS;
            refresh();
        }
        return body;
    }

    private void refresh() {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            long m = a.lastModifiedTime().toMillis();
            if (body == null || m != modified || a.size() != size) {
                byte[] b = Files.readAllBytes(file);
                modified = m;
                size = a.size();
                body = b;
            }
        } catch (IOException e) {
            body = null; // absent (or unreadable): serve normally
            modified = -1;
        }
    }
}
