package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyErrors;
import dev.cairn.spi.log.JsonText;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log's one writer. Request threads (the IO threads) hand it finished lines with
 * {@link #offer}, which never blocks and never writes: the line is put in the process log's shape
 * ({@link Envelope}, as the host's log layout writes an INFO line of logger
 * {@code cairn.proxy.access}, with the time and thread of the offer) and encoded to UTF-8 on the
 * caller's thread, in buffers of that thread, into one byte array of the line's exact size; that
 * array goes on a lock-free FIFO queue bounded to {@link #CAPACITY_LINES}. A line that does not
 * fit is dropped and counted ({@link #dropped}), as HAProxy drops lines when its log socket is
 * full. One thread of its own copies the queued lines into one buffer and writes it (one
 * {@code write} per {@link #BATCH_BYTES}), at the latest {@link #FLUSH_INTERVAL_NANOS} after a line
 * was queued, sooner when {@link #WAKE_AT_LINES} are waiting, and everything still queued at
 * {@link #close}. Lines come out in the order they were offered (one queue), so a connection's
 * requests stay in order. Thread-safe.
 */
public final class AccessLogWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AccessLogWriter.class);

    /** Lines that may wait; about 5 MB at 300 bytes a line (seconds of traffic at full speed). */
    public static final int CAPACITY_LINES = 16_384;
    /** Queued lines that wake the writer before its interval is over. */
    static final int WAKE_AT_LINES = 512;
    /** Longest time a line waits in the queue while the output keeps up. */
    static final long FLUSH_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Bytes per write. */
    static final int BATCH_BYTES = 64 * 1024;
    /** Drops are reported in the log at most this often (the counter has every one). */
    static final long DROP_REPORT_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long CLOSE_WAIT_MILLIS = 5_000;

    /** The process log's line shape, from the host's log setup (system property {@code cairn.log.format}). */
    enum Envelope {
        /** {@code 2026-12-04T18:33:25.123Z INFO  proxy: LINE}. */
        HUMAN,
        /** {@code {"ts":...,"level":"INFO","module":"proxy","logger":"cairn.proxy.access","thread":...,"msg":LINE}}. */
        JSON;

        static Envelope ofProcess() {
            return "json".equals(System.getProperty(LOG_FORMAT_PROPERTY)) ? JSON : HUMAN;
        }
    }

    /** Set by core's LogSetup (the proxy module does not see core). */
    static final String LOG_FORMAT_PROPERTY = "cairn.log.format";

    /**
     * Per offering thread: the envelope's text and, for the JSON envelope, the escaped line. Reused
     * line after line (an IO thread offers one line per request), so an offer allocates only the
     * line's bytes and its queue node.
     */
    private static final class Scratch {
        StringBuilder text = new StringBuilder(512);
        String thread;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();
    private final Supplier<OutputStream> out;
    private final Envelope envelope;
    private final int capacity;
    private final Thread thread;
    private final byte[] batch = new byte[BATCH_BYTES];
    private int batchLen;
    private volatile boolean closing;
    private long droppedReported;
    private long lastDropReport;

    /** A writer to the process's stdout (looked up per batch, so {@code System.setOut} applies). */
    public static AccessLogWriter toStdout() {
        return new AccessLogWriter(() -> System.out, Envelope.ofProcess(), CAPACITY_LINES);
    }

    AccessLogWriter(Supplier<OutputStream> out, Envelope envelope, int capacity) {
        this.out = out;
        this.envelope = envelope;
        this.capacity = capacity;
        this.thread = new Thread(this::run, "cairn-proxy-access-log");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues one line (without its newline); false when the queue was full (counted, not written).
     * The line is copied before this returns: the caller may reuse its buffer.
     */
    public boolean offer(CharSequence line) {
        int n = pending.incrementAndGet();
        if (n > capacity || closing) {
            pending.decrementAndGet();
            dropped.increment();
            return false;
        }
        queue.offer(encode(line));
        if (n == WAKE_AT_LINES) LockSupport.unpark(thread);
        return true;
    }

    /** The line in the process log's shape, with its newline, as UTF-8 in an array of its size. */
    private byte[] encode(CharSequence line) {
        Scratch s = SCRATCH.get();
        StringBuilder b = s.text;
        b.setLength(0);
        java.time.Instant t = java.time.Instant.ofEpochMilli(System.currentTimeMillis());
        if (envelope == Envelope.JSON) {
            String name = s.thread;
            if (name == null) s.thread = name = Thread.currentThread().getName(); // IO threads keep their names
            AccessLog.iso(b.append("{\"ts\":\""), t).append("\",\"level\":\"INFO\",\"module\":\"proxy\",")
                    .append("\"logger\":\"cairn.proxy.access\",\"thread\":\"");
            JsonText.escape(b, name).append("\",\"msg\":\"");
            JsonText.escape(b, line).append("\"}");
            byte[] bytes = utf8(b, null);
            if (b.capacity() > BATCH_BYTES) s.text = new StringBuilder(512); // a huge line: its buffer is not kept
            return bytes;
        }
        AccessLog.iso(b, t).append(" INFO  proxy: ");
        return utf8(b, line);
    }

    /** {@code a} then {@code b} (may be null) and a newline: one pass when ASCII, the JDK's encoder otherwise. */
    private static byte[] utf8(CharSequence a, CharSequence b) {
        int na = a.length();
        int nb = b == null ? 0 : b.length();
        byte[] out = new byte[na + nb + 1];
        for (int i = 0; i < na; i++) {
            char c = a.charAt(i);
            if (c >= 0x80) return slow(a, b);
            out[i] = (byte) c;
        }
        for (int i = 0; i < nb; i++) {
            char c = b.charAt(i);
            if (c >= 0x80) return slow(a, b); // rare: a UTF-8 user agent or referer
            out[na + i] = (byte) c;
        }
        out[na + nb] = '\n';
        return out;
    }

    private static byte[] slow(CharSequence a, CharSequence b) {
        String text = b == null ? a + "\n" : a.toString() + b + "\n";
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Lines waiting to be written. */
    int queuedLines() {
        return pending.get();
    }

    /** Lines dropped because the queue was full (the output did not keep up), since start. */
    public long dropped() {
        return dropped.sum();
    }

    private void run() {
        while (!closing) {
            try {
                drain();
                reportDrops();
            } catch (RuntimeException e) { // a bug: the lines of that batch are lost, the writer goes on
                batchLen = 0;
                log.error("access log writer: {}", e.toString(), e);
            }
            if (pending.get() < WAKE_AT_LINES) LockSupport.parkNanos(this, FLUSH_INTERVAL_NANOS);
        }
        drain();
    }

    /** Writes every queued line; returns how many. */
    private int drain() {
        int lines = 0;
        OutputStream o = out.get();
        byte[] line;
        while ((line = queue.poll()) != null) {
            pending.decrementAndGet();
            lines++;
            if (batchLen + line.length > batch.length) {
                batchLen = write(o, batchLen, false);
                if (line.length > batch.length) { // a line longer than a batch: on its own
                    write(o, line);
                    continue;
                }
            }
            System.arraycopy(line, 0, batch, batchLen, line.length);
            batchLen += line.length;
        }
        batchLen = write(o, batchLen, true);
        return lines;
    }

    private int write(OutputStream o, int len, boolean flush) {
        try {
            if (len > 0) o.write(batch, 0, len);
            if (flush && len > 0) o.flush();
        } catch (IOException e) {
            // stdout closed: nothing to report it on; the lines are gone as HAProxy's would be.
        }
        return 0;
    }

    private void write(OutputStream o, byte[] longLine) {
        try {
            o.write(longLine);
        } catch (IOException e) {
            // as above
        }
    }

    private void reportDrops() {
        long d = dropped.sum();
        long now = System.nanoTime();
        if (d == droppedReported || now - lastDropReport < DROP_REPORT_INTERVAL_NANOS && lastDropReport != 0) return;
        log.atWarn().addKeyValue("error_id", ProxyErrors.ACCESS_LOG_DROPPED.id())
                .log("access log: {} lines dropped since the last report ({} in all): stdout did not keep up",
                        d - droppedReported, d);
        droppedReported = d;
        lastDropReport = now;
    }

    /** Writes what is queued and stops the thread; lines offered after this are dropped. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(thread);
        try {
            thread.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
