package dev.cairn.proxy.http;

import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.http.policy.ChunkedFraming;
import dev.cairn.proxy.http.policy.ErrorAnswer;
import dev.cairn.proxy.http.policy.Forwarding;
import dev.cairn.proxy.http.policy.RetryRule;
import dev.cairn.proxy.http.policy.UpstreamPool;
import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import io.undertow.util.AttachmentKey;
import io.undertow.util.SameThreadExecutor;
import io.undertow.util.DateUtils;
import io.undertow.util.HeaderMap;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.xnio.channels.StreamSinkChannel;
import org.xnio.channels.StreamSourceChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding of HTTP/2 streams (Undertow's HTTP/2 server, ALPN {@code h2} or h2c) by Cairn's
 * own HTTP/1.1 upstream code, without Undertow's proxy handler and HTTP client: each stream, an
 * Undertow exchange, becomes one HTTP/1.1 request on a keep-alive connection to the endpoint, on
 * the exchange's IO thread (connection, request body and response body all stay on it: no thread
 * hop). The rules are the fast path's, from {@code dev.cairn.proxy.http.policy}: balancing with the
 * route's {@link Backend}, {@link Forwarding} headers (trusted proxies included),
 * {@link RetryRule} and {@link UpstreamPool}, Cairn's error answers and timeouts; metrics and the
 * access log come from the exchange's end as on Undertow's path ({@link ListenerHandler}).
 *
 * <p>Request heads: the pseudo-headers go (the {@code :path} as sent, not decoded, is the request target,
 * {@code :authority} the {@code Host}), hop-by-hop fields are dropped, cookies are joined into one
 * line (RFC 9113 section 8.2.3), a body of unknown length goes chunked, its trailers with it.
 * Responses: the status and the end-to-end header fields go to the client as HTTP/2 HEADERS, the
 * body (Content-Length, chunked: without its framing, or up to the close) as DATA one buffer at a
 * time, under HTTP/2 flow control (the endpoint is not read while the client's window is full).
 * Response trailers of a chunked body are not passed on (an HTTP/1.1 endpoint seldom sends any).
 *
 * <p>A request this path does not take goes to Undertow's proxy handler as before: {@code Expect},
 * a header value HTTP/1.1 cannot carry, a head over one buffer, a trusted proxy's non-numeric
 * {@code X-Forwarded-Port}, and a request with no endpoint free (the full path queues, or answers
 * 503). The same after a failed attempt whose request can still be sent again.
 *
 * <p>Thread-safety: the per-IO-thread state ({@code Loop}: idle endpoint connections, streams in
 * flight for the timeout sweep) is touched only by its thread; the instance is shared by the
 * listener's connections.
 */
final class H2Forward {

    private static final Logger log = LoggerFactory.getLogger(H2Forward.class);

    /**
     * The streams of one HTTP/2 connection being forwarded here: when the connection closes
     * (GOAWAY, a reset, the client gone) Undertow does not end their exchanges, so its one close
     * task ends them (their endpoint connections close, nothing more goes upstream). IO thread only.
     */
    private static final class ConnectionStreams {
        final java.util.LinkedHashSet<Stream> live = new java.util.LinkedHashSet<>();
        boolean closed;
    }

    private static final AttachmentKey<ConnectionStreams> STREAMS = AttachmentKey.create(ConnectionStreams.class);

    /** The live-stream set of {@code ex}'s connection, with its close task registered once. */
    private static ConnectionStreams streamsOf(HttpServerExchange ex) {
        // Attachments of an HTTP/2 exchange's connection are the TCP connection's (one Http2Channel).
        ConnectionStreams cs = ex.getConnection().getAttachment(STREAMS);
        if (cs == null) {
            ConnectionStreams created = new ConnectionStreams();
            ex.getConnection().putAttachment(STREAMS, created);
            ex.getConnection().addCloseListener(c -> {
                created.closed = true;
                for (Stream st : new ArrayList<>(created.live)) {
                    st.clientGone();
                    // As the fast path for a client gone: the endpoint's slot is free, nothing is
                    // counted or logged (no answer went out).
                    if (st.st.current != null) {
                        st.route.backend().release(st.st.current);
                        st.st.current = null;
                    }
                }
                created.live.clear();
            });
            cs = created;
        }
        return cs;
    }

    /** The listener's forwarder, put on each HTTP/2 exchange (absent: Undertow's proxy handler forwards it). */
    static final AttachmentKey<H2Forward> KEY = AttachmentKey.create(H2Forward.class);

    private static final long SWEEP_MILLIS = 100;
    private static final long POOL_IDLE_NANOS = UpstreamPool.IDLE_TIMEOUT.toNanos();
    private static final OptionMap BACKEND_OPTIONS = OptionMap.create(Options.TCP_NODELAY, true);
    private static final HttpString COOKIE = new HttpString("cookie");
    /**
     * Room before a chunk's data for its size line, always 8 hex digits (leading zeros are valid,
     * RFC 9112 section 7.1: the size is written once the data is in place) and CRLF, and after it for CRLF.
     */
    private static final int CHUNK_HEAD = 10;
    private static final int CHUNK_TAIL = 2;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] LAST_CHUNK = "0\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final ByteBufferPool pool;
    private final long clientNanos;
    private final ConcurrentHashMap<XnioIoThread, Loop> loops = new ConcurrentHashMap<>();
    private volatile boolean stopped;
    /** Streams forwarded here, or answered by Cairn here (counted with the fast path's requests). */
    final LongAdder requests = new LongAdder();

    H2Forward(ByteBufferPool pool, java.time.Duration client) {
        this.pool = pool;
        this.clientNanos = client.toNanos();
    }

    /** {@code next} for every exchange; an HTTP/2 one carries this forwarder for its route. */
    static HttpHandler attaching(HttpHandler next, H2Forward forward) {
        return ex -> {
            if (ex.getConnection() instanceof Http2ServerConnection && !forward.stopped) ex.putAttachment(KEY, forward);
            next.handleRequest(ex);
        };
    }

    /** The listener closes: new streams take Undertow's path, idle endpoint connections close at the next sweep. */
    void stop() {
        stopped = true;
    }

    /**
     * Forwards {@code ex} (an HTTP/2 stream on its IO thread) to an endpoint of {@code route}, or
     * hands it to Undertow's proxy handler ({@link RouteHandler#proxyByUndertow}) when this path does
     * not take it.
     */
    void forward(HttpServerExchange ex, RequestState st, RouteHandler route) throws Exception {
        XnioIoThread t = ex.getIoThread();
        if (Thread.currentThread() != t || ex.getRequestHeaders().contains(Headers.EXPECT)) {
            route.proxyByUndertow(ex);
            return;
        }
        Loop loop = loops.computeIfAbsent(t, Loop::new);
        Stream s = new Stream(ex, st, route, loop);
        if (!s.buildHead()) {
            route.proxyByUndertow(ex);
            return;
        }
        // Right after this handler returns, on this thread (the exchange stays open: no thread hop).
        ex.dispatch(SameThreadExecutor.INSTANCE, s::begin);
    }

    private static final int CONNECTING = 1;
    private static final int FORWARDING = 2;
    private static final int STREAMING = 3;
    private static final int DONE = 4;

    private static final int BODY_NONE = 0;
    private static final int BODY_LENGTH = 1;
    private static final int BODY_CHUNKED = 2;
    private static final int BODY_CLOSE = 3;

    /** Per IO thread: idle endpoint connections and the streams in flight (for the timeout sweep). */
    private final class Loop implements Runnable {
        final XnioIoThread thread;
        final ArrayList<Stream> streams = new ArrayList<>();
        final HashMap<Endpoint, ArrayDeque<Link>> idle = new HashMap<>();
        /** Where request heads are put together (one per thread: no allocation per request). */
        byte[] scratch = new byte[4096];
        XnioExecutor.Key timer;

        Loop(XnioIoThread thread) {
            this.thread = thread;
        }

        void add(Stream s) {
            s.slot = streams.size();
            streams.add(s);
            schedule();
        }

        void remove(Stream s) {
            int i = s.slot;
            if (i < 0) return;
            Stream last = streams.remove(streams.size() - 1);
            if (last != s) {
                streams.set(i, last);
                last.slot = i;
            }
            s.slot = -1;
        }

        void schedule() {
            if (timer == null) timer = thread.executeAfter(this, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            timer = null;
            long now = System.nanoTime();
            for (int i = streams.size() - 1; i >= 0; i--) {
                if (i < streams.size()) streams.get(i).sweep(now);
            }
            idle.entrySet().removeIf(e -> {
                ArrayDeque<Link> q = e.getValue();
                if (stopped || e.getKey().removed()) {
                    for (Link l : q) l.close(false);
                    return true;
                }
                while (!q.isEmpty() && now - q.peekLast().idleSince >= POOL_IDLE_NANOS) q.pollLast().close(false);
                return q.isEmpty();
            });
            if (!streams.isEmpty() || !idle.isEmpty()) schedule();
        }

        Link takeIdle(Endpoint ep) {
            ArrayDeque<Link> q = idle.get(ep);
            return q == null ? null : q.pollFirst();
        }

        void giveIdle(Link l) {
            if (stopped || l.ep.removed()) {
                l.close(false);
                return;
            }
            ArrayDeque<Link> q = idle.computeIfAbsent(l.ep, k -> new ArrayDeque<>());
            if (q.size() >= UpstreamPool.MAX_IDLE_PER_ENDPOINT) {
                l.close(false);
                return;
            }
            l.idleSince = System.nanoTime();
            l.releaseBuffers();
            q.addFirst(l);
            schedule();
        }

        void dropIdle(Link l) {
            ArrayDeque<Link> q = idle.get(l.ep);
            if (q != null) q.remove(l);
        }
    }

    /** One HTTP/2 stream while it is forwarded; touched by its IO thread only. */
    private final class Stream {
        final HttpServerExchange ex;
        final RequestState st;
        final RouteHandler route;
        final Loop loop;
        final ProxySettings settings;
        final InetAddress peer;
        final boolean idempotent;
        final boolean head;
        ConnectionStreams connection;
        int slot = -1;
        int state;
        /** The HTTP/1.1 request head. */
        byte[] headBytes;
        Endpoint ep;
        Link link;
        boolean linkReused;
        IoFuture<StreamConnection> connecting;
        long connectStarted;
        long deadline;
        long clientDeadline;

        // The request body.
        StreamSourceChannel source;
        final boolean hasBody;
        /** Chunked upstream (an HTTP/2 body of unknown length). */
        final boolean chunkedUp;
        /** The request's Content-Length, -1 when it has none. */
        final long contentLength;
        boolean reqDone;
        long bodyRead;

        // The response.
        final Http1.ResponseHead resp = new Http1.ResponseHead();
        final ChunkedFraming chunks = new ChunkedFraming();
        StreamSinkChannel sink;
        int bodyMode;
        long bodyLeft;
        boolean responseDone;
        boolean linkReusable;
        /** The response bytes in the link's {@code in}: sent up to {@code sendTo} from {@code at}; decoded up to {@code scan}. */
        int at;
        int sendTo;
        int scan;
        int filled;

        Stream(HttpServerExchange ex, RequestState st, RouteHandler route, Loop loop) {
            this.ex = ex;
            this.st = st;
            this.route = route;
            this.loop = loop;
            this.settings = route.settings();
            this.peer = CairnProxyClient.clientAddress(ex);
            String method = ex.getRequestMethod().toString();
            this.idempotent = RetryRule.idempotent(method);
            this.head = "HEAD".equals(method);
            this.hasBody = !ex.isRequestComplete();
            this.contentLength = ex.getRequestContentLength();
            this.chunkedUp = hasBody && contentLength < 0;
        }

        /**
         * The HTTP/1.1 request head ({@code headBytes}): false when the
         * request needs Undertow's path (a value HTTP/1.1 cannot carry, a head too large, a trusted
         * proxy's port that is not a number).
         */
        boolean buildHead() {
            HeaderMap h = ex.getRequestHeaders();
            // The target as the client sent it (:path, not decoded; Undertow keeps it as the request URI).
            String qs = ex.getQueryString();
            String target = qs.isEmpty() ? ex.getRequestURI() : ex.getRequestURI() + "?" + qs;
            String host = h.getFirst(Headers.HOST);
            if (target == null || target.isEmpty() || host == null) return false;
            Head b = new Head(loop);
            b.str(ex.getRequestMethod().toString()).sp().target(target).lit(" HTTP/1.1\r\n");
            b.name("Host").value(host);
            boolean trust = route.trusts(peer);
            boolean[] sent = trust ? new boolean[Forwarding.NAMES.size()] : null;
            String firstFor = null;
            String previous = null;
            String cookies = null;
            for (HeaderValues v : h) {
                HttpString name = v.getHeaderName();
                if (name.byteAt(0) == ':' || hopByHop(name) || name.equals(Headers.HOST)) continue;
                int kind = forwardingKind(name);
                if (kind >= 0) {
                    if (!trust) continue;
                    sent[kind] = true;
                    if (kind == Forwarding.FOR) {
                        firstFor = v.getFirst();
                        continue;
                    }
                    if (kind == Forwarding.FORWARDED) {
                        previous = String.join(", ", v);
                        continue;
                    }
                    if (kind == Forwarding.PORT && !Forwarding.portKept(v.getFirst())) return false;
                }
                if (name.equals(COOKIE)) {
                    cookies = v.size() == 1 ? v.getFirst() : String.join("; ", v);
                    continue;
                }
                for (int i = 0, n = v.size(); i < n; i++) b.name(name).value(v.get(i));
            }
            if (cookies != null) b.name("Cookie").value(cookies);
            if (chunkedUp) b.name("Transfer-Encoding").value("chunked");
            String scheme = ex.getRequestScheme();
            String hostName = hostName(host);
            int port = ex.getHostPort();
            byte[] fwd = trust ? Forwarding.trustedHeaderBlock(peer, scheme, host, hostName, port, firstFor, previous, sent)
                    : Forwarding.headerBlock(peer, scheme, host, hostName, port);
            b.bytes(fwd).lit("\r\n");
            if (b.bad || b.n + CHUNK_HEAD + CHUNK_TAIL > pool.getBufferSize()) return false;
            headBytes = java.util.Arrays.copyOf(loop.scratch, b.n); // kept for a retry; the scratch is the next stream's
            return true;
        }

        void begin() {
            connection = streamsOf(ex);
            if (connection.closed) {
                state = DONE;
                return; // the client went away before this stream began
            }
            connection.live.add(this);
            loop.add(this);
            ex.addExchangeCompleteListener((done, next) -> {
                try {
                    if (state != DONE) clientGone();
                } finally {
                    next.proceed();
                }
            });
            attempt(RetryRule.Failure.CONNECT_ERROR, false);
        }

        /**
         * Picks an endpoint (excluding those that failed) and sends the request to it; with none
         * free, Undertow's path takes over while the request is intact, else 503.
         */
        void attempt(RetryRule.Failure after, boolean retry) {
            Endpoint failed = ep;
            Backend.Pick pick = route.backend().select(route.config.balance(), peer, null, st.tried,
                    settings.endpointMaxConnections());
            if (pick.endpoint() == null) {
                if (source == null) {
                    // Nothing free (503, or the queue): Undertow's path answers as without this one.
                    leave();
                    state = DONE;
                    try {
                        route.proxyByUndertow(ex);
                    } catch (Exception e) {
                        errorAnswer(StatusCodes.SERVICE_UNAVAILABLE, "no endpoint available");
                    }
                    return;
                }
                errorAnswer(StatusCodes.SERVICE_UNAVAILABLE, ErrorAnswer.defaultWhy(503, after == RetryRule.Failure.RESET));
                return;
            }
            ep = pick.endpoint();
            if (retry && ep != failed) st.stats.redispatches.inc();
            st.current = ep;
            st.last = ep;
            Link l = retry && UpstreamPool.retryOnNewConnection(after, linkReused) ? null : loop.takeIdle(ep);
            if (l != null) {
                linkReused = true;
                long now = System.nanoTime();
                st.connected(st.stats.connect, now, now);
                send(l);
            } else {
                connect();
            }
        }

        void connect() {
            state = CONNECTING;
            linkReused = false;
            connectStarted = System.nanoTime();
            deadline = connectStarted + settings.timeouts().connect().toNanos();
            IoFuture<StreamConnection> f = loop.thread.openStreamConnection(ep.socketAddress(), null, BACKEND_OPTIONS);
            connecting = f;
            if (source != null) source.suspendReads();
            f.addNotifier((fut, ignored) -> guarded(() -> connected(fut)), null);
        }

        void connected(IoFuture<? extends StreamConnection> f) {
            boolean current = f == connecting && state == CONNECTING;
            StreamConnection bc = null;
            if (f.getStatus() == IoFuture.Status.DONE) {
                try {
                    bc = f.get();
                } catch (IOException ignored) {
                    // failed below
                }
            }
            if (!current) {
                IoUtils.safeClose(bc); // too late: timed out, or the client left
                return;
            }
            connecting = null;
            if (bc == null) {
                failedBeforeResponse(RetryRule.Failure.CONNECT_ERROR);
                return;
            }
            st.connected(st.stats.connect, connectStarted, System.nanoTime());
            send(new Link(bc, ep));
        }

        /** The head, and the body bytes the client has sent so far, in one write. */
        void send(Link l) {
            link = l;
            l.owner = this;
            state = FORWARDING;
            st.attemptConnected = true;
            st.attemptReused = linkReused;
            deadline = st.startNanos + settings.timeouts().server().toNanos();
            reqDone = !hasBody;
            ByteBuffer o = l.out();
            o.put(headBytes);
            if (hasBody) {
                if (source == null) {
                    source = ex.getRequestChannel();
                    source.getReadSetter().set(ch -> guarded(this::pumpBody));
                }
                if (!fillBody(o)) return;
            }
            o.flip();
            if (!writeOut()) return;
            if (!reqDone) pumpBody();
        }

        /**
         * Reads request body bytes from the client after what {@code o} holds (framed when the body
         * goes chunked): false when the stream ended (answered or cut).
         */
        boolean fillBody(ByteBuffer o) {
            int room = o.remaining() - (chunkedUp ? CHUNK_HEAD + CHUNK_TAIL + 512 : 0);
            if (room <= 0) return true;
            int start = o.position() + (chunkedUp ? CHUNK_HEAD : 0);
            int n;
            try {
                o.limit(start + room).position(start);
                n = source.read(o);
            } catch (IOException e) {
                // Over max_body_size (Undertow's stream limit, UT000020) or the client reset its stream.
                o.limit(o.capacity());
                String m = e.getMessage();
                st.note = m != null && m.contains("larger than") ? "body larger than limits.max_body_size" : "client aborted";
                abort();
                return false;
            }
            o.limit(o.capacity());
            if (n > 0) {
                bodyRead += n;
                clientDeadline = 0;
                if (chunkedUp) {
                    int at = start - CHUNK_HEAD;
                    for (int shift = 28; shift >= 0; shift -= 4) o.put(at++, HEX[(n >>> shift) & 0xf]);
                    o.put(at++, (byte) '\r').put(at, (byte) '\n');
                    o.position(start + n);
                    o.put((byte) '\r').put((byte) '\n');
                } else {
                    o.position(start + n);
                    if (bodyRead >= contentLength) { // all of it: the endpoint may answer now, the link stays reusable
                        reqDone = true;
                        source.suspendReads();
                    }
                }
                return true;
            }
            o.position(start - (chunkedUp ? CHUNK_HEAD : 0));
            if (n < 0) {
                reqDone = true;
                source.suspendReads();
                if (chunkedUp) {
                    o.put(LAST_CHUNK);
                    HeaderMap trailers = ex.getAttachment(HttpAttachments.REQUEST_TRAILERS);
                    if (trailers != null) putTrailers(o, trailers);
                    o.put((byte) '\r').put((byte) '\n');
                } else if (bodyRead < contentLength) {
                    st.note = "client aborted";
                    abort(); // the stream ended short of its Content-Length
                    return false;
                }
                return true;
            }
            // Nothing yet: the body is the client's to send (timeouts.client from now).
            if (clientDeadline == 0) clientDeadline = System.nanoTime() + clientNanos;
            source.resumeReads();
            return true;
        }

        private void putTrailers(ByteBuffer o, HeaderMap trailers) {
            Head b = new Head(loop);
            for (HeaderValues v : trailers) {
                if (v.getHeaderName().byteAt(0) == ':' || hopByHop(v.getHeaderName())) continue;
                for (String value : v) b.name(v.getHeaderName()).value(value);
            }
            if (!b.bad && b.n <= o.remaining() - 2) o.put(loop.scratch, 0, b.n);
        }

        /** Writes the link's {@code out}: false when the stream ended (the endpoint failed). */
        boolean writeOut() {
            Link l = link;
            try {
                int w = l.bc.getSinkChannel().write(l.out);
            } catch (IOException e) {
                backendFailed();
                return false;
            }
            if (l.out.hasRemaining()) {
                l.pending = true;
                if (source != null) source.suspendReads();
                l.bc.getSinkChannel().resumeWrites();
            } else {
                l.pending = false;
                l.out.clear();
            }
            return true;
        }

        /** Streams the request body, one buffer at a time, as fast as the endpoint takes it. */
        void pumpBody() {
            Link l = link;
            if (l == null || state == DONE || state == CONNECTING) return;
            while (true) {
                if (l.pending) return; // its end brings the body on (Link.onWritable)
                if (reqDone) {
                    source.suspendReads();
                    return;
                }
                ByteBuffer o = l.out();
                if (!fillBody(o)) return;
                if (o.position() == 0) return; // nothing read: the read listener brings more
                o.flip();
                if (!writeOut()) return;
            }
        }

        // ---- the endpoint's response ----

        void onBackendReadable() {
            try {
                if (state == FORWARDING) readHead();
                else if (state == STREAMING) pump();
                else link.bc.getSourceChannel().suspendReads();
            } catch (IOException e) {
                backendFailed();
            }
        }

        void readHead() throws IOException {
            Link l = link;
            ByteBuffer b = l.in();
            int n = l.bc.getSourceChannel().read(b);
            if (n < 0) {
                backendFailed();
                return;
            }
            if (n == 0) return;
            while (true) {
                int end = Http1.parseResponse(b, 0, b.position(), resp);
                if (end == Http1.INCOMPLETE) {
                    if (!b.hasRemaining()) badGateway("response head too large");
                    return;
                }
                if (end == Http1.NOT_SIMPLE || resp.status == 101) {
                    badGateway("malformed response");
                    return;
                }
                if (resp.status >= 200) {
                    startResponse(end);
                    return;
                }
                // 1xx: HTTP/2 clients get no interim answers from here; the final one follows.
                b.flip().position(end);
                b.compact();
                if (b.position() == 0) return;
            }
        }

        void startResponse(int headEnd) throws IOException {
            Link l = link;
            ByteBuffer b = l.in;
            state = STREAMING;
            st.responseHead(System.nanoTime());
            int status = resp.status;
            if (head || status == 204 || status == 304) {
                bodyMode = BODY_NONE;
            } else if (resp.chunked) {
                bodyMode = BODY_CHUNKED;
                chunks.reset();
            } else if (resp.contentLength >= 0) {
                bodyMode = BODY_LENGTH;
                bodyLeft = resp.contentLength;
            } else {
                bodyMode = BODY_CLOSE;
            }
            linkReusable = UpstreamPool.reusable(bodyMode != BODY_CLOSE, resp.http10 ? resp.keepAlive : !resp.close, true, true);
            if (!copyHeaders(b, headEnd)) {
                badGateway("malformed response");
                return;
            }
            ex.setStatusCode(status);
            if (!ex.getResponseHeaders().contains(Headers.DATE)) DateUtils.addDateHeaderIfRequired(ex);
            sink = ex.getResponseChannel();
            sink.getWriteSetter().set(ch -> guarded(this::onClientWritable));
            filled = b.position();
            at = headEnd;
            sendTo = headEnd;
            scan = headEnd;
            clientDeadline = 0;
            responseDone = bodyMode == BODY_NONE;
            if (responseDone && filled > headEnd) linkReusable = false; // it sent more than its response
            pump();
        }

        /** The endpoint's header lines to the exchange, without the hop-by-hop ones. */
        boolean copyHeaders(ByteBuffer b, int headEnd) {
            HeaderMap out = ex.getResponseHeaders();
            int i = 0;
            while (i < headEnd && b.get(i) != '\n') i++;
            i++; // past the status line
            String connection = null;
            while (i < headEnd - 2) {
                int lineEnd = i;
                while (b.get(lineEnd) != '\r') lineEnd++;
                int colon = i;
                while (colon < lineEnd && b.get(colon) != ':') colon++;
                if (colon == i || colon == lineEnd) return false;
                int vs = colon + 1;
                int ve = lineEnd;
                while (vs < ve && (b.get(vs) == ' ' || b.get(vs) == '\t')) vs++;
                while (ve > vs && (b.get(ve - 1) == ' ' || b.get(ve - 1) == '\t')) ve--;
                String n = ascii(b, i, colon);
                HttpString known = HttpString.tryFromString(n);
                HttpString name = known != null ? known : new HttpString(n);
                String value = ascii(b, vs, ve);
                if (name.equals(Headers.CONNECTION)) {
                    connection = connection == null ? value : connection + "," + value;
                } else if (!hopByHop(name) && !(bodyMode == BODY_NONE && !head && name.equals(Headers.CONTENT_LENGTH))) {
                    out.add(name, value);
                }
                i = lineEnd + 2;
            }
            if (connection != null) {
                for (String token : connection.split(",")) {
                    String t = token.trim();
                    if (!t.isEmpty()) out.remove(t);
                }
            }
            return true;
        }

        /** Writes the response body to the client and reads more of it until done or blocked. */
        void pump() throws IOException {
            Link l = link;
            while (true) {
                ByteBuffer b = l.in;
                if (at < sendTo) {
                    b.limit(sendTo).position(at);
                    int w;
                    try {
                        w = sink.write(b);
                    } finally {
                        b.limit(b.capacity()).position(filled);
                    }
                    at += w;
                    if (at < sendTo) {
                        // The client (or its flow-control window) is slower than the endpoint.
                        l.bc.getSourceChannel().suspendReads();
                        sink.resumeWrites();
                        if (clientDeadline == 0) clientDeadline = System.nanoTime() + clientNanos;
                        return;
                    }
                    clientDeadline = 0;
                }
                if (responseDone) {
                    finish();
                    return;
                }
                if (scan < filled) {
                    nextSlice(b);
                    continue;
                }
                b.clear();
                at = sendTo = scan = filled = 0;
                int n = l.bc.getSourceChannel().read(b);
                if (n == 0) {
                    if (!l.bc.getSourceChannel().isReadResumed()) l.bc.getSourceChannel().resumeReads();
                    return;
                }
                if (n < 0) {
                    if (bodyMode == BODY_CLOSE) {
                        responseDone = true;
                        continue;
                    }
                    throw new IOException("endpoint closed mid-response");
                }
                filled = b.position();
            }
        }

        /** The next body bytes of {@code b[scan, filled)} to send, up to the body's end. */
        void nextSlice(ByteBuffer b) throws IOException {
            switch (bodyMode) {
                case BODY_LENGTH -> {
                    int take = (int) Math.min(bodyLeft, filled - scan);
                    bodyLeft -= take;
                    at = scan;
                    sendTo = scan + take;
                    scan = sendTo;
                    responseDone = bodyLeft == 0;
                }
                case BODY_CHUNKED -> {
                    if (chunks.inData()) {
                        int take = (int) Math.min(chunks.chunkLeft(), filled - scan);
                        chunks.take(take);
                        at = scan;
                        sendTo = scan + take;
                        scan = sendTo;
                        return;
                    }
                    int r = chunks.nextData(b, scan, filled);
                    if (r == ChunkedFraming.MALFORMED) throw new IOException("malformed chunked body");
                    at = sendTo = scan = r == ChunkedFraming.MORE ? filled : r;
                    if (r >= 0 && !chunks.inData()) responseDone = true;
                }
                default -> {
                    at = scan;
                    sendTo = scan = filled;
                }
            }
            if (responseDone && scan < filled) linkReusable = false; // it sent more than one response
        }

        void onClientWritable() {
            if (state != STREAMING) {
                sink.suspendWrites();
                return;
            }
            sink.suspendWrites();
            try {
                if (!link.bc.getSourceChannel().isReadResumed()) link.bc.getSourceChannel().resumeReads();
                pump();
            } catch (IOException e) {
                abort();
            }
        }

        /** The whole response went to the exchange: the link goes back to the pool, the stream ends. */
        void finish() {
            Link l = link;
            link = null;
            l.owner = null;
            state = DONE;
            leave();
            if (!reqDone) {
                // The endpoint answered before it read the whole body: where its next response starts is unknown.
                linkReusable = false;
            }
            if (linkReusable && !l.pending) {
                if (!l.bc.getSourceChannel().isReadResumed()) l.bc.getSourceChannel().resumeReads();
                loop.giveIdle(l);
            } else {
                l.close(!reqDone);
            }
            requests.increment();
            ex.endExchange();
        }

        /** The endpoint connection failed: before the response, {@link RetryRule} decides. */
        void backendFailed() {
            if (state == STREAMING) {
                st.note = "aborted";
                abort();
                return;
            }
            if (state != FORWARDING) return;
            Link l = link;
            link = null;
            l.owner = null;
            l.close(false);
            failedBeforeResponse(RetryRule.Failure.RESET);
        }

        /** Nothing went to the client yet: another attempt as {@link RetryRule} allows, else 503. */
        void failedBeforeResponse(RetryRule.Failure why) {
            Endpoint failed = ep;
            boolean reused = why == RetryRule.Failure.RESET && linkReused;
            route.backend().release(failed);
            st.current = null;
            if (RetryRule.countsAgainstEndpoint(why, reused)) {
                settings.passiveFailure(failed, ProxySettings.Failure.CONNECT_ERROR);
                st.addTried(failed);
            }
            // Replayable while no body byte was taken from the client (the body is not kept for a replay).
            boolean replayable = bodyRead == 0;
            if (!RetryRule.mayRetry(why, idempotent, replayable, st.retries, route.config.retries())) {
                errorAnswer(StatusCodes.SERVICE_UNAVAILABLE, ErrorAnswer.defaultWhy(503, why == RetryRule.Failure.RESET));
                return;
            }
            st.retries++;
            st.stats.retries.inc();
            attempt(why, true);
        }

        void badGateway(String why) {
            Link l = link;
            link = null;
            l.owner = null;
            l.close(!reqDone);
            errorAnswer(StatusCodes.BAD_GATEWAY, why);
        }

        /** Cairn's own answer (the listener's error body), before any response byte went out. */
        void errorAnswer(int status, String why) {
            state = DONE;
            leave();
            if (link != null) {
                link.owner = null;
                link.close(!reqDone);
                link = null;
            }
            st.note = why;
            st.ownAnswer = true;
            requests.increment();
            ex.setStatusCode(status);
            ex.endExchange();
        }

        /** The response broke after it started, or the request body did: the stream is reset, the endpoint connection cut. */
        void abort() {
            if (state == DONE) return;
            state = DONE;
            leave();
            Link l = link;
            link = null;
            if (l != null) {
                l.owner = null;
                l.close(true);
            }
            if (st.note == null) st.note = "aborted";
            // RST_STREAM for this stream; the exchange ends with it.
            IoUtils.safeClose(ex.getConnection());
            if (!ex.isComplete()) {
                try {
                    ex.endExchange();
                } catch (RuntimeException ignored) {
                    // the stream is gone already
                }
            }
        }

        /** The exchange ended (the client reset the stream, the connection closed) while the request was with an endpoint. */
        void clientGone() {
            if (state == DONE) return;
            state = DONE;
            leave();
            connecting = null;
            Link l = link;
            link = null;
            if (l != null) {
                l.owner = null;
                l.close(true);
            }
            if (st.note == null) st.note = "client aborted";
        }

        void sweep(long now) {
            boolean clientLate = clientDeadline != 0 && now - clientDeadline >= 0;
            if (now - deadline < 0 && !clientLate) return;
            if (clientLate) {
                st.note = "client timeout";
                abort();
                return;
            }
            switch (state) {
                case CONNECTING -> {
                    connecting = null;
                    failedBeforeResponse(RetryRule.Failure.CONNECT_TIMEOUT);
                }
                case FORWARDING -> {
                    Link l = link;
                    link = null;
                    l.owner = null;
                    l.close(!reqDone);
                    errorAnswer(StatusCodes.GATEWAY_TIME_OUT, ErrorAnswer.defaultWhy(504, true));
                }
                case STREAMING -> {
                    st.note = "server timeout";
                    abort();
                }
                default -> {
                }
            }
        }

        void leave() {
            loop.remove(this);
            if (connection != null) connection.live.remove(this);
            if (source != null) source.suspendReads();
        }

        /** A bug must cost this stream only: logged, the stream reset, the endpoint connection closed. */
        void guarded(Runnable event) {
            try {
                event.run();
            } catch (RuntimeException e) {
                log.atError().addKeyValue("error_id", dev.cairn.proxy.ProxyErrors.FAST_PATH_ERROR.id()).setCause(e)
                        .log("HTTP/2 forwarding: unexpected error, stream reset: {}", e.toString());
                abort();
            }
        }
    }

    /** A keep-alive connection to an endpoint; owned by a {@link Stream} while it carries a request. */
    private final class Link {
        final StreamConnection bc;
        final Endpoint ep;
        Stream owner;
        long idleSince;
        PooledByteBuffer inP;
        ByteBuffer in;
        PooledByteBuffer outP;
        ByteBuffer out;
        /** {@code out} holds bytes a write has not taken yet. */
        boolean pending;

        Link(StreamConnection bc, Endpoint ep) {
            this.bc = bc;
            this.ep = ep;
            bc.getSourceChannel().setReadListener(ch -> onReadable());
            bc.getSinkChannel().setWriteListener(ch -> onWritable());
            bc.getSourceChannel().resumeReads();
        }

        ByteBuffer out() {
            if (outP == null) {
                outP = pool.allocate();
                out = outP.getBuffer();
            }
            out.clear();
            return out;
        }

        ByteBuffer in() {
            if (inP == null) {
                inP = pool.allocate();
                in = inP.getBuffer();
                in.clear();
            }
            return in;
        }

        void releaseBuffers() {
            if (inP != null) {
                inP.close();
                inP = null;
                in = null;
            }
            if (outP != null) {
                outP.close();
                outP = null;
                out = null;
            }
            pending = false;
        }

        void onWritable() {
            Stream o = owner;
            if (pending) {
                try {
                    bc.getSinkChannel().write(out);
                } catch (IOException e) {
                    bc.getSinkChannel().suspendWrites();
                    pending = false;
                    if (o != null) o.guarded(o::backendFailed);
                    return;
                }
                if (out.hasRemaining()) return;
                pending = false;
                out.clear();
            }
            bc.getSinkChannel().suspendWrites();
            if (o != null && !o.reqDone) o.guarded(o::pumpBody); // the body follows its head
        }

        void onReadable() {
            Stream o = owner;
            if (o != null) {
                o.guarded(o::onBackendReadable);
                return;
            }
            // Idle in the pool: the endpoint closed it (or sent something unasked): drop it.
            ByteBuffer scratch = in();
            try {
                int n = bc.getSourceChannel().read(scratch);
                if (n == 0) {
                    releaseBuffers();
                    return;
                }
            } catch (IOException ignored) {
                // closing below
            }
            Loop loop = loops.get(bc.getIoThread());
            if (loop != null) loop.dropIdle(this);
            close(false);
        }

        /** Closes; with {@code cut} (the request's body was not all sent) by a TCP reset, as on the fast path. */
        void close(boolean cut) {
            if (cut || pending) {
                try {
                    bc.setOption(Options.CLOSE_ABORT, true);
                } catch (IOException | IllegalArgumentException ignored) {
                    // closed anyway
                }
            }
            releaseBuffers();
            IoUtils.safeClose(bc);
        }
    }

    /** Puts an HTTP/1.1 head together in the loop's scratch; {@code bad} once a value HTTP/1.1 cannot carry came. */
    private static final class Head {
        final Loop loop;
        byte[] a;
        int n;
        boolean bad;

        Head(Loop loop) {
            this.loop = loop;
            this.a = loop.scratch;
        }

        private void room(int k) {
            if (n + k > a.length) {
                a = java.util.Arrays.copyOf(a, Math.max(a.length * 2, n + k));
                loop.scratch = a;
            }
        }

        Head str(String s) {
            int len = s.length();
            room(len);
            for (int i = 0; i < len; i++) {
                char c = s.charAt(i);
                if (c > 0xff || c == '\r' || c == '\n' || c == 0) bad = true;
                a[n++] = (byte) c;
            }
            return this;
        }

        /** Cairn's own bytes (no check). */
        Head lit(String s) {
            int len = s.length();
            room(len);
            for (int i = 0; i < len; i++) a[n++] = (byte) s.charAt(i);
            return this;
        }

        Head sp() {
            room(1);
            a[n++] = ' ';
            return this;
        }

        /** The request target: no blank or control character (it would end the request line). */
        Head target(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c <= ' ' || c >= 0x7f) bad = true;
            }
            return str(s);
        }

        Head name(String s) {
            return str(s).colon();
        }

        Head name(HttpString s) {
            int len = s.length();
            room(len + 2);
            for (int i = 0; i < len; i++) {
                byte c = s.byteAt(i);
                if (c <= ' ' || c == ':' || c >= 0x7f) bad = true;
                a[n++] = c;
            }
            return colon();
        }

        private Head colon() {
            room(2);
            a[n++] = ':';
            a[n++] = ' ';
            return this;
        }

        Head value(String s) {
            str(s);
            room(2);
            a[n++] = '\r';
            a[n++] = '\n';
            return this;
        }

        Head bytes(byte[] b) {
            room(b.length);
            System.arraycopy(b, 0, a, n, b.length);
            n += b.length;
            return this;
        }
    }

    private static final HttpString PROXY_CONNECTION = new HttpString("proxy-connection");

    /** Fields that describe one connection (RFC 9110 section 7.6.1), not passed to the next hop. */
    static boolean hopByHop(HttpString name) {
        return name.equals(Headers.CONNECTION) || name.equals(Headers.KEEP_ALIVE) || name.equals(Headers.TRANSFER_ENCODING)
                || name.equals(Headers.UPGRADE) || name.equals(Headers.TE) || name.equals(PROXY_CONNECTION);
    }

    private static final HttpString[] FORWARDING_NAMES = Forwarding.NAMES.stream().map(HttpString::new).toArray(HttpString[]::new);

    /** The {@link Forwarding} kind of a header name, -1 for any other. */
    static int forwardingKind(HttpString name) {
        if (name.length() < 9) return -1;
        byte c = name.byteAt(0);
        if (c != 'x' && c != 'X' && c != 'f' && c != 'F') return -1;
        for (int k = 0; k < FORWARDING_NAMES.length; k++) {
            if (FORWARDING_NAMES[k].equals(name)) return k;
        }
        return -1;
    }

    /** The name part of a Host value (before {@code :port}; an IPv6 literal keeps its brackets). */
    static String hostName(String host) {
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            return close < 0 ? host : host.substring(0, close + 1);
        }
        int colon = host.lastIndexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    private static String ascii(ByteBuffer b, int from, int to) {
        byte[] a = new byte[to - from];
        b.get(from, a);
        return new String(a, StandardCharsets.ISO_8859_1);
    }
}

