package dev.cairn.dns.server.mmsg;

import static jdk.incubator.foreign.CLinker.C_INT;
import static jdk.incubator.foreign.CLinker.C_LONG;
import static jdk.incubator.foreign.CLinker.C_POINTER;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;

/**
 * The libc socket calls the batched path needs, bound with the JDK 17 incubator FFM API, and the
 * constants and struct layouts of 64-bit Linux (x86_64 and aarch64 share them). Loading this
 * class fails with a {@link LinkageError} when the API is not usable (module not resolved,
 * native access not enabled): {@code UdpPath} catches that and takes the portable path.
 *
 * <p>The handles are static finals so the JIT treats them as constants. errno: the 17 API cannot
 * capture it, so callers read it through {@link #errno} right after a failed call, on the same
 * thread; a wrong value can only change a log line or an exception message, never the control
 * flow that matters (the listener loops check their closed flag).
 */
final class Syscalls {

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_REUSEPORT = 15;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    static final int MSG_WAITFORONE = 0x10000;
    static final int SHUT_RDWR = 2;

    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EAFNOSUPPORT = 97;
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;

    /** struct sockaddr_in6, the larger of the two address structs; sockaddr_in is 16. */
    static final int SOCKADDR_IN6_BYTES = 28;
    static final int SOCKADDR_IN_BYTES = 16;
    /** struct iovec: void *iov_base; size_t iov_len. */
    static final int IOVEC_BYTES = 16;
    /** struct mmsghdr: struct msghdr (56 bytes) then unsigned int msg_len, padded to 64. */
    static final int MMSGHDR_BYTES = 64;
    static final int MSG_NAME = 0;
    static final int MSG_NAMELEN = 8;
    static final int MSG_IOV = 16;
    static final int MSG_IOVLEN = 24;
    static final int MSG_LEN = 56;

    private static final CLinker LINKER = CLinker.getInstance();

    private static final MethodHandle SOCKET = fn("socket", int.class, FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT),
            int.class, int.class, int.class);
    private static final MethodHandle SETSOCKOPT = fn("setsockopt", int.class,
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT),
            int.class, int.class, int.class, MemoryAddress.class, int.class);
    private static final MethodHandle BIND = fn("bind", int.class, FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT),
            int.class, MemoryAddress.class, int.class);
    private static final MethodHandle GETSOCKNAME = fn("getsockname", int.class,
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER), int.class, MemoryAddress.class, MemoryAddress.class);
    private static final MethodHandle RECVMMSG = fn("recvmmsg", int.class,
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT, C_POINTER),
            int.class, MemoryAddress.class, int.class, int.class, MemoryAddress.class);
    private static final MethodHandle SENDMMSG = fn("sendmmsg", int.class,
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT), int.class, MemoryAddress.class, int.class, int.class);
    private static final MethodHandle SENDTO = fn("sendto", long.class,
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_INT, C_POINTER, C_INT),
            int.class, MemoryAddress.class, long.class, int.class, MemoryAddress.class, int.class);
    private static final MethodHandle SHUTDOWN = fn("shutdown", int.class, FunctionDescriptor.of(C_INT, C_INT, C_INT),
            int.class, int.class);
    private static final MethodHandle CLOSE = fn("close", int.class, FunctionDescriptor.of(C_INT, C_INT), int.class);
    private static final MethodHandle ERRNO_LOCATION = fn("__errno_location", MemoryAddress.class,
            FunctionDescriptor.of(C_POINTER));
    private static final MethodHandle STRERROR = fn("strerror", MemoryAddress.class, FunctionDescriptor.of(C_POINTER, C_INT),
            int.class);

    private Syscalls() {
    }

    private static MethodHandle fn(String name, Class<?> ret, FunctionDescriptor d, Class<?>... params) {
        MemoryAddress symbol = CLinker.systemLookup().lookup(name)
                .orElseThrow(() -> new UnsupportedOperationException("libc has no " + name));
        return LINKER.downcallHandle(symbol, MethodType.methodType(ret, params), d);
    }

    // Downcalls do not throw for a failed system call (that is a negative return); a Throwable
    // here is a bug, so it surfaces as an IllegalStateException.

    static int socket(int domain, int type, int protocol) {
        try {
            return (int) SOCKET.invokeExact(domain, type, protocol);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int setsockopt(int fd, int level, int name, MemoryAddress value, int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(fd, level, name, value, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int bind(int fd, MemoryAddress addr, int length) {
        try {
            return (int) BIND.invokeExact(fd, addr, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int getsockname(int fd, MemoryAddress addr, MemoryAddress length) {
        try {
            return (int) GETSOCKNAME.invokeExact(fd, addr, length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int recvmmsg(int fd, MemoryAddress vec, int vlen, int flags) {
        try {
            return (int) RECVMMSG.invokeExact(fd, vec, vlen, flags, MemoryAddress.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int sendmmsg(int fd, MemoryAddress vec, int vlen, int flags) {
        try {
            return (int) SENDMMSG.invokeExact(fd, vec, vlen, flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long sendto(int fd, MemoryAddress buf, long len, int flags, MemoryAddress to, int toLength) {
        try {
            return (long) SENDTO.invokeExact(fd, buf, len, flags, to, toLength);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int shutdown(int fd, int how) {
        try {
            return (int) SHUTDOWN.invokeExact(fd, how);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int close(int fd) {
        try {
            return (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The calling thread's errno location: constant for a thread, so a listener reads it once. */
    static long errnoAddress() {
        try {
            return ((MemoryAddress) ERRNO_LOCATION.invokeExact()).toRawLongValue();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** errno of the calling thread, {@code errnoAddress} being that thread's {@link #errnoAddress}. */
    static int errno(long errnoAddress) {
        return MemoryAccess.getIntAtOffset(MemorySegment.globalNativeSegment(), errnoAddress);
    }

    /** errno of the calling thread: call right after the failed call, with nothing in between. */
    static int errno() {
        return errno(errnoAddress());
    }

    static String strerror(int errno) {
        try {
            return CLinker.toJavaString((MemoryAddress) STRERROR.invokeExact(errno)) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
