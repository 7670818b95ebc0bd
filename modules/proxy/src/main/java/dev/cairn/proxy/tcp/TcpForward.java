package dev.cairn.proxy.tcp;

import dev.cairn.proxy.ProxyErrors;
import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.config.TcpConfig;
import dev.cairn.proxy.net.AccessRules;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.undertow.conduits.BytesReceivedStreamSourceConduit;
import io.undertow.conduits.BytesSentStreamSinkConduit;
import io.undertow.connector.ByteBufferPool;
import io.undertow.util.Transfer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.ChannelExceptionHandler;
import org.xnio.ChannelListeners;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * A TCP (L4) forward: accepts connections on one address and splices each, both ways, to one
 * endpoint of a catalog service using XNIO channels (no thread per connection). Connections to
 * an endpoint that goes down are closed so clients reconnect and land on a live one. Thread-safe:
 * session bookkeeping is concurrent, per-connection work runs on the connection's IO thread.
 */
public final class TcpForward {

    private static final Logger log = LoggerFactory.getLogger(TcpForward.class);

    private volatile TcpConfig config;
    private volatile AccessRules rules;
    private volatile Backend backend;
    private final ByteBufferPool buffers;
    private final ProxyMetrics metrics;
    private final long connectTimeoutMillis;
    private final AcceptingChannel<StreamConnection> server;
    private final ConcurrentHashMap<Endpoint, Set<Session>> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private final String bindLabel;

    public TcpForward(TcpConfig config, XnioWorker worker, Backend backend, ByteBufferPool buffers,
                      ProxyMetrics metrics, long connectTimeoutMillis) throws IOException {
        this.config = config;
        this.rules = new AccessRules(config.allow(), config.deny());
        this.backend = backend;
        this.buffers = buffers;
        this.metrics = metrics;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.bindLabel = config.bind().toString();
        this.server = worker.createStreamConnectionServer(config.bind().toSocketAddress(), this::accept,
                OptionMap.create(Options.REUSE_ADDRESSES, true, Options.TCP_NODELAY, true));
        server.resumeAccepts();
    }

    public TcpConfig config() {
        return config;
    }

    public String bindLabel() {
        return bindLabel;
    }

    public int openConnections() {
        return open.get();
    }

    public InetSocketAddress address() {
        return server.getLocalAddress(InetSocketAddress.class);
    }

    /** Applies a changed service, balance or access list; open connections are kept. */
    public void update(TcpConfig next, Backend nextBackend) {
        this.rules = new AccessRules(next.allow(), next.deny());
        this.backend = nextBackend;
        this.config = next;
    }

    private void accept(AcceptingChannel<StreamConnection> channel) {
        try {
            StreamConnection c;
            while ((c = channel.accept()) != null) {
                handle(c);
            }
        } catch (IOException e) {
            log.debug("accept failed on {}: {}", bindLabel, e.getMessage());
        }
    }

    private void handle(StreamConnection client) {
        InetSocketAddress peer = client.getPeerAddress(InetSocketAddress.class);
        InetAddress addr = peer == null ? null : peer.getAddress();
        if (addr == null || !rules.permits(addr)) {
            metrics.denied.labelValues("tcp " + bindLabel).inc();
            IoUtils.safeClose(client);
            return;
        }
        TcpConfig cfg = config;
        metrics.tcpConnections.labelValues(bindLabel, cfg.service()).inc();
        Session s = new Session(client, backend, cfg);
        open.incrementAndGet();
        client.setCloseListener(c -> s.closed());
        s.connectNext(addr);
    }

    /** Closes every connection to {@code e}: it went down, so clients should reconnect elsewhere. */
    public void closeSessionsOf(Endpoint e) {
        Set<Session> set = sessions.remove(e);
        if (set == null) return;
        synchronized (set) {
            for (Session s : set) s.abort();
        }
    }

    /** Endpoints that hold open connections, for the module's health-event handling. */
    public Set<Endpoint> endpointsInUse() {
        return sessions.keySet();
    }

    public void stop() {
        IoUtils.safeClose(server);
        for (Endpoint e : Set.copyOf(sessions.keySet())) closeSessionsOf(e);
    }

    /**
     * One client connection and, once connected, its backend connection. Connect callbacks run
     * on the client's IO thread; closes may come from any thread, so slot bookkeeping is locked.
     */
    private final class Session {
        private final StreamConnection client;
        private final Backend backend;
        private final TcpConfig cfg;
        private final Set<Endpoint> tried = new HashSet<>();
        private volatile StreamConnection upstream;
        private Endpoint endpoint; // holds a slot; guarded by this
        private boolean finished; // guarded by this

