package dev.cairn.dns.server;

import dev.cairn.dns.DnsErrors;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP side (RFC 7766): many queries per connection, pipelined (answered in order, flushed
 * when the client has nothing more queued), closed after {@code idleTimeout} without a query.
 * One thread accepts; each connection gets a pooled thread, at most {@code maxConnections}; a
 * connection beyond that is closed at once. {@link #close} closes the listener and every
 * connection and stops the threads.
 */
public final class TcpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TcpServer.class);

    private final QueryHandler handler;
    private final DnsMetrics metrics;
    private final Duration idleTimeout;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger counter = new AtomicInteger();
    private ServerSocket server;
    private ThreadPoolExecutor pool;
    private Thread acceptor;
    private volatile boolean closed;

    public TcpServer(QueryHandler handler, DnsMetrics metrics, Duration idleTimeout) {
        this.handler = handler;
        this.metrics = metrics;
        this.idleTimeout = idleTimeout;
    }

    public void start(InetSocketAddress address, int maxConnections) throws IOException {
        try {
            server = new ServerSocket();
            server.setReuseAddress(true);
            // A reload that re-opens the listener binds the new socket beside this one first.
            if (server.supportedOptions().contains(java.net.StandardSocketOptions.SO_REUSEPORT)) {
                server.setOption(java.net.StandardSocketOptions.SO_REUSEPORT, true);
            }
            server.bind(address, 1024);
            pool = new ThreadPoolExecutor(0, maxConnections, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "cairn-dns-tcp-" + counter.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            acceptor = new Thread(this::accept, "cairn-dns-tcp-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void accept() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) return;
                log.debug("TCP accept failed: {}", e.toString());
                continue;
            }
            try {
                pool.execute(() -> serve(s));
            } catch (RejectedExecutionException e) {
                metrics.dropped("overload");
                quietClose(s);
            }
        }
    }

    private void serve(Socket s) {
        open.add(s);
        metrics.tcpConnections(1);
        try {
            s.setSoTimeout((int) Math.max(1, idleTimeout.toMillis()));
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 8192));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 8192);
            InetSocketAddress peer = (InetSocketAddress) s.getRemoteSocketAddress();
            QueryHandler.Sink sink = msg -> {
                out.write(msg.length >> 8);
                out.write(msg.length);
                out.write(msg);
            };
            byte[] buf = new byte[65_535];
            while (!closed) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException | SocketTimeoutException e) {
                    return;
                }
                if (len < QueryHandler.HEADER_BYTES) {
                    // Too short to be DNS: the stream cannot be trusted to stay in sync.
                    metrics.malformed(false);
                    return;
                }
                in.readFully(buf, 0, len);
                handler.handle(buf, len, peer.getAddress(), peer.getPort(), true, sink);
                if (in.available() == 0) out.flush();
            }
        } catch (SocketException | EOFException | SocketTimeoutException e) {
            // peer went away or stalled mid-message
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                log.atWarn().addKeyValue("error_id", DnsErrors.LISTENER_REQUEST_FAILED.id()).log("TCP connection failed: {}", e.toString());
            }
        } finally {
            open.remove(s);
            metrics.tcpConnections(-1);
            quietClose(s);
        }
    }

    private static void quietClose(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing: nothing to do
        }
    }

    @Override
    public void close() {
        closed = true;
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                // closing
            }
        }
        for (Socket s : open) quietClose(s);
        if (pool != null) pool.shutdownNow();
        if (acceptor != null) {
            try {
                acceptor.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
