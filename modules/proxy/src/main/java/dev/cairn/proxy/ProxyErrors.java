package dev.cairn.proxy;

import dev.cairn.spi.error.ErrorId;

/** The proxy module's error ids. */
public enum ProxyErrors implements ErrorId {
    LISTENER_START_FAILED("CAIRN-PROXY-0001", "A proxy listener cannot start (port in use, address not local, no permission); on a reload the old listener keeps serving.",
            "Free the port (ss -ltnp) or fix the listener's bind address, then reload."),
    ENDPOINT_EJECTED("CAIRN-PROXY-0002", "Passive health ejected an endpoint after failed requests (marked DOWN in the catalog, or ejected for eject_for without an active check).",
            "Look at the endpoint: the log line says what failed. It comes back when its check passes (or after eject_for)."),
    CERTIFICATE_RELOAD_FAILED("CAIRN-PROXY-0003", "Renewed TLS certificate files cannot be loaded: the old certificates keep serving.",
            "Check the new files (openssl x509 -in FILE -noout; the key must match the certificate) and write them again."),
    TCP_NO_ENDPOINT("CAIRN-PROXY-0004", "A TCP forward had no endpoint that accepts connections: the client connection was closed.",
            "Check the service's endpoints and health (cairn status)."),
    FAST_PATH_ERROR("CAIRN-PROXY-0005", "An unexpected error in the HTTP fast path closed one client connection; the listener keeps serving.",
            "A bug: report it with the log line's stack trace; proxy.fast_path: false avoids the path meanwhile."),
    ACCESS_LOG_DROPPED("CAIRN-PROXY-0006", "Access-log lines were dropped: stdout (the journal, a pipe) did not take them as fast as requests came, and the proxy does not wait for it.",
            "Look at what reads Cairn's stdout (journald rate limits: RateLimitIntervalSec/RateLimitBurst), or turn the access log off; cairn_proxy_access_log_dropped_lines_total counts them.");

    private final String id;
    private final String meaning;
    private final String action;

    ProxyErrors(String id, String meaning, String action) {
        this.id = id;
        this.meaning = meaning;
        this.action = action;
    }

    @Override public String id() { return id; }
    @Override public String meaning() { return meaning; }
    @Override public String action() { return action; }
}
