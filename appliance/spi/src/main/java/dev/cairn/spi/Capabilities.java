package dev.cairn.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Linux capabilities this process has in effect (CapEff of /proc/self/status), so a module can
 * fail at start with the name of a missing capability instead of a bare "Operation not
 * permitted" later. Only the three the packaged unit grants are named here.
 */
public final class Capabilities {

    /** Capability name to bit, from linux/capability.h. */
    public static final Map<String, Integer> BITS = Map.of(
            "CAP_NET_BIND_SERVICE", 10, "CAP_NET_ADMIN", 12, "CAP_NET_RAW", 13);

    private Capabilities() {
    }

    /** The effective capability mask, or -1 when it cannot be read (not Linux): then nothing is reported missing. */
    public static long effective() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or no procfs: cannot tell.
        }
        return -1;
    }

    /** Those of {@code names} (CAP_NET_ADMIN, ...) that are not in effect; empty when all are, or when unknown. */
    public static List<String> missing(String... names) {
        long eff = effective();
        List<String> out = new ArrayList<>();
        if (eff == -1) return out;
        for (String n : names) {
            Integer bit = BITS.get(n);
            if (bit == null) throw new IllegalArgumentException("unknown capability " + n);
            if ((eff & (1L << bit)) == 0) out.add(n);
        }
        return out;
    }
}
