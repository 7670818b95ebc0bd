package dev.cairn.dns.server.mmsg;

import dev.cairn.dns.DnsErrors;
import static dev.cairn.dns.server.mmsg.Syscalls.AF_INET;
import static dev.cairn.dns.server.mmsg.Syscalls.AF_INET6;

import dev.cairn.dns.server.QueryHandler;
import dev.cairn.dns.server.UdpListeners;
import dev.cairn.dns.server.UdpServer;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batched UDP path: {@code n} sockets bound to one address with SO_REUSEPORT, each read by
 * its own thread with recvmmsg(2) (up to {@code batch} datagrams per call: it blocks for the
 * first and takes what else is queued), the answers of a batch sent with one sendmmsg(2). The
 * sockets are made here through the FFM API; the JDK's DatagramChannel never sees them.
 *
 * <p>Threads: one per socket, each owning its native buffers (a confined scope freed when it
 * exits), blocked in recvmmsg with no timeout while no query comes (an idle server wakes no
 * thread). {@link #close} sets a flag, shuts the sockets down (Linux then wakes a blocked
 * recvmmsg, and one called later returns at once), joins the threads and then closes the
 * descriptors, so no thread ever uses a descriptor number the process may have reused; a thread
 * that did not stop keeps its descriptor open.
 */
public final class BatchedUdpServer implements UdpListeners {

    /**
     * Receive slot per datagram. One byte more than the largest request served, so a longer
     * datagram arrives cut to this length and the handler drops it as oversized.
     */
    static final int RECEIVE_SLOT_BYTES = QueryHandler.MAX_UDP_REQUEST_BYTES + 1;
    /** Send slot per answer: UDP answers are at most edns_udp_size (<= 4096); larger ones go alone. */
    static final int SEND_SLOT_BYTES = 4096;
    /** Largest datagram for an answer that does not fit a send slot. */
    static final int LARGEST_DATAGRAM_BYTES = 65_507;
    /** Where the kernel writes a sender's address: room for a sockaddr_in6, 8-aligned. */
    static final int NAME_SLOT_BYTES = 32;
    /** Join deadline per listener thread at close. */
    static final long JOIN_MILLIS = 2000;

    private static final Logger log = LoggerFactory.getLogger(BatchedUdpServer.class);

    private final QueryHandler handler;
    private final int batch;
    private final List<Integer> fds = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closed;
    /** Racy max over the threads: a rare lost update only understates it. */
    private volatile int largestBatch;
    private InetSocketAddress bound;

    public BatchedUdpServer(QueryHandler handler, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch " + batch);
        this.handler = handler;
        this.batch = batch;
    }

    /**
     * Null when the batched path works in this JVM, else why not. Loading this class is the
     * first test (a LinkageError when jdk.incubator.foreign is missing or native access is off,
     * caught by the caller); then one socket is opened and closed.
     */
    public static String unavailableReason() {
        int fd = Syscalls.socket(AF_INET, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0);
        if (fd < 0) return "socket(AF_INET, SOCK_DGRAM): " + Syscalls.strerror(Syscalls.errno());
        Syscalls.close(fd);
        return null;
    }

