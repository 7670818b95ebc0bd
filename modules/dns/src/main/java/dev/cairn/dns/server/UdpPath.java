package dev.cairn.dns.server;

import java.util.Locale;

/**
 * Chooses the UDP path: batched recvmmsg/sendmmsg (package {@code server.mmsg}, the JDK 17
 * incubator FFM API) when {@code udp_batch} is above 1 and this JVM can run it, else
 * {@link UdpServer}. The checks run before any class of {@code server.mmsg} is loaded, so a
 * JVM without {@code jdk.incubator.foreign} never touches it; the outcome is computed once.
 */
public final class UdpPath {

    /** Why the batched path cannot run here, or null when it can. */
    private static volatile String unavailable;
    private static volatile boolean probed;

    private UdpPath() {
    }

    /** The listeners for {@code batch} datagrams per system call (1: the portable path). */
    public static UdpListeners open(QueryHandler handler, int batch) {
        if (batch > 1 && batchedUnavailable() == null) {
            return new dev.cairn.dns.server.mmsg.BatchedUdpServer(handler, batch);
        }
        return new UdpServer(handler);
    }

    /** One line for the log and the status page: which path {@link #open} takes for {@code batch}. */
    public static String describe(int batch) {
        if (batch <= 1) return "one datagram per system call (udp_batch 1)";
        String why = batchedUnavailable();
        return why == null ? "batched recvmmsg/sendmmsg, batch " + batch
                : "one datagram per system call (FFM unavailable: " + why + ")";
    }

    /** Null when the batched path can run in this JVM, else the reason it cannot. */
    public static String batchedUnavailable() {
        if (!probed) {
            synchronized (UdpPath.class) {
                if (!probed) {
                    unavailable = probe();
                    probed = true;
                }
            }
        }
        return unavailable;
    }

    private static String probe() {
        String os = System.getProperty("os.name", "");
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        // The struct layouts in server.mmsg are those of 64-bit Linux, the same on both.
        if (!os.equals("Linux")) return "not Linux (" + os + ")";
        if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) return "architecture " + arch;
        // The incubator API of 17 changed in every release after it.
        int feature = Runtime.version().feature();
        if (feature != 17) return "Java " + feature + ", the batched path is written for Java 17's jdk.incubator.foreign";
        if (ModuleLayer.boot().findModule("jdk.incubator.foreign").isEmpty()) {
            return "module jdk.incubator.foreign not resolved (java --add-modules jdk.incubator.foreign)";
        }
        try {
            return dev.cairn.dns.server.mmsg.BatchedUdpServer.unavailableReason();
        } catch (LinkageError | IllegalCallerException | UnsupportedOperationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return cause instanceof IllegalCallerException
                    ? cause + " (java --enable-native-access=ALL-UNNAMED)" : cause.toString();
        }
    }
}
