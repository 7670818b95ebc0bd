package dev.cairn.replication.probe;

import java.util.Locale;

/** A replica's IO (receiver) thread as {@code Slave_IO_Running}/{@code Replica_IO_Running} shows it. */
public enum IoState {
    /** Connected to its source and receiving. */
    YES,
    /** Trying to connect (source gone, wrong address, bad credentials): it has lost its source. */
    CONNECTING,
    /** Stopped. */
    NO;

    public static IoState parse(String v) {
        if (v == null) return NO;
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "yes" -> YES;
            case "connecting", "preparing" -> CONNECTING;
            default -> NO;
        };
    }
}
