package dev.cairn.dns.server.mmsg;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemorySegment;

/** struct sockaddr_in / sockaddr_in6 in native memory (64-bit Linux layout). */
final class SocketAddresses {

    private SocketAddresses() {
    }

    /** Writes {@code ip:port} at {@code offset}; returns the struct's length. IPv4 on a v6 socket is mapped. */
    static int write(MemorySegment s, long offset, boolean v6, InetAddress ip, int port) {
        byte[] a = ip.getAddress();
        if (!v6) {
            if (!(ip instanceof Inet4Address)) throw new IllegalArgumentException("not IPv4: " + ip);
            MemoryAccess.setShortAtOffset(s, offset, (short) Syscalls.AF_INET);
            MemoryAccess.setShortAtOffset(s, offset + 2, ByteOrder.BIG_ENDIAN, (short) port);
            for (int i = 0; i < 4; i++) MemoryAccess.setByteAtOffset(s, offset + 4 + i, a[i]);
            for (int i = 8; i < 16; i++) MemoryAccess.setByteAtOffset(s, offset + i, (byte) 0);
            return Syscalls.SOCKADDR_IN_BYTES;
        }
        byte[] a16 = new byte[16];
        if (ip.isAnyLocalAddress()) {
            // 0.0.0.0 or ::, both the dual-stack wildcard.
        } else if (a.length == 4) {
            a16[10] = (byte) 0xFF;
            a16[11] = (byte) 0xFF;
            System.arraycopy(a, 0, a16, 12, 4);
        } else {
            System.arraycopy(a, 0, a16, 0, 16);
        }
        MemoryAccess.setShortAtOffset(s, offset, (short) Syscalls.AF_INET6);
        MemoryAccess.setShortAtOffset(s, offset + 2, ByteOrder.BIG_ENDIAN, (short) port);
        MemoryAccess.setIntAtOffset(s, offset + 4, 0);
        for (int i = 0; i < 16; i++) MemoryAccess.setByteAtOffset(s, offset + 8 + i, a16[i]);
        int scope = ip instanceof Inet6Address v6a ? v6a.getScopeId() : 0;
        MemoryAccess.setIntAtOffset(s, offset + 24, scope);
        return Syscalls.SOCKADDR_IN6_BYTES;
    }

    static int family(MemorySegment s, long offset) {
        return MemoryAccess.getShortAtOffset(s, offset) & 0xFFFF;
    }

    static int port(MemorySegment s, long offset) {
        return MemoryAccess.getShortAtOffset(s, offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    /** The address a mmsghdr at {@code hdr} is sent to, for a log line. */
    static String describe(MemorySegment vec, long hdr) {
        long name = MemoryAccess.getLongAtOffset(vec, hdr + Syscalls.MSG_NAME);
        MemorySegment all = MemorySegment.globalNativeSegment();
        InetAddress ip = new AddressCache().of(all, name);
        return (ip == null ? "?" : ip.getHostAddress()) + ":" + port(all, name);
    }

    static InetAddress inet4(int bigEndian) {
        byte[] b = {(byte) (bigEndian >>> 24), (byte) (bigEndian >>> 16), (byte) (bigEndian >>> 8), (byte) bigEndian};
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // 4 bytes are always an address
        }
    }

    static InetAddress inet6(long hi, long lo, int scope) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            // A v4-mapped address (a v4 client of a dual-stack socket) comes back as an Inet4Address.
            InetAddress a = InetAddress.getByAddress(b);
            return scope != 0 && a instanceof Inet6Address ? Inet6Address.getByAddress(null, b, scope) : a;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
