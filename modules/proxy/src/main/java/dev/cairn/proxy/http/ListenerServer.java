package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.config.LimitsConfig;
import dev.cairn.proxy.config.ListenerConfig;
import dev.cairn.proxy.config.TimeoutsConfig;
import dev.cairn.proxy.config.TlsEngineConfig;
import dev.cairn.proxy.http.policy.Timeouts;
import dev.cairn.proxy.tls.CertificateStore;
import dev.cairn.proxy.tls.TlsEngines;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.ConnectorStatistics;
import io.undertow.server.DelegateOpenListener;
import io.undertow.server.HttpHandler;
import io.undertow.server.OpenListener;
import io.undertow.server.protocol.http.AlpnOpenListener;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.server.protocol.http2.Http2OpenListener;
import io.undertow.server.protocol.http2.Http2UpgradeHandler;
import io.undertow.server.protocol.proxy.ProxyProtocolOpenListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running listener: an Undertow server on the shared XNIO worker whose root handler can be
 * swapped on reload without touching open connections. Not thread-safe: the module calls it
 * from its lifecycle thread; the handler swap itself is a volatile write.
 *
 * <p>Built in two steps so that a reload either applies or keeps the old listener: the
 * constructor builds everything that handles connections (and may fail: certificates, options)
 * without touching a socket; then {@link #bind} opens a new socket, or {@link #takeOver} takes
 * the listening socket of the running listener on the same address. A take-over is a volatile
 * swap of what accepted connections go to: the socket never closes, so no connection is refused
 * or reset during the re-open (two sockets with SO_REUSEPORT would reset the connections waiting
 * in the closing one's accept queue), and connections the old listener accepted finish on it.
 */
public final class ListenerServer {

    private static final Logger log = LoggerFactory.getLogger(ListenerServer.class);

    /** TLS 1.3 suites, then TLS 1.2 ECDHE with AEAD only (Mozilla "intermediate"). */
    static final String[] CIPHERS = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    };

    /**
     * Buffers of Undertow's TLS layer (records read and written, per connection and operation).
     * Without a pool of its own, UndertowXnioSsl takes Undertow's DefaultByteBufferPool, whose
     * thread caches sit behind one monitor shared by all IO threads (see ThreadLocalBufferPool);
     * direct, so that BoringSSL reads and writes them in place, and as large as Undertow's
     * default (a whole TLS record and its overhead).
     */
    private static final ByteBufferPool TLS_RECORD_BUFFERS = new ThreadLocalBufferPool(true, 17 * 1024);

    private final ListenerConfig config;
    private final XnioWorker worker;
    private final OptionMap socketOptions;
    private final int maxConnections;
    /** What this generation does with an accepted connection (TLS, PROXY protocol, fast path, Undertow). */
    private final ChannelListener<StreamConnection> chain;
    /** The listening socket, once bound or taken over; handed on by a re-open at the same address. */
    private volatile Socket socket;
    private final OpenListener openListener;
    private final CertificateStore certificates;
    private final TlsEngineConfig.Engine tlsEngine;
    private volatile HttpHandler handler;
    private final FastPath fast;
    private final H2Forward h2Forward;

    /** What a change to requires a new server rather than a handler swap. */
    public record RestartKey(ListenerConfig.RestartShape shape, LimitsConfig limits, TimeoutsRestart timeouts, boolean fastPath) {
    }

    /** The timeouts that are socket options, fixed at bind time. */
    public record TimeoutsRestart(java.time.Duration client, java.time.Duration httpRequest, java.time.Duration keepAlive) {
        static TimeoutsRestart of(TimeoutsConfig t) {
            return new TimeoutsRestart(t.client(), t.httpRequest(), t.keepAlive());
        }
    }

    public static RestartKey restartKey(ListenerConfig c, LimitsConfig limits, TimeoutsConfig timeouts, boolean fastPath) {
        return new RestartKey(c.restartShape(), limits, TimeoutsRestart.of(timeouts), fastPath);
    }

    public ListenerServer(ListenerConfig config, Path configDir, XnioWorker worker, ByteBufferPool buffers,
                          LimitsConfig limits, TimeoutsConfig timeouts, boolean fastPath, TlsEngineConfig.Engine tlsEngine,
                          HttpHandler initial) throws Exception {
        this.config = config;
        this.worker = worker;
        this.maxConnections = limits.maxConnections();
        this.handler = Objects.requireNonNull(initial);
        HttpHandler swappable = ex -> handler.handleRequest(ex);
        // No client certificate is ever asked for: Undertow's proxy need not throw to learn so per request.
        HttpHandler root = config.tls() != null ? NoClientCertificates.wrapping(swappable) : swappable;
        // HTTP/2 streams are forwarded by Cairn's own upstream code (H2Forward) where the fast path is on.
        h2Forward = config.http2() && fastPath ? new H2Forward(buffers, timeouts.client()) : null;
        if (h2Forward != null) root = H2Forward.attaching(root, h2Forward);
        // HTTP/2 streams beyond the advertised limit are reset before any handler sees them.
        if (config.http2()) root = Http2Limits.enforcing(root);
        Timeouts t = Timeouts.of(timeouts); // the same meaning on Undertow's path and the fast path
        // What Undertow.builder() would set up for one listener, built by hand so that the HTTP/1.1
        // connections get the obs-fold guard under Undertow's parser (see GuardedOpenListener).
        OptionMap undertowOptions = OptionMap.builder()
                // Pipelined responses go out as each completes: with Undertow's buffering, a later
                // request that fails to parse gets its 400 written ahead of the buffered answers.
                .set(UndertowOptions.BUFFER_PIPELINED_DATA, false)
                .set(UndertowOptions.ENABLE_HTTP2, config.http2())
                .set(UndertowOptions.ENABLE_STATISTICS, true)
                .set(UndertowOptions.MAX_ENTITY_SIZE, limits.maxBodySize().bytes())
                .set(UndertowOptions.MAX_HEADER_SIZE, (int) Math.min(Integer.MAX_VALUE, limits.maxHeaderSize().bytes()))
                .set(UndertowOptions.MAX_HEADERS, limits.maxHeaders())
                .set(UndertowOptions.IDLE_TIMEOUT, Timeouts.millis(t.client()))
                .set(UndertowOptions.REQUEST_PARSE_TIMEOUT, Timeouts.millis(t.httpRequest()))
                .set(UndertowOptions.NO_REQUEST_TIMEOUT, Timeouts.millis(t.keepAlive()))
                .set(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                .set(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                .set(UndertowOptions.RECORD_REQUEST_START_TIME, false)
                .getMap();
        if (config.http2()) undertowOptions = Http2Limits.options(undertowOptions); // h2 by ALPN and h2c alike
        OptionMap.Builder socket = OptionMap.builder()
                .set(Options.TCP_NODELAY, true)
                .set(Options.REUSE_ADDRESSES, true)
                .set(Options.BALANCING_TOKENS, 1)
                .set(Options.BALANCING_CONNECTIONS, 2)
                .set(Options.BACKLOG, 1000);
        if (limits.maxConnections() > 0) {
            socket.set(Options.CONNECTION_HIGH_WATER, limits.maxConnections())
                    .set(Options.CONNECTION_LOW_WATER, limits.maxConnections());
        }
        TlsEngines.Chosen tls = null;
        if (config.tls() != null) {
            String[] protocols = config.tls().minVersion().equals("TLSv1.3")
                    ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"};
            certificates = new CertificateStore(config.tls().certificates(), configDir);
            tls = TlsEngines.context(tlsEngine, certificates, protocols, CIPHERS, config.http2());
            if (tls.engine() == TlsEngineConfig.Engine.OPENSSL) {
                // netty's engines always create sessions and refuse to be told so (a no-op when false).
                socket.set(Options.SSL_ENABLE_SESSION_CREATION, false);
            }
            if (!tls.protocolsAndCiphersSet()) {
                socket.setSequence(Options.SSL_ENABLED_PROTOCOLS, protocols)
                        .setSequence(Options.SSL_ENABLED_CIPHER_SUITES, CIPHERS);
            }
        } else {
            certificates = null;
        }
        this.tlsEngine = tls == null ? null : tls.engine();
        this.socketOptions = socket.getMap();

        HttpOpenListener http1 = new HttpOpenListener(buffers, undertowOptions);
        // h2c (plain-text upgrade) as Undertow's builder offers it when HTTP/2 is on.
        http1.setRootHandler(config.http2() && config.tls() == null ? new Http2UpgradeHandler(root) : root);
        OpenListener open = new GuardedOpenListener(http1);
        // The fast path takes every HTTP/1.1 connection first, plain or TLS (on TLS it reads the
        // decrypted stream of Undertow's SslConduit, the JDK's or BoringSSL's SSLEngine underneath); h2 connections
        // chosen by ALPN go to Undertow's HTTP/2 directly.
        if (fastPath && !config.proxyProtocol()) {
            fast = new FastPath((DelegateOpenListener) open, () -> handler, buffers, t, limits.maxHeaders(),
                    limits.maxBodySize().bytes(), config.tls() != null);
            open = fast;
        } else {
            fast = null;
        }
        UndertowXnioSsl ssl = null;
        if (tls != null) {
            ssl = new UndertowXnioSsl(worker.getXnio(), OptionMap.create(Options.USE_DIRECT_BUFFERS, true), TLS_RECORD_BUFFERS, tls.context());
            if (config.http2()) {
                Http2OpenListener h2 = new Http2OpenListener(buffers, undertowOptions);
                h2.setRootHandler(root);
                open = new AlpnOpenListener(buffers, undertowOptions, (DelegateOpenListener) open)
                        .addProtocol(Http2OpenListener.HTTP2, h2, 10);
            }
        }
        this.openListener = open;
        if (config.proxyProtocol()) {
            this.chain = new ProxyProtocolOpenListener(open, ssl, buffers, socketOptions);
        } else if (ssl != null) {
            this.chain = new TlsAccept(ssl, socketOptions, open);
        } else {
            this.chain = open;
        }
    }

    /** Opens this listener's own socket and starts accepting (fails: address in use, bad address). */
    public void bind() throws IOException {
        InetSocketAddress bind = new InetSocketAddress(
                config.bind().isWildcard() ? "0.0.0.0" : config.bind().host(), config.bind().port());
        Socket s = new Socket(chain);
        s.channel = worker.createStreamConnectionServer(bind, s, socketOptions);
        socket = s;
        s.channel.resumeAccepts();
    }

    /**
     * Takes over the listening socket of {@code running} (the same address): from now on accepted
     * connections come here; {@code running}'s own connections finish there, and its
     * {@link #stop} no longer closes the socket.
     */
    public void takeOver(ListenerServer running) {
        Socket s = running.socket;
        running.socket = null;
        s.setMaxConnections(maxConnections);
        s.chain = chain;
        socket = s;
    }

    /** The TLS engine this listener runs (the JDK's when openssl could not load), null on plain HTTP. */
    public TlsEngineConfig.Engine tlsEngine() {
        return tlsEngine;
    }

    public ListenerConfig config() {
        return config;
    }

    /** Routes new requests through {@code next}; requests in flight finish on the old handler. */
    public void swap(HttpHandler next, ListenerConfig newConfig) throws Exception {
        if (certificates != null && !newConfig.tls().certificates().equals(config.tls().certificates())) {
            certificates.replace(newConfig.tls().certificates());
        }
        this.handler = next;
    }

    /** Called periodically: picks up renewed certificate files. */
    public void reloadCertificatesIfChanged() {
        if (certificates != null) certificates.reloadIfChanged();
    }

    /** The bound address (with the real port when bind said :0). */
    public InetSocketAddress address() {
        Socket s = socket;
        return s == null ? null : (InetSocketAddress) s.channel.getLocalAddress();
    }

    public ProxyMetrics.ListenerStats stats() {
        ConnectorStatistics s = openListener.getConnectorStatistics();
        long active = s == null ? 0 : s.getActiveConnections();
        long in = s == null ? 0 : s.getBytesReceived();
        long out = s == null ? 0 : s.getBytesSent();
        long fastRequests = 0;
        if (fast != null) {
            fastRequests = fast.requests.sum();
            active += fast.active.sum();
            in += fast.bytesIn.sum();
            out += fast.bytesOut.sum();
        }
        if (h2Forward != null) fastRequests += h2Forward.requests.sum();
        return new ProxyMetrics.ListenerStats(config.name(), active, in, out, fastRequests);
    }

    /** The certificates this listener serves now (none for plain HTTP), for the expiry metric. */
    public java.util.List<ProxyMetrics.CertificateExpiry> certificateExpiries() {
        if (certificates == null) return java.util.List.of();
        return certificates.expiries().entrySet().stream()
                .map(e -> new ProxyMetrics.CertificateExpiry(config.name(), e.getKey(), e.getValue())).toList();
    }

    public void stop() {
        // As Undertow.stop() with an external worker: stop accepting (unless a re-open took the
        // socket over); open connections end with their exchanges or when the worker shuts down.
        Socket s = socket;
        socket = null;
        if (s != null) IoUtils.safeClose(s.channel);
        if (fast != null) fast.stop();
        if (h2Forward != null) h2Forward.stop();
    }

    /**
     * A listening socket and the chain its accepted connections go to (as XNIO's
     * {@code ChannelListeners.openListenerAdapter}, with the listener swappable).
     */
    private static final class Socket implements ChannelListener<AcceptingChannel<StreamConnection>> {
        AcceptingChannel<StreamConnection> channel;
        volatile ChannelListener<StreamConnection> chain;

        Socket(ChannelListener<StreamConnection> chain) {
            this.chain = chain;
        }

        @Override
        public void handleEvent(AcceptingChannel<StreamConnection> ch) {
            StreamConnection c;
            try {
                c = ch.accept();
            } catch (IOException e) {
                log.debug("accept failed on {}: {}", ch.getLocalAddress(), e.toString());
                return;
            }
            if (c != null) ChannelListeners.invokeChannelListener(c, chain);
        }

        /** {@code limits.max_connections} (0: unlimited) of the generation that takes the socket. */
        void setMaxConnections(int max) {
            int n = max > 0 ? max : Integer.MAX_VALUE;
            try {
                // High before low when raising, low before high when lowering: never low > high.
                if (n >= channel.getOption(Options.CONNECTION_LOW_WATER)) {
                    channel.setOption(Options.CONNECTION_HIGH_WATER, n);
                    channel.setOption(Options.CONNECTION_LOW_WATER, n);
                } else {
                    channel.setOption(Options.CONNECTION_LOW_WATER, n);
                    channel.setOption(Options.CONNECTION_HIGH_WATER, n);
                }
            } catch (IOException | RuntimeException e) {
                log.warn("listener {}: limits.max_connections {} not applied to the kept socket: {}",
                        channel.getLocalAddress(), max, e.toString());
            }
        }
    }

    /**
     * TLS for a connection the plain socket accepted (what Undertow's accepting SSL channel does,
     * done per connection so that the socket outlives a re-open that changes TLS).
     */
    private static final class TlsAccept implements ChannelListener<StreamConnection> {
        private final UndertowXnioSsl ssl;
        private final OptionMap options;
        private final ChannelListener<StreamConnection> next;

        TlsAccept(UndertowXnioSsl ssl, OptionMap options, ChannelListener<StreamConnection> next) {
            this.ssl = ssl;
            this.options = options;
            this.next = next;
        }

        @Override
        public void handleEvent(StreamConnection c) {
            StreamConnection tls;
            try {
                tls = ssl.wrapExistingConnection(c, options, false);
            } catch (RuntimeException e) {
                IoUtils.safeClose(c);
                log.debug("TLS setup failed for a connection: {}", e.toString());
                return;
            }
            next.handleEvent(tls);
        }
    }
}
