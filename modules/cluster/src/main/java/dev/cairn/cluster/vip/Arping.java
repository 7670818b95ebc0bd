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
    /** iputils with {@code -i} (2020 and later): the burst goes out at once, as keepalived sends it. */
    IPUTILS,
    /** Older iputils: one packet per second. */
    IPUTILS_NO_INTERVAL,
    HABETS,
    MISSING;

    /** Asks the installed arping (the first on the PATH) who it is. */
    public static Arping detect() {
        return detect("arping");
    }

    /**
     * Asks {@code command} who it is. iputils answers {@code -V} with "arping from iputils ..."
     * (older: "arping utility, iputils-s2016..."); Habets' arping takes {@code -V} as its VLAN
     * option, so {@code -V} alone is a usage error there, and {@code --help} names it ("ARPing
     * 2.x, by Thomas Habets").
     */
    public static Arping detect(String command) {
        try {
            Commands.Result r = Commands.run(List.of(command, "-V"), Map.of(), Duration.ofSeconds(3));
            if (r.output().contains("iputils")) {
                Commands.Result help = Commands.run(List.of(command, "-h"), Map.of(), Duration.ofSeconds(3));
                return help.output().contains("-i <interval>") ? IPUTILS : IPUTILS_NO_INTERVAL;
            }
            Commands.Result h = Commands.run(List.of(command, "--help"), Map.of(), Duration.ofSeconds(3));
            if (h.output().contains("ARPing") || h.output().contains("Habets") || h.output().contains("-S")) return HABETS;
            return r.output().isEmpty() ? MISSING : IPUTILS;
        } catch (IOException e) {
            return MISSING;
        }
    }

    /** The command sending {@code count} gratuitous (unsolicited) ARPs for {@code ip} out of {@code dev}. */
    public List<String> garp(String dev, String ip, int count) {
        return switch (this) {
            case IPUTILS -> List.of("arping", "-q", "-U", "-c", Integer.toString(count), "-i", "0", "-w", "2", "-I", dev, ip);
            case IPUTILS_NO_INTERVAL -> List.of("arping", "-q", "-U", "-c", Integer.toString(count),
                    "-w", Integer.toString(count + 1), "-I", dev, ip);
            case HABETS -> List.of("arping", "-q", "-U", "-c", Integer.toString(count), "-i", dev, "-S", ip, ip);
            case MISSING -> List.of();
        };
    }
}
