package dev.cairn.cluster.election;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Probes the witness of a 2-node pair once per interval: an IP is pinged (ICMP echo, which needs
 * root or CAP_NET_RAW; Java falls back to TCP port 7), {@code host:port} is connected to. Owns one
 * daemon thread; {@link #close()} stops it.
 */
final class Witness implements AutoCloseable {

    private final String target;
    private final ScheduledExecutorService thread;
    private volatile long lastOkNanos = Long.MIN_VALUE;
    private volatile String lastResult = "not probed yet";

    Witness(String target, Duration every) {
        this.target = target;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-witness");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(20, every.toMillis());
        int timeout = (int) Math.min(1000, Math.max(20, ms));
        thread.scheduleWithFixedDelay(() -> probe(timeout), 0, ms, TimeUnit.MILLISECONDS);
    }

    private void probe(int timeoutMillis) {
        try {
            boolean ok;
            int colon = target.lastIndexOf(':');
            if (colon > 0 && target.indexOf(':') == colon) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1))),
                            timeoutMillis);
                    ok = true;
                }
            } else {
                ok = InetAddress.getByName(target).isReachable(timeoutMillis);
            }
            if (ok) lastOkNanos = System.nanoTime();
            lastResult = ok ? "reachable" : "no answer";
        } catch (IOException | RuntimeException e) {
            lastResult = e.toString();
        }
    }

    /** When the witness last answered ({@link System#nanoTime()}), or {@link Event.Tick#NEVER}. */
    long lastOkNanos() {
        return lastOkNanos;
    }

    String lastResult() {
        return target + ": " + lastResult;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
