package dev.cairn.dns.server.mmsg;

import java.net.InetAddress;
import java.nio.ByteOrder;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemorySegment;

/**
 * The sender of the last datagram, as an InetAddress: the next one from the same address reuses
 * it, so a steady client costs no allocation. One per listener thread; not thread-safe.
 */
final class AddressCache {
    private int family;
    private long hi;
    private long lo;
    private int scope;
    private InetAddress last;

    /** The sender address of the sockaddr at {@code offset}; null for a family other than IPv4/IPv6. */
    InetAddress of(MemorySegment s, long offset) {
        int f = SocketAddresses.family(s, offset);
        if (f == Syscalls.AF_INET) {
            long a = MemoryAccess.getIntAtOffset(s, offset + 4, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
            if (last == null || family != f || lo != a) {
                last = SocketAddresses.inet4((int) a);
                family = f;
                lo = a;
            }
            return last;
        }
        if (f == Syscalls.AF_INET6) {
            long h = MemoryAccess.getLongAtOffset(s, offset + 8, ByteOrder.BIG_ENDIAN);
            long l = MemoryAccess.getLongAtOffset(s, offset + 16, ByteOrder.BIG_ENDIAN);
            int sc = MemoryAccess.getIntAtOffset(s, offset + 24);
            if (last == null || family != f || hi != h || lo != l || scope != sc) {
                last = SocketAddresses.inet6(h, l, sc);
                family = f;
                hi = h;
                lo = l;
                scope = sc;
            }
            return last;
        }
        return null;
    }
}
