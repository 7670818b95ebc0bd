package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyMetrics;
import dev.cairn.proxy.config.LimitsConfig;
import dev.cairn.proxy.config.ListenerConfig;
import dev.cairn.proxy.config.TimeoutsConfig;
import dev.cairn.proxy.tls.CertificateStore;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.server.ConnectorStatistics;
import io.undertow.server.HttpHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import org.xnio.Options;
import org.xnio.Sequence;
import org.xnio.XnioWorker;

/**
 * One running listener: an Undertow server on the shared XNIO worker whose root handler can be
 * swapped on reload without touching open connections. Not thread-safe: the module calls it
 * from its lifecycle thread; the handler swap itself is a volatile write.
 */
public final class ListenerServer {

    /** TLS 1.3 suites, then TLS 1.2 ECDHE with AEAD only (Mozilla "intermediate"). */
    static final String[] CIPHERS = {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    };

    private final ListenerConfig config;
    private final Undertow server;
    private final CertificateStore certificates;
    private volatile HttpHandler handler;

    /** What a change to requires a new server rather than a handler swap. */
    public record RestartKey(ListenerConfig.RestartShape shape, LimitsConfig limits, TimeoutsRestart timeouts) {
    }

    /** The timeouts that are socket options, fixed at bind time. */
    public record TimeoutsRestart(java.time.Duration client, java.time.Duration httpRequest, java.time.Duration keepAlive) {
        static TimeoutsRestart of(TimeoutsConfig t) {
            return new TimeoutsRestart(t.client(), t.httpRequest(), t.keepAlive());
        }
    }

    public static RestartKey restartKey(ListenerConfig c, LimitsConfig limits, TimeoutsConfig timeouts) {
        return new RestartKey(c.restartShape(), limits, TimeoutsRestart.of(timeouts));
    }

    public ListenerServer(ListenerConfig config, Path configDir, XnioWorker worker, ByteBufferPool buffers,
                          LimitsConfig limits, TimeoutsConfig timeouts, HttpHandler initial) throws Exception {
        this.config = config;
        this.handler = Objects.requireNonNull(initial);
        HttpHandler root = ex -> handler.handleRequest(ex);
        Undertow.ListenerBuilder lb = new Undertow.ListenerBuilder()
                .setPort(config.bind().port())
                .setHost(config.bind().isWildcard() ? "0.0.0.0" : config.bind().host())
                .setRootHandler(root)
                .setUseProxyProtocol(config.proxyProtocol());
        if (config.tls() != null) {
            certificates = new CertificateStore(config.tls().certificates(), configDir);
            lb.setType(Undertow.ListenerType.HTTPS).setSslContext(certificates.sslContext());
        } else {
            certificates = null;
            lb.setType(Undertow.ListenerType.HTTP);
        }
        Undertow.Builder b = Undertow.builder()
                .setWorker(worker)
                .setByteBufferPool(buffers)
                .addListener(lb)
                .setServerOption(UndertowOptions.ENABLE_HTTP2, config.http2())
                .setServerOption(UndertowOptions.ENABLE_STATISTICS, true)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, limits.maxBodySize().bytes())
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, (int) Math.min(Integer.MAX_VALUE, limits.maxHeaderSize().bytes()))
                .setServerOption(UndertowOptions.MAX_HEADERS, limits.maxHeaders())
                .setServerOption(UndertowOptions.IDLE_TIMEOUT, millis(timeouts.client()))
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(timeouts.httpRequest()))
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, millis(timeouts.keepAlive()))
                .setServerOption(UndertowOptions.ALLOW_UNESCAPED_CHARACTERS_IN_URL, false)
                .setServerOption(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
                .setServerOption(UndertowOptions.RECORD_REQUEST_START_TIME, false)
                .setSocketOption(Options.REUSE_ADDRESSES, true)
                .setSocketOption(Options.TCP_NODELAY, true);
        if (limits.maxConnections() > 0) {
            b.setSocketOption(Options.CONNECTION_HIGH_WATER, limits.maxConnections())
                    .setSocketOption(Options.CONNECTION_LOW_WATER, limits.maxConnections());
        }
        if (config.tls() != null) {
            String[] protocols = config.tls().minVersion().equals("TLSv1.3")
                    ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"};
            b.setSocketOption(Options.SSL_ENABLED_PROTOCOLS, Sequence.of(protocols))
                    .setSocketOption(Options.SSL_ENABLED_CIPHER_SUITES, Sequence.of(CIPHERS));
        }
        this.server = b.build();
        server.start();
    }

    private static int millis(java.time.Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
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
        return (InetSocketAddress) server.getListenerInfo().get(0).getAddress();
    }

    public ProxyMetrics.ListenerStats stats() {
        ConnectorStatistics s = server.getListenerInfo().get(0).getConnectorStatistics();
        return s == null ? new ProxyMetrics.ListenerStats(config.name(), 0, 0, 0)
                : new ProxyMetrics.ListenerStats(config.name(), s.getActiveConnections(), s.getBytesReceived(), s.getBytesSent());
    }

    public void stop() {
        server.stop();
    }
}
