package dev.cairn.cluster;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.time.Duration;

/** {@code cluster.driver}: how a node takes and releases a VIP. */
public record DriverConfig(
        @Doc(value = "linux (ip addr + gratuitous ARP / unsolicited NA), script (run on_master / on_backup) or none (election only).",
                dflt = "linux")
        DriverType type,
        @Doc(value = "script driver: command run (sh -c) when this node becomes master of a VIP.")
        String onMaster,
        @Doc(value = "script driver: command run when this node stops being master of a VIP.")
        String onBackup,
        @Doc(value = "Gratuitous ARPs sent at takeover (and again after garp_repeat_after).", dflt = "5")
        @Range(min = 0, max = 100)
        int garpCount,
        @Doc(value = "Delay of the second burst of gratuitous ARPs after a takeover (0s: none).", dflt = "5s")
        Duration garpRepeatAfter,
        @Doc(value = "Interval of periodic gratuitous ARP refreshes while master (0s: none).", dflt = "0s")
        Duration garpRefresh,
        @Doc(value = "Longest time a driver command or notify hook may run before it is killed.", dflt = "10s")
        Duration commandTimeout) {

    /** The driver kinds. */
    public enum DriverType { LINUX, SCRIPT, NONE }
}