        Session(StreamConnection client, Backend backend, TcpConfig cfg) {
            this.client = client;
            this.backend = backend;
            this.cfg = cfg;
        }

        void connectNext(InetAddress peer) {
            Backend.Pick pick = backend.select(cfg.balance(), peer, null, tried, 0);
            Endpoint ep = pick.endpoint();
            if (ep != null && tried.contains(ep)) {
                backend.release(ep);
                ep = null;
            }
            if (ep == null) {
                log.atWarn().addKeyValue("error_id", ProxyErrors.TCP_NO_ENDPOINT.id())
                        .log("tcp {}: no endpoint of service {} accepts connections; closing the client", bindLabel, cfg.service());
                IoUtils.safeClose(client);
                return;
            }
            synchronized (this) {
                if (finished) {
                    backend.release(ep);
                    return;
                }
                endpoint = ep;
            }
            final Endpoint target = ep;
            IoFuture<StreamConnection> f = client.getIoThread().openStreamConnection(
                    new InetSocketAddress(ep.view().host(), ep.view().port()), null,
                    OptionMap.create(Options.TCP_NODELAY, true));
            XnioExecutor.Key timer = client.getIoThread().executeAfter(f::cancel, connectTimeoutMillis, TimeUnit.MILLISECONDS);
            f.addNotifier(new IoFuture.HandlingNotifier<StreamConnection, Void>() {
                @Override
                public void handleDone(StreamConnection up, Void a) {
                    timer.remove();
                    splice(up, target);
                }

                @Override
                public void handleFailed(IOException e, Void a) {
                    timer.remove();
                    retry(peer, target, e.getMessage());
                }

                @Override
                public void handleCancelled(Void a) {
                    retry(peer, target, "connect timeout");
                }
            }, null);
        }

        private void retry(InetAddress peer, Endpoint failed, String why) {
            log.debug("tcp {}: connect to {} failed ({}), trying another endpoint", bindLabel, failed, why);
            tried.add(failed);
            release(failed);
            if (client.isOpen()) connectNext(peer);
        }

        private void release(Endpoint ep) {
            synchronized (this) {
                if (endpoint != ep || ep == null) return;
                endpoint = null;
            }
            backend.release(ep);
            Set<Session> set = sessions.get(ep);
            if (set != null) set.remove(this);
        }

        private void splice(StreamConnection up, Endpoint ep) {
            upstream = up;
            sessions.computeIfAbsent(ep, k -> ConcurrentHashMap.newKeySet()).add(this);
            up.setCloseListener(c -> closed());
            if (!client.isOpen() || !ep.available()) {
                // The client left, or the endpoint went down while we were connecting.
                abort();
                return;
            }
            CounterDataPoint in = metrics.tcpBytesIn.labelValues(bindLabel, cfg.service());
            CounterDataPoint out = metrics.tcpBytesOut.labelValues(bindLabel, cfg.service());
            client.getSourceChannel().setConduit(new BytesReceivedStreamSourceConduit(client.getSourceChannel().getConduit(), in::inc));
            client.getSinkChannel().setConduit(new BytesSentStreamSinkConduit(client.getSinkChannel().getConduit(), out::inc));
            ChannelExceptionHandler<java.nio.channels.Channel> onError = (ch, e) -> abort();
            pipe(client, up, onError);
            pipe(up, client, onError);
        }

        /** Copies from's input to to's output; EOF shuts down to's output after a flush (half-close). */
        private void pipe(StreamConnection from, StreamConnection to, ChannelExceptionHandler<java.nio.channels.Channel> onError) {
            Transfer.initiateTransfer(from.getSourceChannel(), to.getSinkChannel(),
                    ChannelListeners.closingChannelListener(),
                    ChannelListeners.writeShutdownChannelListener(
                            ChannelListeners.flushingChannelListener(ChannelListeners.closingChannelListener(),
                                    ChannelListeners.closingChannelExceptionHandler()),
                            ChannelListeners.closingChannelExceptionHandler()),
                    onError, onError, buffers);
        }

        void abort() {
            IoUtils.safeClose(client);
            IoUtils.safeClose(upstream);
        }

        /** A side closed: once both are gone (or the client left before any upstream), free the slot. */
        void closed() {
            StreamConnection up = upstream;
            if (client.isOpen() || (up != null && up.isOpen())) return;
            Endpoint ep;
            synchronized (this) {
                if (finished) return;
                finished = true;
                ep = endpoint;
            }
            open.decrementAndGet();
            release(ep);
        }
    }
}
