package dev.cairn.dns.xfr;

import dev.cairn.dns.DnsErrors;
import dev.cairn.dns.server.DnsMetrics;
import dev.cairn.spi.config.HostPort;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * Sends DNS NOTIFY (RFC 1996) to a zone's secondaries when its serial changes, over UDP, each
 * retried a few times until the secondary acknowledges. Owns one daemon thread; {@link #close}
 * stops it. Thread-safe.
 */
public final class NotifySender implements AutoCloseable {

    /** Attempts per secondary and the wait for an answer to each. */
    public static final int ATTEMPTS = 5;
    public static final int REPLY_TIMEOUT_MILLIS = 2000;

    private static final Logger log = LoggerFactory.getLogger(NotifySender.class);

    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cairn-dns-notify");
        t.setDaemon(true);
        return t;
    });
    private final DnsMetrics metrics;
    /** Sockets waiting for an answer, closed by {@link #close} (a blocked receive ignores interrupts). */
    private final java.util.Set<DatagramSocket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    public NotifySender(DnsMetrics metrics) {
        this.metrics = metrics;
    }

    /** Queues a NOTIFY of {@code soa}'s zone to every target; {@code key} signs it when not null. */
    public void notifyAll(SOARecord soa, List<HostPort> targets, TSIG key) {
        if (targets.isEmpty()) return;
        for (HostPort target : targets) {
            try {
                executor.execute(() -> send(soa, target, key));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return;
            }
        }
    }

    private void send(SOARecord soa, HostPort target, TSIG key) {
        String zone = soa.getName().toString();
        int id = ThreadLocalRandom.current().nextInt(0x10000);
        Message m = new Message(id);
        m.getHeader().setOpcode(Opcode.NOTIFY);
        m.getHeader().setFlag(Flags.AA);
        m.addRecord(Record.newRecord(soa.getName(), Type.SOA, DClass.IN), Section.QUESTION);
        m.addRecord(soa, Section.ANSWER);
        if (key != null) m.setTSIG(key);
        // toWire(int) is the one that applies the TSIG key.
        byte[] out = m.toWire(65535);
        DatagramSocket held = null;
        try (DatagramSocket socket = new DatagramSocket()) {
            held = socket;
            open.add(socket);
            if (closed) return;
            socket.setSoTimeout(REPLY_TIMEOUT_MILLIS);
            socket.connect(target.toSocketAddress());
            byte[] buf = new byte[4096];
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                if (Thread.currentThread().isInterrupted()) return;
                socket.send(new DatagramPacket(out, out.length));
                try {
                    while (true) {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        socket.receive(p);
                        if (p.getLength() >= 12 && ((buf[0] & 0xFF) << 8 | buf[1] & 0xFF) == id && (buf[2] & 0x80) != 0) {
                            metrics.notify(zone, true);
                            log.info("NOTIFY {} serial {} acknowledged by {}", zone, soa.getSerial(), target);
                            return;
                        }
                    }
                } catch (SocketTimeoutException timeout) {
                    // retry
                }
            }
        } catch (IOException e) {
            if (closed) return;
            log.atWarn().addKeyValue("error_id", DnsErrors.NOTIFY_FAILED.id()).log("NOTIFY {} to {} failed: {}", zone, target, e.toString());
            metrics.notify(zone, false);
            return;
        } finally {
            if (held != null) open.remove(held);
        }
        if (closed) return;
        metrics.notify(zone, false);
        log.atWarn().addKeyValue("error_id", DnsErrors.NOTIFY_FAILED.id())
                .log("NOTIFY {} serial {} to {}: no answer after {} attempts", zone, soa.getSerial(), target, ATTEMPTS);
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        for (DatagramSocket s : open) s.close();
        try {
            executor.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