    @Override
    public void start(InetSocketAddress address, int listeners) throws IOException {
        try {
            // SO_REUSEPORT even for one socket: a reload that re-opens the listener binds the new
            // sockets beside these before closing them.
            int first = open(address, true);
            bound = new InetSocketAddress(address.getAddress(), localPort(first));
            for (int i = 1; i < listeners; i++) {
                open(new InetSocketAddress(address.getAddress(), bound.getPort()), true);
            }
            for (int i = 0; i < listeners; i++) {
                int fd = fds.get(i);
                Thread t = new Thread(() -> serve(fd), "cairn-dns-udp-" + bound.getPort() + "-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public InetSocketAddress address() {
        return bound;
    }

    @Override
    public int largestBatch() {
        return largestBatch;
    }

    @Override
    public double averageBatch() {
        long calls = 0;
        long datagrams = 0;
        for (Listener l : listeners) {
            calls += l.calls;
            datagrams += l.datagrams;
        }
        return calls == 0 ? 0 : (double) datagrams / calls;
    }

    /** A bound socket: IPv4 for an IPv4 address, dual-stack IPv6 for a wildcard (as the JDK does). */
    private int open(InetSocketAddress address, boolean reusePort) throws IOException {
        InetAddress ip = address.getAddress();
        boolean v6 = ip instanceof Inet6Address || ip.isAnyLocalAddress();
        int fd = Syscalls.socket(v6 ? AF_INET6 : AF_INET, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0);
        if (fd < 0 && v6 && ip.isAnyLocalAddress()) {
            // No IPv6 on this host: the wildcard is then IPv4's.
            v6 = false;
            fd = Syscalls.socket(AF_INET, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0);
        }
        if (fd < 0) throw new SocketException("socket(): " + Syscalls.strerror(Syscalls.errno()));
        fds.add(fd);
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            MemorySegment value = MemorySegment.allocateNative(16, 8, scope);
            if (reusePort) setInt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_REUSEPORT, 1, value, "SO_REUSEPORT");
            setInt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_RCVBUF, UdpServer.SOCKET_BUFFER_BYTES, value, "SO_RCVBUF");
            setInt(fd, Syscalls.SOL_SOCKET, Syscalls.SO_SNDBUF, UdpServer.SOCKET_BUFFER_BYTES, value, "SO_SNDBUF");
            if (v6) setInt(fd, Syscalls.IPPROTO_IPV6, Syscalls.IPV6_V6ONLY, 0, value, "IPV6_V6ONLY");
            MemorySegment sa = MemorySegment.allocateNative(NAME_SLOT_BYTES, 8, scope);
            int len = SocketAddresses.write(sa, 0, v6, ip, address.getPort());
            if (Syscalls.bind(fd, sa.address(), len) < 0) {
                int err = Syscalls.errno();
                String msg = Syscalls.strerror(err) + ": bind " + address;
                if (err == Syscalls.EADDRINUSE || err == Syscalls.EADDRNOTAVAIL || err == Syscalls.EACCES) {
                    throw new BindException(msg);
                }
                throw new SocketException(msg);
            }
        }
        return fd;
    }

    private static void setInt(int fd, int level, int name, int v, MemorySegment value, String what) throws SocketException {
        MemoryAccess.setIntAtOffset(value, 0, v);
        if (Syscalls.setsockopt(fd, level, name, value.address(), 4) < 0) {
            throw new SocketException("setsockopt(" + what + "): " + Syscalls.strerror(Syscalls.errno()));
        }
    }

