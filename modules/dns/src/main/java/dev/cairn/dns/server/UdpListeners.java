package dev.cairn.dns.server;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The UDP side of the server: sockets bound to one address, each read by its own thread, every
 * datagram handed to the {@link QueryHandler}. Two implementations: {@link UdpServer} (one
 * datagram per system call, any JDK) and the batched one in {@code server.mmsg} (recvmmsg and
 * sendmmsg, Linux on JDK 17); {@link UdpPath#open} picks one.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close} once (also after a failed start);
 * close returns when the listener threads have exited and the port is free.
 */
public interface UdpListeners extends AutoCloseable {

    /** Binds and starts {@code listeners} threads. On failure, closes what it opened and throws. */
    void start(InetSocketAddress address, int listeners) throws IOException;

    /** The address bound, port 0 resolved. */
    InetSocketAddress address();

    /** The most datagrams one system call has read so far (always 1 on the portable path). */
    default int largestBatch() {
        return 1;
    }

    /** Datagrams per receive call on average since start (0 before the first; 1 on the portable path). */
    default double averageBatch() {
        return 1;
    }

    @Override
    void close();
}
