package dev.cairn.dns.server;

import dev.cairn.dns.DnsErrors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The portable UDP path, one datagram per system call through {@link DatagramChannel}:
 * {@code n} sockets bound to one address with SO_REUSEPORT (the kernel spreads clients across
 * them), each read by its own thread. Where SO_REUSEPORT is not
 * available, the threads share one socket. A bad packet costs one FORMERR or nothing: no
 * exception leaves a listener loop except the socket being closed by {@link #close}.
 */
public final class UdpServer implements UdpListeners {

    /** Receive buffer per thread: the largest datagram there is. */
    static final int RECEIVE_BYTES = 65_535;
    /** Kernel socket buffers, sized for bursts of a benchmark or a flood. */
    public static final int SOCKET_BUFFER_BYTES = 4 << 20;

    private static final Logger log = LoggerFactory.getLogger(UdpServer.class);

    private final List<DatagramChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final QueryHandler handler;
    private volatile boolean closed;
    private InetSocketAddress bound;

    public UdpServer(QueryHandler handler) {
        this.handler = handler;
    }

    @Override
    public void start(InetSocketAddress address, int listeners) throws IOException {
        try {
            // SO_REUSEPORT even for one socket: a reload that re-opens the listener binds the new
            // sockets beside these before closing them, so no query meets a closed port.
            DatagramChannel first = open(address, true);
            bound = (InetSocketAddress) first.getLocalAddress();
            boolean reusePort = first.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT);
            for (int i = 1; i < listeners && reusePort; i++) {
                open(new InetSocketAddress(address.getAddress(), bound.getPort()), true);
            }
            for (int i = 0; i < listeners; i++) {
                DatagramChannel ch = channels.get(i % channels.size());
                Thread t = new Thread(() -> serve(ch), "cairn-dns-udp-" + bound.getPort() + "-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private DatagramChannel open(InetSocketAddress address, boolean reusePort) throws IOException {
        DatagramChannel ch = DatagramChannel.open();
        channels.add(ch);
        if (reusePort && ch.supportedOptions().contains(StandardSocketOptions.SO_REUSEPORT)) {
            ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        }
        ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_BUFFER_BYTES);
        ch.setOption(StandardSocketOptions.SO_SNDBUF, SOCKET_BUFFER_BYTES);
        ch.bind(address);
        return ch;
    }

    @Override
    public InetSocketAddress address() {
        return bound;
    }

    private void serve(DatagramChannel ch) {
        // Direct buffers: the channel reads and writes them without a copy through a temporary one.
        ByteBuffer in = ByteBuffer.allocateDirect(RECEIVE_BYTES);
        ByteBuffer out = ByteBuffer.allocateDirect(RECEIVE_BYTES);
        byte[] request = new byte[RECEIVE_BYTES];
        Reply reply = new Reply(ch, out);
        ResponseCache.Key scratch = new ResponseCache.Key();
        while (!closed) {
            SocketAddress from;
            try {
                in.clear();
                from = ch.receive(in);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                log.debug("UDP receive failed: {}", e.toString());
                continue;
            }
            if (!(from instanceof InetSocketAddress client)) continue;
            int len = in.position();
            in.flip();
            in.get(request, 0, len);
            reply.to = client;
            try {
                handler.handle(request, len, client.getAddress(), client.getPort(), false, reply, scratch);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (closed) return;
                log.atWarn().addKeyValue("error_id", DnsErrors.LISTENER_REQUEST_FAILED.id())
                        .log("UDP request from {} failed: {}", client, e.toString());
            }
        }
    }

    /** Sends one thread's responses through its own direct buffer; not shared between threads. */
    private static final class Reply implements QueryHandler.Sink {
        private final DatagramChannel ch;
        private final ByteBuffer out;
        InetSocketAddress to;

        Reply(DatagramChannel ch, ByteBuffer out) {
            this.ch = ch;
            this.out = out;
        }

        @Override
        public void send(byte[] message) throws IOException {
            out.clear();
            out.put(message);
            out.flip();
            ch.send(out, to);
        }

        @Override
        public void sendPatched(byte[] wire, byte[] query, int nameLength) throws IOException {
            // The cached answer goes straight into the direct buffer and is patched there: no copy on the heap.
            out.clear();
            out.put(wire);
            out.put(0, query[0]);
            out.put(1, query[1]);
            out.put(12, query, 12, nameLength);
            out.flip();
            ch.send(out, to);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (DatagramChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing: nothing to do
            }
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.clear();
        channels.clear();
    }
}