    private static int localPort(int fd) throws SocketException {
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            MemorySegment sa = MemorySegment.allocateNative(NAME_SLOT_BYTES, 8, scope);
            MemorySegment len = MemorySegment.allocateNative(4, 4, scope);
            MemoryAccess.setIntAtOffset(len, 0, NAME_SLOT_BYTES);
            if (Syscalls.getsockname(fd, sa.address(), len.address()) < 0) {
                throw new SocketException("getsockname: " + Syscalls.strerror(Syscalls.errno()));
            }
            return SocketAddresses.port(sa, 0);
        }
    }

    private void serve(int fd) {
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            Listener l = new Listener(fd, scope);
            listeners.add(l);
            l.run();
        } catch (RuntimeException | Error e) {
            if (!closed) {
                log.atError().addKeyValue("error_id", DnsErrors.LISTENER_REQUEST_FAILED.id()).log("UDP listener on fd {} stopped: {}", fd, e.toString());
            }
        }
    }

    /**
     * One thread's loop and buffers; the {@link QueryHandler.Sink} of its requests. Native memory,
     * all set up once: {@code batch} receive slots with their iovecs, sender addresses and
     * mmsghdrs; {@code batch} send slots with theirs. An answer's mmsghdr points at its request's
     * sender address as written by the kernel, so nothing is copied to address it.
     */
    private final class Listener implements QueryHandler.Sink {
        private final int fd;
        private final ResourceScope scope;
        private final long errno = Syscalls.errnoAddress();
        private final MemorySegment recvVec;
        private final MemorySegment names;
        private final MemorySegment sendVec;
        private final MemorySegment sendIov;
        /** Views of the data slots, for bulk copies to and from byte[] that allocate nothing. */
        private final java.nio.ByteBuffer recvData;
        private final java.nio.ByteBuffer sendData;
        private final MemoryAddress recvVecAddress;
        /** sendVecAt[i]: the address of send mmsghdr i, to resend from there after a partial send. */
        private final MemoryAddress[] sendVecAt;
        private final long namesBase;
        private final byte[] request = new byte[RECEIVE_SLOT_BYTES];
        private final dev.cairn.dns.server.ResponseCache.Key scratch = new dev.cairn.dns.server.ResponseCache.Key();
        private final AddressCache senders = new AddressCache();
        /** The request being handled: its sender is where its answers go. */
        private int current;
        /** Answers queued in the send slots. */
        private int pending;
        private MemorySegment large;
        /** recvmmsg calls that returned datagrams, and those datagrams: written by this thread only, read racily by status. */
        long calls;
        long datagrams;

        Listener(int fd, ResourceScope scope) {
            this.fd = fd;
            this.scope = scope;
            MemorySegment recvSlots = MemorySegment.allocateNative((long) batch * RECEIVE_SLOT_BYTES, 64, scope);
            MemorySegment recvIov = MemorySegment.allocateNative((long) batch * Syscalls.IOVEC_BYTES, 8, scope);
            recvVec = MemorySegment.allocateNative((long) batch * Syscalls.MMSGHDR_BYTES, 8, scope);
            names = MemorySegment.allocateNative((long) batch * NAME_SLOT_BYTES, 8, scope);
            MemorySegment sendSlots = MemorySegment.allocateNative((long) batch * SEND_SLOT_BYTES, 64, scope);
            sendIov = MemorySegment.allocateNative((long) batch * Syscalls.IOVEC_BYTES, 8, scope);
            sendVec = MemorySegment.allocateNative((long) batch * Syscalls.MMSGHDR_BYTES, 8, scope);
            recvData = recvSlots.asByteBuffer();
            sendData = sendSlots.asByteBuffer();
            recvVecAddress = raw(recvVec, 0);
            namesBase = names.address().toRawLongValue();
            sendVecAt = new MemoryAddress[batch];
            for (int i = 0; i < batch; i++) {
                long iov = (long) i * Syscalls.IOVEC_BYTES;
                long hdr = (long) i * Syscalls.MMSGHDR_BYTES;
                MemoryAccess.setLongAtOffset(recvIov, iov, recvSlots.address().toRawLongValue() + (long) i * RECEIVE_SLOT_BYTES);
                MemoryAccess.setLongAtOffset(recvIov, iov + 8, RECEIVE_SLOT_BYTES);
                MemoryAccess.setLongAtOffset(recvVec, hdr + Syscalls.MSG_NAME, namesBase + (long) i * NAME_SLOT_BYTES);
                MemoryAccess.setLongAtOffset(recvVec, hdr + Syscalls.MSG_IOV, recvIov.address().toRawLongValue() + iov);
                MemoryAccess.setLongAtOffset(recvVec, hdr + Syscalls.MSG_IOVLEN, 1);
                MemoryAccess.setLongAtOffset(sendIov, iov, sendSlots.address().toRawLongValue() + (long) i * SEND_SLOT_BYTES);
                MemoryAccess.setLongAtOffset(sendVec, hdr + Syscalls.MSG_IOV, sendIov.address().toRawLongValue() + iov);
                MemoryAccess.setLongAtOffset(sendVec, hdr + Syscalls.MSG_IOVLEN, 1);
                sendVecAt[i] = raw(sendVec, hdr);
            }
        }

        /** An address without a scope: the downcall then takes it as a plain pointer, no checks, no allocation. */
        private static MemoryAddress raw(MemorySegment s, long offset) {
            return MemoryAddress.ofLong(s.address().toRawLongValue() + offset);
        }

        void run() {
            while (!closed) {
                for (int i = 0; i < batch; i++) {
                    // In: room for the sender's address; out: its length.
                    MemoryAccess.setIntAtOffset(recvVec, (long) i * Syscalls.MMSGHDR_BYTES + Syscalls.MSG_NAMELEN, NAME_SLOT_BYTES);
                }
                int n = Syscalls.recvmmsg(fd, recvVecAddress, batch, Syscalls.MSG_WAITFORONE);
                if (n < 0) {
                    int err = Syscalls.errno(errno);
                    if (closed) return;
                    if (err != Syscalls.EAGAIN && err != Syscalls.EINTR) {
                        if (err == Syscalls.EBADF) return;
                        log.debug("UDP receive failed: {}", Syscalls.strerror(err));
                    }
                    continue;
                }
                if (n > largestBatch) largestBatch = n;
                calls++;
                datagrams += n;
                for (int i = 0; i < n; i++) handle(i);
                flush();
            }
        }

        private void handle(int i) {
            long hdr = (long) i * Syscalls.MMSGHDR_BYTES;
            int len = MemoryAccess.getIntAtOffset(recvVec, hdr + Syscalls.MSG_LEN);
            long name = (long) i * NAME_SLOT_BYTES;
            InetAddress client = senders.of(names, name);
            if (client == null) return; // not an IP sender: cannot happen on an inet socket
            int port = SocketAddresses.port(names, name);
            recvData.get(i * RECEIVE_SLOT_BYTES, request, 0, len);
            current = i;
            try {
                handler.handle(request, len, client, port, false, this, scratch);
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                log.atWarn().addKeyValue("error_id", DnsErrors.LISTENER_REQUEST_FAILED.id())
                        .log("UDP request from {} failed: {}", client, e.toString());
            }
        }

        /** Queues {@code length} bytes now in send slot {@code pending} for the current request's sender. */
        private void queue(int length) {
            long hdr = (long) pending * Syscalls.MMSGHDR_BYTES;
            long recvHdr = (long) current * Syscalls.MMSGHDR_BYTES;
            MemoryAccess.setLongAtOffset(sendVec, hdr + Syscalls.MSG_NAME, namesBase + (long) current * NAME_SLOT_BYTES);
            MemoryAccess.setIntAtOffset(sendVec, hdr + Syscalls.MSG_NAMELEN,
                    MemoryAccess.getIntAtOffset(recvVec, recvHdr + Syscalls.MSG_NAMELEN));
            MemoryAccess.setLongAtOffset(sendIov, (long) pending * Syscalls.IOVEC_BYTES + 8, length);
            pending++;
        }

        @Override
        public void send(byte[] message) {
            if (message.length > SEND_SLOT_BYTES) {
                sendLarge(message);
                return;
            }
            if (pending == batch) flush();
            sendData.put(pending * SEND_SLOT_BYTES, message, 0, message.length);
            queue(message.length);
        }

        @Override
        public void sendPatched(byte[] wire, byte[] query, int nameLength) {
            if (wire.length > SEND_SLOT_BYTES) {
                byte[] out = wire.clone();
                out[0] = query[0];
                out[1] = query[1];
                System.arraycopy(query, 12, out, 12, nameLength);
                sendLarge(out);
                return;
            }
            if (pending == batch) flush();
            // The cached answer is copied straight into the send slot and patched there.
            int at = pending * SEND_SLOT_BYTES;
            sendData.put(at, wire, 0, wire.length);
            sendData.put(at, query[0]);
            sendData.put(at + 1, query[1]);
            sendData.put(at + 12, query, 12, nameLength);
            queue(wire.length);
        }

        /** Sends the queued answers: one sendmmsg, again from where a partial send stopped. */
        private void flush() {
            int from = 0;
            while (from < pending) {
                int sent = Syscalls.sendmmsg(fd, sendVecAt[from], pending - from, 0);
                if (sent > 0) {
                    from += sent;
                    continue;
                }
                int err = Syscalls.errno(errno);
                if (closed) break;
                // sendmmsg fails only for its first message: that client's answer is lost, not the others'.
                if (log.isDebugEnabled()) {
                    log.debug("UDP send to {} failed: {}", SocketAddresses.describe(sendVec,
                            (long) from * Syscalls.MMSGHDR_BYTES), Syscalls.strerror(err));
                }
                from++;
            }
            pending = 0;
        }

        /** An answer larger than a send slot (not produced today: UDP answers are cut to 4096). */
        private void sendLarge(byte[] message) {
            if (message.length > LARGEST_DATAGRAM_BYTES) return;
            if (large == null) large = MemorySegment.allocateNative(LARGEST_DATAGRAM_BYTES, 8, scope);
            large.asByteBuffer().put(0, message, 0, message.length);
            long recvHdr = (long) current * Syscalls.MMSGHDR_BYTES;
            long sent = Syscalls.sendto(fd, large.address(), message.length, 0,
                    MemoryAddress.ofLong(namesBase + (long) current * NAME_SLOT_BYTES),
                    MemoryAccess.getIntAtOffset(recvVec, recvHdr + Syscalls.MSG_NAMELEN));
            if (sent < 0 && log.isDebugEnabled()) log.debug("UDP send failed: {}", Syscalls.strerror(Syscalls.errno(errno)));
        }
    }

    @Override
    public void close() {
        closed = true;
        // Wakes a thread blocked in recvmmsg (it returns 0 with RCV_SHUTDOWN set), and makes a
        // recvmmsg called after this return at once: no timeout is needed to see the flag.
        for (int fd : fds) Syscalls.shutdown(fd, Syscalls.SHUT_RDWR);
        boolean exited = true;
        for (Thread t : threads) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exited &= !t.isAlive();
        }
        if (exited) {
            for (int fd : fds) Syscalls.close(fd);
        } else {
            // Its descriptor stays open (a leak, not a read of a reused number by a live thread).
            log.warn("a DNS UDP listener thread did not stop within {} ms; its sockets stay open", JOIN_MILLIS);
        }
        threads.clear();
        fds.clear();
        listeners.clear();
    }
}
