package dev.cairn.cluster.vip;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The installed arping, whichever it is: iputils' ({@code arping -U -c N -I IF ADDR}) or Debian's
 * arping package by Thomas Habets ({@code arping -U -c N -i IF -S ADDR ADDR}), whose flags differ.
 */
public enum Arping {
    IPUTILS, HABETS, MISSING;

    /** Asks the installed arping who it is. */
    public static Arping detect() {
        try {
            Commands.Result r = Commands.run(List.of("arping", "-V"), Map.of(), Duration.ofSeconds(3));
            if (r.output().contains("iputils")) return IPUTILS;
            Commands.Result h = Commands.run(List.of("arping", "--help"), Map.of(), Duration.ofSeconds(3));
            if (h.output().contains("ARPing") || h.output().contains("Habets") || h.output().contains("-S")) return HABETS;
            return r.output().isEmpty() ? MISSING : IPUTILS;
        } catch (IOException e) {
            return MISSING;
        }
    }

    /** The command sending {@code count} gratuitous (unsolicited) ARPs for {@code ip} out of {@code dev}. */
    public List<String> garp(String dev, String ip, int count) {
        return switch (this) {
            case IPUTILS -> List.of("arping", "-q", "-U", "-c", Integer.toString(count), "-w", Integer.toString(count + 1),
                    "-I", dev, ip);
            case HABETS -> List.of("arping", "-q", "-U", "-c", Integer.toString(count), "-i", dev, "-S", ip, ip);
            case MISSING -> List.of();
        };
    }
}
