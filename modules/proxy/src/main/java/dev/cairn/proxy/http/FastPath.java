package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyErrors;
import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
import dev.cairn.proxy.http.policy.ChunkedFraming;
import dev.cairn.proxy.http.policy.ErrorAnswer;
import dev.cairn.proxy.http.policy.Forwarding;
import dev.cairn.proxy.http.policy.RetryRule;
import dev.cairn.proxy.http.policy.Timeouts;
import dev.cairn.proxy.http.policy.UpstreamPool;
import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.DelegateOpenListener;
import io.undertow.server.HttpHandler;
import io.undertow.util.DateUtils;
import io.undertow.util.StatusCodes;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.xnio.ChannelListener;
import org.xnio.IoFuture;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.XnioExecutor;
import org.xnio.XnioIoThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast path of an HTTP/1.1 listener, plain or TLS (on TLS it reads and writes the decrypted
 * stream of Undertow's TLS connection; ALPN h2 never comes here): Cairn's own forwarding of the
 * common request (a common method, its body streamed one buffer at a time, to a plain proxy
 * route) on its own keep-alive connections to the endpoints, without Undertow's exchange, proxy
 * handler and HTTP client in between. Connection state ({@code Conn}, HAProxy's h1c) and the
 * state of the request in progress ({@code Exchange}, h1s) are apart; the rules both paths share
 * (retries, refused framing, chunked framing, forwarding headers, error answers) come from
 * {@code dev.cairn.proxy.http.policy}.
 *
 * <p>Each new client connection starts here. A request head that is not in the narrow shape
 * {@link Http1#parseRequest} accepts, a chunked body that is already malformed in the bytes that
 * came with its head, a route with anything beyond proxying (maintenance page, static files,
 * sticky cookie, HTTPS redirect), a client outside allow/deny, or no endpoint with a free slot
 * hands the connection, with every byte read so far, to Undertow's full path, which then owns it
 * for good and answers, queues, retries or refuses exactly as without the fast path. A failure
 * before any response byte is retried here as {@link RetryRule} says, or handed over the same way
 * while the request can still be replayed.
 *
 * <p>The fast path itself balances with the route's {@link Backend}, counts the same metrics,
 * feeds passive health, writes the same access log, adds the same forwarding headers, and
 * enforces the listener's timeouts: {@code keep_alive} between requests, {@code http_request} for
 * a partial head, {@code server} for the whole response (504 when nothing has been sent yet),
 * {@code client} for a client that stops reading. Every connection and its endpoint connection
 * live on one IO thread, so the state below needs no locks.
 */
final class FastPath extends ForwardingOpenListener {

    private static final Logger log = LoggerFactory.getLogger(FastPath.class);

    private static final long SWEEP_MILLIS = 100;
    private static final long POOL_IDLE_NANOS = UpstreamPool.IDLE_TIMEOUT.toNanos();
    private static final OptionMap BACKEND_OPTIONS = OptionMap.create(Options.TCP_NODELAY, true);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HTTP11 = "HTTP/1.1 ".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CONNECTION_CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private final Supplier<HttpHandler> handler;
    private final ByteBufferPool pool;
    private final long keepAliveNanos;
    private final long requestNanos;
    private final long clientNanos;
    private final int maxHeaders;
    private final long maxBodyBytes;
    /** "https" on a TLS listener (forwarding headers, default port), else "http". */
    private final String scheme;
    private final int defaultPort;
    final LongAdder active = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    /** Requests this fast path answered itself (forwarded, or Cairn's own error answer). */
    final LongAdder requests = new LongAdder();
    private final Set<Conn> open = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<XnioIoThread, Loop> loops = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    FastPath(DelegateOpenListener undertow, Supplier<HttpHandler> handler, ByteBufferPool pool,
             Timeouts timeouts, int maxHeaders, long maxBodyBytes, boolean tls) {
        super(undertow);
        this.maxBodyBytes = maxBodyBytes;
        this.scheme = tls ? "https" : "http";
        this.defaultPort = tls ? 443 : 80;
        this.handler = handler;
        this.pool = pool;
        // The listener's (restart) timeouts, fixed for its life; connect and server come per request from the handler's settings.
        this.keepAliveNanos = timeouts.keepAlive().toNanos();
        this.requestNanos = timeouts.httpRequest().toNanos();
        this.clientNanos = timeouts.client().toNanos();
        this.maxHeaders = maxHeaders;
    }

    @Override
    public void handleEvent(StreamConnection c) {
        if (stopped) {
            IoUtils.safeClose(c);
            return;
        }
        XnioIoThread t = c.getIoThread();
        if (Thread.currentThread() == t) {
            start(c);
        } else {
            t.execute(() -> start(c));
        }
    }

    @Override
    public void handleEvent(StreamConnection c, PooledByteBuffer buffer) {
        if (stopped || Thread.currentThread() != c.getIoThread()) {
            delegate.handleEvent(c, buffer);
            return;
        }
        // ALPN chose HTTP/1.1 and read the first bytes (decrypted) into a buffer of the same pool:
        // they are the start of the fast path's first request.
        Conn conn = new Conn(c, loops.computeIfAbsent(c.getIoThread(), Loop::new));
        ByteBuffer b = buffer.getBuffer();
        if (b.hasRemaining()) {
            b.compact();
            conn.inP = buffer;
            conn.in = b;
        } else {
            buffer.close();
        }
        conn.start();
        if (conn.in != null) conn.guarded(conn.nextEvent);
    }

    private void start(StreamConnection c) {
        new Conn(c, loops.computeIfAbsent(c.getIoThread(), Loop::new)).start();
    }

    /**
     * The listener is being replaced or stopped: as with Undertow's own connections, open ones stay
     * (until the worker shuts down), but their next requests take the full path of this listener.
     */
    void stop() {
        stopped = true;
    }

    /** Per IO thread: its connections (for the timeout sweep) and idle endpoint connections. */
    private final class Loop implements Runnable {
        final XnioIoThread thread;
        final ArrayList<Conn> conns = new ArrayList<>();
        final HashMap<Endpoint, ArrayDeque<Link>> idle = new HashMap<>();
        XnioExecutor.Key timer;

        Loop(XnioIoThread thread) {
            this.thread = thread;
        }

        void add(Conn c) {
            c.slot = conns.size();
            conns.add(c);
            if (timer == null) timer = thread.executeAfter(this, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        }

        void remove(Conn c) {
            int i = c.slot;
            if (i < 0) return;
            Conn last = conns.remove(conns.size() - 1);
            if (last != c) {
                conns.set(i, last);
                last.slot = i;
            }
            c.slot = -1;
        }

        @Override
        public void run() {
            timer = null;
            long now = System.nanoTime();
            for (int i = conns.size() - 1; i >= 0; i--) {
                if (i < conns.size()) conns.get(i).sweep(now);
            }
            // Endpoints a reload removed: their idle connections go (the full path's pools close too);
            // and idle ones past UpstreamPool.IDLE_TIMEOUT (the oldest are at the end).
            idle.entrySet().removeIf(e -> {
                ArrayDeque<Link> q = e.getValue();
                if (e.getKey().removed()) {
                    for (Link l : q) l.close();
                    return true;
                }
                while (!q.isEmpty() && now - q.peekLast().idleSince >= POOL_IDLE_NANOS) q.pollLast().close();
                return q.isEmpty();
            });
            if (!conns.isEmpty() || !idle.isEmpty()) timer = thread.executeAfter(this, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        }

        Link takeIdle(Endpoint ep) {
            ArrayDeque<Link> q = idle.get(ep);
            return q == null ? null : q.pollFirst();
        }

        void giveIdle(Link l) {
            if (stopped || l.ep.removed()) {
                l.close();
                return;
            }
            ArrayDeque<Link> q = idle.computeIfAbsent(l.ep, k -> new ArrayDeque<>());
            if (q.size() >= UpstreamPool.MAX_IDLE_PER_ENDPOINT) {
                l.close();
            } else {
                l.idleSince = System.nanoTime();
                q.addFirst(l);
                if (timer == null) timer = thread.executeAfter(this, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        void dropIdle(Link l) {
            ArrayDeque<Link> q = idle.get(l.ep);
            if (q != null) q.remove(l);
        }
    }

    private static final int IDLE = 0;
    private static final int CONNECTING = 1;
    private static final int FORWARDING = 2;
    private static final int STREAMING = 3;
    private static final int CLOSED = 4;
    private static final int HANDED = 5;

    private static final int BODY_NONE = 0;
    private static final int BODY_LENGTH = 1;
    private static final int BODY_CHUNKED = 2;
    private static final int BODY_CLOSE = 3;

    /** The pooled read and write buffers of a connection, taken when needed and given back empty. */
    private abstract static class Buffers {
        PooledByteBuffer inP;
        ByteBuffer in;
        PooledByteBuffer outP;
        ByteBuffer out;

        final void releaseIn() {
            if (inP != null) {
                inP.close();
                inP = null;
                in = null;
            }
        }

        final void releaseOut() {
            if (outP != null) {
                outP.close();
                outP = null;
                out = null;
            }
        }
    }

    /**
     * The per-request state of a fast-path connection (HAProxy's h1s beside the connection's h1c):
     * the parsed head, the route and endpoint, the endpoint connection carrying it, and the
     * response framing. Cleared between requests; owned by its connection's IO thread.
     */
    private static final class Exchange {
        final Http1.RequestHead req = new Http1.RequestHead();
        /** Reused for each request of the connection (metrics and log take what they need at its end). */
        final RequestState state = new RequestState(null);
        int reqEnd;
        ListenerHandler lh;
        RouteHandler route;
        Endpoint ep;
        RequestState st;
        Link link;
        boolean linkReused;
        IoFuture<StreamConnection> connecting;
        long connectStarted;

        final Http1.ResponseHead resp = new Http1.ResponseHead();
        final ChunkedFraming chunks = new ChunkedFraming();
        int bodyMode;
        long bodyLeft;
        boolean responseDone;
        boolean linkReusable;
        long bodyBytes;
        AccessLog.Line logLine;
        /** Metrics, slot and access log done for this request. */
        boolean settled;

        // The request body: how it is framed, how far it went upstream.
        int reqMode;
        long reqLeft;
        /** Offset in the connection's {@code in} up to which the request's bytes went upstream. */
        int sentTo;
        /** How far a chunked body has been scanned, and where it ends (-1: not seen yet). */
        int scannedTo;
        int chunkEnd;
        boolean reqDone;
        /** The head left {@code in} (the request can no longer be replayed or handed over). */
        boolean headDropped;
        /** Strict: the body goes upstream with its framing as sent (see ChunkedFraming). */
        final ChunkedFraming reqChunks = new ChunkedFraming(false);

        /** The forwarding header lines Cairn adds, and which of the request's own it drops (bit per line). */
        byte[] fwd;
        int fwdDrop;
        final boolean[] fwdSent = new boolean[Forwarding.NAMES.size()];
    }

    /** One client connection while the fast path owns it. */
    private final class Conn extends Buffers {
        final StreamConnection c;
        final Loop loop;
        final InetAddress peer;
        final byte[] peerFor;
        /** The client address as the access log writes it: made at the connection's first logged request. */
        private String peerName;
        int slot = -1;
        int state = IDLE;
        long deadline;
        /** While the client does not take the response: when it has been too slow (0: not waiting). */
        long clientDeadline;
        boolean partial;
        boolean closeAfter;
        /** The client has shut its sending side. */
        boolean readDone;

        // Made once per connection: a method reference written at the call allocates per event.
        final Runnable backendEvent = this::onBackendReadable;
        private final Runnable clientReadEvent = this::onClientReadable;
        private final Runnable clientWriteEvent = this::onClientWritable;
        final Runnable bodyEvent = this::pumpBody;
        final Runnable nextEvent = this::next;

        byte[] hostKey;
        String host;
        byte[] forwarding;
        final ByteBuffer[] gather = new ByteBuffer[2];
        /** The request in progress (one at a time: pipelined ones wait in {@code in}); reused. */
        final Exchange x = new Exchange();

        Conn(StreamConnection c, Loop loop) {
            this.c = c;
            this.loop = loop;
            InetSocketAddress a = c.getPeerAddress(InetSocketAddress.class);
            this.peer = a == null ? null : a.getAddress();
            this.peerFor = (peer == null ? "unknown" : peer.getHostAddress()).getBytes(StandardCharsets.ISO_8859_1);
        }

        void start() {
            active.increment();
            open.add(this);
            loop.add(this);
            deadline = System.nanoTime() + keepAliveNanos;
            c.getSourceChannel().setReadListener(ch -> guarded(clientReadEvent));
            c.getSinkChannel().setWriteListener(ch -> guarded(clientWriteEvent));
            c.getSourceChannel().resumeReads();
        }

        /** A bug must cost this connection only: logged, both sides closed, the slot freed. */
        void guarded(Runnable event) {
            try {
                event.run();
            } catch (RuntimeException e) {
                log.atError().addKeyValue("error_id", ProxyErrors.FAST_PATH_ERROR.id()).setCause(e)
                        .log("fast path: unexpected error, connection closed: {}", e.toString());
                if (state == CONNECTING || state == FORWARDING) {
                    clientGone();
                } else {
                    abort();
                }
            }
        }

        // ---- client side ----

        void onClientReadable() {
            if (state >= CLOSED) return;
            if ((state == FORWARDING || state == STREAMING) && !x.reqDone) {
                pumpBody();
                return;
            }
            try {
                if (in == null) {
                    inP = pool.allocate();
                    in = inP.getBuffer();
                    in.clear();
                }
                if (!in.hasRemaining()) {
                    if (state == IDLE) {
                        handOver(); // a head larger than a buffer: Undertow applies the header limits
                    } else {
                        c.getSourceChannel().suspendReads(); // pipelined bytes wait for this response
                    }
                    return;
                }
                int n = c.getSourceChannel().read(in);
                if (n < 0) {
                    if (state == IDLE) {
                        close();
                    } else {
                        // Half-closed (the client sent its requests and shut its side): the answers
                        // still go out, then the connection closes (HAProxy without abortonclose).
                        readDone = true;
                        c.getSourceChannel().suspendReads();
                    }
                    return;
                }
                if (n == 0) {
                    if (state == IDLE && in.position() == 0) releaseIn();
                    return;
                }
                bytesIn.add(n);
                if (state == IDLE) next();
            } catch (IOException e) {
                if (state == IDLE) close();
                else clientGone();
            }
        }

        /** Starts on the request at the front of {@code in}, if a whole head is there. */
        void next() {
            int limit = in == null ? 0 : in.position();
            if (limit == 0 && readDone) {
                close();
                return;
            }
            if (limit == 0) {
                releaseIn();
                partial = false;
                deadline = System.nanoTime() + keepAliveNanos;
                return;
            }
            int end = Http1.parseRequest(in, limit, maxHeaders, maxBodyBytes, x.req);
            if (end == Http1.INCOMPLETE) {
                if (readDone) {
                    close();
                } else if (!in.hasRemaining()) {
                    handOver();
                } else if (!partial) {
                    partial = true;
                    deadline = System.nanoTime() + requestNanos;
                }
                return;
            }
            partial = false;
            if (end == Http1.NOT_SIMPLE || stopped || !(handler.get() instanceof ListenerHandler h)) {
                handOver();
                return;
            }
            hostOf(x.req.hostStart, x.req.hostEnd);
            // Only routes with a path prefix (or a static prefix) need the path as a String.
            String path = h.routesByPath() ? ascii(x.req.targetStart, x.req.pathEnd) : "/";
            RouteHandler r = h.fastRoute(peer, host, path);
            if (r == null) {
                handOver();
                return;
            }
            if (!forwardingFor(h)) {
                handOver(); // a trusted proxy's X-Forwarded-Port that is not a number: the full path replaces it
                return;
            }
            if (!startBody(end, limit)) {
                handOver(); // a malformed or oversized chunked body: the full path's guard refuses it
                return;
            }
            ProxySettings settings = h.settings();
            Backend.Pick pick = r.backend().select(r.config.balance(), peer, null, Set.of(), settings.endpointMaxConnections());
            if (pick.endpoint() == null) {
                handOver(); // none up (503) or all at their limit (queue): the full path decides
                return;
            }
            x.lh = h;
            x.route = r;
            x.ep = pick.endpoint();
            x.st = x.state.reset(h.name());
            x.st.stats = r.stats;
            x.st.backend = r.backend();
            x.st.current = x.ep;
            x.st.last = x.ep;
            Link l = loop.takeIdle(x.ep);
            if (l != null) {
                sendPooled(l);
            } else {
                connect();
            }
        }

        /**
         * The forwarding headers for this request, as {@link Forwarding} has them for the peer: a
         * client's own forwarding header lines are dropped and Cairn's added, unless the peer is one
         * of the listener's {@code trusted_proxies}, whose lines are kept or extended. False when
         * the full path must take the request.
         */
        boolean forwardingFor(ListenerHandler h) {
            int n = x.req.forwardingLines;
            x.fwd = forwarding;
            x.fwdDrop = 0;
            if (n == 0) return true;
            if (!h.trusts(peer)) {
                x.fwdDrop = (1 << n) - 1;
                return true;
            }
            boolean[] sent = x.fwdSent;
            java.util.Arrays.fill(sent, false);
            String firstFor = null;
            String previous = null;
            int[] f = x.req.forwarding;
            for (int k = 0; k < n; k++) {
                int o = k * Http1.FORWARDING_FIELDS;
                int kind = f[o + 4];
                String value = ascii(f[o + 2], f[o + 3]);
                if (kind == Forwarding.PORT && !sent[kind] && !Forwarding.portKept(value)) return false;
                sent[kind] = true;
                if (Forwarding.keptFromTrusted(kind)) continue;
                x.fwdDrop |= 1 << k;
                if (kind == Forwarding.FOR) {
                    if (firstFor == null) firstFor = value;
                } else {
                    previous = previous == null ? value : previous + ", " + value;
                }
            }
            x.fwd = Forwarding.trustedHeaderBlock(peer, scheme, host, host.substring(0, x.req.hostNameEnd - x.req.hostStart),
                    x.req.port == 0 ? defaultPort : x.req.port, firstFor, previous, sent);
            return true;
        }

        /**
         * The request body's framing, and for a chunked body a look at the bytes that came with the
         * head: false when they are already malformed or over {@code max_body_size} (nothing has
         * gone upstream, so the full path may refuse the request with 400 as its guard does).
         */
        boolean startBody(int headEnd, int limit) {
            x.reqEnd = headEnd;
            x.sentTo = headEnd;
            x.scannedTo = headEnd;
            x.chunkEnd = -1;
            x.headDropped = false;
            if (x.req.chunked) {
                x.reqMode = BODY_CHUNKED;
                x.reqDone = false;
                x.reqChunks.reset();
                int e = x.reqChunks.scan(in, headEnd, limit);
                if (e == ChunkedFraming.MALFORMED || x.reqChunks.dataBytes() > maxBodyBytes) return false;
                x.scannedTo = e == ChunkedFraming.MORE ? limit : e;
                if (e >= 0) x.chunkEnd = e;
            } else if (x.req.contentLength > 0) {
                x.reqMode = BODY_LENGTH;
                x.reqDone = false;
                x.reqLeft = x.req.contentLength;
            } else {
                x.reqMode = BODY_NONE;
                x.reqDone = true;
            }
            return true;
        }

        /** True while the request's head and every body byte sent so far are still in {@code in}. */
        boolean replayable() {
            return !x.headDropped;
        }

        /** Before another attempt: the body goes again from its first byte. */
        void rewindBody() {
            x.sentTo = x.reqEnd;
            x.scannedTo = x.reqEnd;
            x.chunkEnd = -1;
            x.reqChunks.reset();
            x.reqLeft = x.req.contentLength;
            x.reqDone = x.reqMode == BODY_NONE;
        }

        /**
         * Streams the request body: the bytes in {@code in} go to the endpoint, then more are read
         * from the client into the same buffer, never more than one buffer at a time (the client
         * is read only as fast as the endpoint takes the body). The head and the first buffer stay
         * for a replay until the buffer is needed for more body.
         */
        void pumpBody() {
            Link l = x.link;
            if (l == null || x.reqDone || state >= CLOSED) return;
            if (l.writing()) {
                c.getSourceChannel().suspendReads(); // the head first; its end resumes the body
                return;
            }
            if (in == null) {
                inP = pool.allocate();
                in = inP.getBuffer();
                in.clear();
            }
            while (true) {
                int limit = in.position();
                int end;
                if (x.reqMode == BODY_LENGTH) {
                    end = (int) Math.min(limit, x.sentTo + x.reqLeft);
                } else {
                    if (x.chunkEnd < 0 && x.scannedTo < limit) {
                        int e = x.reqChunks.scan(in, x.scannedTo, limit);
                        if (e == ChunkedFraming.MALFORMED || x.reqChunks.dataBytes() > maxBodyBytes) {
                            // The head went upstream already: the request is cut (as on the full path).
                            boolean malformed = e == ChunkedFraming.MALFORMED;
                            if (x.st != null) x.st.note = malformed ? "malformed chunked body" : "body larger than limits.max_body_size";
                            // Counted and logged as the client's fault unless a response had begun.
                            if (state != STREAMING) x.resp.status = malformed ? StatusCodes.BAD_REQUEST : StatusCodes.REQUEST_ENTITY_TOO_LARGE;
                            abort();
                            return;
                        }
                        if (e == ChunkedFraming.MORE) {
                            x.scannedTo = limit;
                        } else {
                            x.scannedTo = e;
                            x.chunkEnd = e;
                        }
                    }
                    end = x.chunkEnd >= 0 ? x.chunkEnd : x.scannedTo;
                }
                if (end > x.sentTo) {
                    int w;
                    try {
                        in.limit(end).position(x.sentTo);
                        w = l.bc.getSinkChannel().write(in);
                    } catch (IOException e) {
                        in.limit(in.capacity()).position(limit);
                        backendFailed();
                        return;
                    }
                    in.limit(in.capacity()).position(limit);
                    x.sentTo += w;
                    if (x.reqMode == BODY_LENGTH) x.reqLeft -= w;
                    if (x.sentTo < end) {
                        // The endpoint reads slower: the client waits until it is writable again.
                        if (state == FORWARDING) clientDeadline = 0;
                        c.getSourceChannel().suspendReads();
                        l.bc.getSinkChannel().resumeWrites();
                        return;
                    }
                }
                if (x.reqMode == BODY_LENGTH ? x.reqLeft == 0 : x.chunkEnd >= 0 && x.sentTo == x.chunkEnd) {
                    x.reqDone = true;
                    return;
                }
                if (readDone) {
                    clientGone(); // the client stopped sending mid-body
                    return;
                }
                if (limit == in.capacity()) {
                    // Every buffered byte went: the buffer takes more body, and the head goes
                    // (from here on the request cannot be replayed).
                    captureLogLine();
                    x.headDropped = true;
                    in.clear();
                    x.sentTo = 0;
                    x.scannedTo = 0;
                    x.reqEnd = 0;
                }
                int n;
                try {
                    n = c.getSourceChannel().read(in);
                } catch (IOException e) {
                    clientGone();
                    return;
                }
                if (n < 0) {
                    readDone = true;
                    clientGone();
                    return;
                }
                if (n == 0) {
                    // The body is the client's to send: timeouts.client from now (Timeouts).
                    if (state == FORWARDING && clientDeadline == 0) clientDeadline = System.nanoTime() + clientNanos;
                    if (!c.getSourceChannel().isReadResumed()) c.getSourceChannel().resumeReads();
                    return;
                }
                if (state == FORWARDING) clientDeadline = 0;
                bytesIn.add(n);
            }
        }

        void connect() {
            state = CONNECTING;
            clientDeadline = 0;
            x.linkReused = false;
            x.connectStarted = System.nanoTime();
            deadline = x.connectStarted + x.lh.settings().timeouts().connect().toNanos();
            IoFuture<StreamConnection> f = c.getIoThread().openStreamConnection(x.ep.socketAddress(), null, BACKEND_OPTIONS);
            x.connecting = f;
            f.addNotifier((fut, ignored) -> connected(fut), null);
        }

        void connected(IoFuture<? extends StreamConnection> f) {
            if (f.getStatus() != IoFuture.Status.DONE) {
                if (f == x.connecting) connectFailed();
                return;
            }
            StreamConnection bc;
            try {
                bc = f.get();
            } catch (IOException e) {
                if (f == x.connecting) connectFailed();
                return;
            }
            Endpoint target = f == x.connecting ? x.ep : null;
            if (target == null) {
                IoUtils.safeClose(bc); // too late: timed out, or the client left
                return;
            }
            x.connecting = null;
            x.st.connected(x.st.stats.connect, x.connectStarted, System.nanoTime());
            send(new Link(bc, x.ep, loop));
        }

        void connectFailed() {
            x.connecting = null;
            failedBeforeResponse(RetryRule.Failure.CONNECT_ERROR);
        }

        /** The request goes out on an idle keep-alive connection of the pool (connect time about 0). */
        void sendPooled(Link l) {
            x.linkReused = true;
            long now = System.nanoTime();
            x.st.connected(x.st.stats.connect, now, now);
            send(l);
        }

        void send(Link l) {
            x.link = l;
            l.owner = this;
            state = FORWARDING;
            clientDeadline = 0;
            deadline = x.st.startNanos + x.lh.settings().timeouts().server().toNanos();
            ByteBuffer o = l.out();
            int head = x.reqEnd - 2; // without the blank line: Cairn's headers go before it
            byte[] fwd = x.fwd;
            int[] f = x.req.forwarding;
            int dropped = 0;
            for (int k = 0; k < x.req.forwardingLines; k++) {
                if ((x.fwdDrop & (1 << k)) != 0) dropped += f[k * Http1.FORWARDING_FIELDS + 1] - f[k * Http1.FORWARDING_FIELDS];
            }
            if (head - dropped + fwd.length + 2 > o.capacity()) {
                x.link = null;
                l.owner = null;
                loop.giveIdle(l);
                l.releaseOut();
                x.route.backend().release(x.ep);
                x.st.current = null;
                handOver();
                return;
            }
            int filled = in.position();
            int from = 0;
            for (int k = 0; k < x.req.forwardingLines; k++) {
                if ((x.fwdDrop & (1 << k)) == 0) continue;
                int o0 = k * Http1.FORWARDING_FIELDS;
                in.limit(f[o0]).position(from);
                o.put(in);
                from = f[o0 + 1];
            }
            in.limit(head).position(from);
            o.put(in);
            in.limit(in.capacity()).position(filled);
            o.put(fwd).put(CRLF);
            if (!x.reqDone) {
                // The body bytes that came with the head go in the same write (one segment to the
                // endpoint instead of two writes); a replay rewinds them with the rest (rewindBody).
                int end = x.reqMode == BODY_LENGTH ? (int) Math.min(filled, x.sentTo + x.reqLeft)
                        : x.chunkEnd >= 0 ? x.chunkEnd : x.scannedTo;
                int n = end - x.sentTo;
                if (n > 0 && n <= o.remaining()) {
                    in.limit(end).position(x.sentTo);
                    o.put(in);
                    in.limit(in.capacity()).position(filled);
                    x.sentTo = end;
                    if (x.reqMode == BODY_LENGTH) x.reqLeft -= n;
                    x.reqDone = x.reqMode == BODY_LENGTH ? x.reqLeft == 0 : x.chunkEnd >= 0 && x.sentTo == x.chunkEnd;
                }
            }
            o.flip();
            l.write();
            if (!x.reqDone && !l.writing() && x.link == l) pumpBody();
        }

        /** The Host value as a String and this host's forwarding headers, cached per connection. */
        void hostOf(int start, int end) {
            int len = end - start;
            byte[] k = hostKey;
            if (k != null && k.length == len) {
                boolean same = true;
                for (int i = 0; i < len && same; i++) same = in.get(start + i) == k[i];
                if (same) return;
            }
            k = new byte[len];
            in.get(start, k);
            hostKey = k;
            host = new String(k, StandardCharsets.ISO_8859_1);
            forwarding = Forwarding.headerBlock(peer, scheme, host, host.substring(0, x.req.hostNameEnd - start),
                    x.req.port == 0 ? defaultPort : x.req.port);
        }

        String ascii(int start, int end) {
            byte[] b = new byte[end - start];
            in.get(start, b);
            return new String(b, StandardCharsets.ISO_8859_1);
        }

        // ---- endpoint side ----

        void onBackendReadable() {
            try {
                if (state == FORWARDING) readHead();
                else if (state == STREAMING) pump();
            } catch (IOException e) {
                backendFailed();
            }
        }

        void readHead() throws IOException {
            Link l = x.link;
            ByteBuffer b = l.in();
            int n = l.bc.getSourceChannel().read(b);
            if (n < 0) {
                backendFailed();
                return;
            }
            if (n == 0) return;
            while (true) {
                int end = Http1.parseResponse(b, 0, b.position(), x.resp);
                if (end == Http1.INCOMPLETE) {
                    if (!b.hasRemaining()) badGateway("response head too large");
                    return;
                }
                if (end == Http1.NOT_SIMPLE || x.resp.status == 101) {
                    badGateway("malformed response");
                    return;
                }
                if (x.resp.status >= 200) {
                    startResponse(end);
                    return;
                }
                // 1xx (103 Early Hints, an unasked 100): passed on at once; the final answer follows.
                if (!interim(b, end)) return;
                b.flip().position(end);
                b.compact();
                if (b.position() == 0) return;
            }
        }

        /** Sends an interim (1xx) head to the client; false when the client could not take it. */
        boolean interim(ByteBuffer b, int end) throws IOException {
            ByteBuffer o = ByteBuffer.allocate(HTTP11.length + end - Http1.ResponseHead.CODE);
            ByteBuffer src = b.duplicate();
            src.position(Http1.ResponseHead.CODE).limit(end);
            o.put(HTTP11).put(src).flip();
            bytesOut.add(c.getSinkChannel().write(o));
            if (o.hasRemaining() || !c.getSinkChannel().flush()) {
                abort(); // a client that cannot take a few hundred bytes now is gone
                return false;
            }
            return true;
        }

        void startResponse(int headEnd) throws IOException {
            Link l = x.link;
            ByteBuffer b = l.in;
            state = STREAMING;
            x.st.responseHead(System.nanoTime());
            int status = x.resp.status;
            if (x.req.head || status == 204 || status == 304) {
                x.bodyMode = BODY_NONE;
            } else if (x.resp.chunked) {
                x.bodyMode = BODY_CHUNKED;
                x.chunks.reset();
            } else if (x.resp.contentLength >= 0) {
                x.bodyMode = BODY_LENGTH;
                x.bodyLeft = x.resp.contentLength;
            } else {
                x.bodyMode = BODY_CLOSE;
            }
            // Whole request sent and nothing after the response are checked as they become known (finish, body).
            x.linkReusable = UpstreamPool.reusable(x.bodyMode != BODY_CLOSE, x.resp.http10 ? x.resp.keepAlive : !x.resp.close, true, true);
            // The endpoint closing its connection is its business: the client's stays open (HAProxy
            // does the same), unless the body ends with the close.
            boolean dropConnection = x.resp.close && x.bodyMode != BODY_CLOSE && x.resp.connectionStart >= 0;
            closeAfter = closeAfter || x.bodyMode == BODY_CLOSE || (x.resp.close && !dropConnection);
            x.bodyBytes = 0;
            clientDeadline = 0;
            x.responseDone = false;
            // The client's head: HTTP/1.1, then the status and header lines as the endpoint sent them.
            outP = pool.allocate();
            out = outP.getBuffer();
            out.clear();
            byte[] date = x.resp.date ? null : DateLine.get();
            int extra = HTTP11.length + (date == null ? 0 : date.length) + CONNECTION_CLOSE.length;
            if (headEnd - Http1.ResponseHead.CODE + extra > out.capacity()) {
                badGateway("response head too large");
                return;
            }
            // Copied by moving b's window (a duplicate() per response would allocate), then restored.
            int filled = b.position();
            out.put(HTTP11);
            if (dropConnection) {
                b.limit(x.resp.connectionStart).position(Http1.ResponseHead.CODE);
                out.put(b);
                b.limit(headEnd - 2).position(x.resp.connectionEnd);
            } else {
                b.limit(headEnd - 2).position(Http1.ResponseHead.CODE);
            }
            out.put(b);
            b.limit(b.capacity()).position(filled);
            if (date != null) out.put(date);
            if (x.bodyMode == BODY_CLOSE && !x.resp.close) out.put(CONNECTION_CLOSE);
            out.put(CRLF);
            // The request can no longer be replayed: drop it, keep what the client pipelined after it.
            captureLogLine();
            int drop = x.sentTo; // the head and the body bytes sent; a body still coming stays
            in.flip().position(drop);
            in.compact();
            x.scannedTo -= drop;
            if (x.chunkEnd >= 0) x.chunkEnd -= drop;
            x.sentTo = 0;
            x.reqEnd = 0;
            x.headDropped = true;
            body(b, headEnd, b.position());
            // The body bytes that came with the head go in the same buffer, as many as fit: one
            // write, and on TLS one record (an SSLEngine may wrap only the first of several buffers,
            // as BoringSSL's does: else a second record and write per response).
            int bodyEnd = b.limit();
            b.limit(b.position() + Math.min(b.remaining(), out.remaining()));
            out.put(b);
            b.limit(bodyEnd);
            out.flip();
            pump();
        }

        /** Marks {@code b[from, to)} as the next body bytes to send, up to the body's end. */
        void body(ByteBuffer b, int from, int to) throws IOException {
            int take;
            switch (x.bodyMode) {
                case BODY_NONE -> {
                    take = 0;
                    x.responseDone = true;
                }
                case BODY_LENGTH -> {
                    take = (int) Math.min(x.bodyLeft, to - from);
                    x.bodyLeft -= take;
                    x.responseDone = x.bodyLeft == 0;
                }
                case BODY_CHUNKED -> {
                    int end = x.chunks.scan(b, from, to);
                    if (end == ChunkedFraming.MALFORMED) throw new IOException("malformed chunked body");
                    take = end == ChunkedFraming.MORE ? to - from : end - from;
                    x.responseDone = end != ChunkedFraming.MORE;
                }
                default -> take = to - from;
            }
            if (from + take < to) x.linkReusable = UpstreamPool.reusable(true, true, true, false); // it sent more than one response
            x.bodyBytes += take;
            b.limit(from + take).position(from);
        }

        /** Writes what is pending to the client and reads more body until done or blocked. */
        void pump() throws IOException {
            Link l = x.link;
            while (true) {
                ByteBuffer b = l.in;
                // The last bytes are about to go: the request is counted before the client can
                // see its end (a client that reads the metrics next finds it there).
                if (x.responseDone && !x.settled) settle(x.resp.status, System.nanoTime());
                long w;
                if (out != null && !b.hasRemaining()) {
                    w = c.getSinkChannel().write(out); // the head and the body bytes that came with it (startResponse)
                } else if (out != null) {
                    gather[0] = out;
                    gather[1] = b;
                    w = c.getSinkChannel().write(gather, 0, 2);
                    gather[0] = null;
                    gather[1] = null;
                } else {
                    w = b.hasRemaining() ? c.getSinkChannel().write(b) : 0;
                }
                bytesOut.add(w);
                if (out != null && !out.hasRemaining()) releaseOut();
                // Progress with bytes left: the channel took what it could in one go (a TLS engine
                // wraps one buffer per call), so write again before waiting for writability.
                if (w > 0 && (out != null || b.hasRemaining())) continue;
                if (out != null || b.hasRemaining() || !c.getSinkChannel().flush()) {
                    // The client is slower than the endpoint: stop reading it until this is out
                    // (on TLS, flush() is false while encrypted bytes wait for the socket).
                    l.bc.getSourceChannel().suspendReads();
                    c.getSinkChannel().resumeWrites();
                    if (clientDeadline == 0) clientDeadline = System.nanoTime() + clientNanos;
                    return;
                }
                clientDeadline = 0;
                if (x.responseDone) {
                    finish();
                    return;
                }
                b.clear();
                int n = l.bc.getSourceChannel().read(b);
                if (n == 0) {
                    b.flip(); // nothing pending
                    if (!l.bc.getSourceChannel().isReadResumed()) l.bc.getSourceChannel().resumeReads();
                    return;
                }
                if (n < 0) {
                    if (x.bodyMode == BODY_CLOSE) {
                        x.responseDone = true;
                        b.flip();
                        continue;
                    }
                    throw new IOException("endpoint closed mid-response");
                }
                body(b, 0, n);
            }
        }

        void onClientWritable() {
            if (state != STREAMING) {
                c.getSinkChannel().suspendWrites();
                return;
            }
            try {
                c.getSinkChannel().suspendWrites();
                pump();
            } catch (IOException e) {
                abort();
            }
        }

        void finish() {
            long now = System.nanoTime();
            int status = x.resp.status;
            Link l = x.link;
            x.link = null;
            l.owner = null;
            settle(status, now);
            if (!x.reqDone) {
                // The endpoint answered before it read the whole body (as it may): where the next
                // request starts on either connection is unknown, so both close.
                x.linkReusable = UpstreamPool.reusable(true, true, false, true);
                closeAfter = true;
            }
            if (x.linkReusable && !l.writing()) {
                l.releaseIn();
                if (!l.bc.getSourceChannel().isReadResumed()) l.bc.getSourceChannel().resumeReads();
                loop.giveIdle(l);
            } else {
                l.close();
            }
            clearRequest();
            state = IDLE;
            if (closeAfter || stopped) {
                close();
                return;
            }
            if (!readDone && !c.getSourceChannel().isReadResumed()) c.getSourceChannel().resumeReads();
            next(); // a pipelined request, or wait for the next one
        }

        /** Metrics, the endpoint's slot, passive health and the access log for this request. */
        void settle(int status, long now) {
            if (x.settled) return;
            x.settled = true;
            requests.increment();
            long duration = x.st.durationNanos(now);
            x.lh.settle(x.st, status, duration);
            if (x.logLine != null) {
                AccessLog.Line l = x.logLine;
                x.logLine = null;
                x.lh.accessLog().write(l, status, x.bodyBytes, x.st, duration);
            }
        }

        /** Takes what the access log needs from the request head before the head is dropped. */
        void captureLogLine() {
            if (x.logLine != null || x.headDropped || !x.lh.accessLog().enabled()) return;
            if (peerName == null) peerName = new String(peerFor, StandardCharsets.ISO_8859_1);
            x.logLine = new AccessLog.Line(peerName, x.req.method,
                    host, ascii(x.req.targetStart, x.req.targetEnd), "HTTP/1.1",
                    x.req.userAgentStart < 0 ? null : ascii(x.req.userAgentStart, x.req.userAgentEnd),
                    x.req.refererStart < 0 ? null : ascii(x.req.refererStart, x.req.refererEnd));
        }

        void clearRequest() {
            x.logLine = null;
            x.settled = false;
            x.lh = null;
            x.route = null;
            x.ep = null;
            x.st = null;
            releaseOut();
        }

        /** The endpoint connection failed: before the response, {@link RetryRule} decides. */
        void backendFailed() {
            if (state == STREAMING) {
                abort();
                return;
            }
            if (state != FORWARDING) return;
            Link l = x.link;
            x.link = null;
            l.owner = null;
            l.close();
            failedBeforeResponse(RetryRule.Failure.RESET);
        }

        /**
         * Nothing was sent to the client yet: another attempt as {@link RetryRule} allows (the same
         * rule as the full path's), else 503. With no other endpoint free, the full path takes the
         * connection and the request's bytes (it queues, answers or replays as without the fast path).
         */
        void failedBeforeResponse(RetryRule.Failure why) {
            Endpoint failed = x.ep;
            Backend backend = x.route.backend();
            ProxySettings settings = x.lh.settings();
            boolean reused = why == RetryRule.Failure.RESET && x.linkReused;
            backend.release(failed);
            x.st.current = null;
            if (RetryRule.countsAgainstEndpoint(why, reused)) {
                settings.passiveFailure(failed, ProxySettings.Failure.CONNECT_ERROR);
                x.st.addTried(failed);
            }
            boolean replayable = replayable();
            if (!RetryRule.mayRetry(why, x.req.idempotent, replayable, x.st.retries, x.route.config.retries())) {
                respondError(StatusCodes.SERVICE_UNAVAILABLE, ErrorAnswer.defaultWhy(503, why == RetryRule.Failure.RESET));
                return;
            }
            x.st.retries++;
            x.st.stats.retries.inc();
            Backend.Pick pick = backend.select(x.route.config.balance(), peer, null, x.st.tried, settings.endpointMaxConnections());
            if (pick.endpoint() == null) {
                if (!replayable) {
                    respondError(StatusCodes.SERVICE_UNAVAILABLE, null);
                    return;
                }
                // Nothing else free: the full path queues or answers, and replays the request.
                clearRequest();
                handOver();
                return;
            }
            x.ep = pick.endpoint();
            if (x.ep != failed) x.st.stats.redispatches.inc();
            x.st.current = x.ep;
            x.st.last = x.ep;
            rewindBody();
            Link l = UpstreamPool.retryOnNewConnection(why, x.linkReused) ? null : loop.takeIdle(x.ep);
            if (l != null) {
                sendPooled(l);
            } else {
                connect();
            }
        }

        void badGateway(String why) {
            Link l = x.link;
            x.link = null;
            l.owner = null;
            l.close();
            respondError(StatusCodes.BAD_GATEWAY, why);
        }

        /**
         * An error answer of Cairn's own (as the full path's); the connection stays for the next
         * request when {@link ErrorAnswer#keepsConnection} says so, else it closes.
         */
        void respondError(int status, String why) {
            String reason = StatusCodes.getReason(status);
            String service = x.st.stats.service;
            boolean keep = ErrorAnswer.keepsConnection(x.reqDone, readDone || closeAfter || stopped) && in != null;
            byte[] answer = ErrorAnswer.http1(status, reason, why, service, DateLine.get(), !keep);
            x.st.note = why;
            x.st.ownAnswer = true;
            captureLogLine();
            x.bodyBytes = ErrorAnswer.bodyLength(status, reason, why, service);
            settle(status, System.nanoTime());
            int consumed = x.sentTo; // the request's bytes in {@code in}; what follows is the next request
            clearRequest();
            state = IDLE;
            boolean written;
            try {
                ByteBuffer o = ByteBuffer.wrap(answer);
                int n = c.getSinkChannel().write(o);
                bytesOut.add(n);
                written = !o.hasRemaining() && c.getSinkChannel().flush();
            } catch (IOException e) {
                written = false;
            }
            if (!keep || !written) {
                close();
                return;
            }
            in.flip().position(consumed);
            in.compact();
            if (!c.getSourceChannel().isReadResumed()) c.getSourceChannel().resumeReads();
            next();
        }

        /** The response broke after it started: nothing to do but close both sides. */
        void abort() {
            if (state >= CLOSED) return;
            Link l = x.link;
            x.link = null;
            if (l != null) {
                l.owner = null;
                l.close(!x.reqDone);
            }
            if (x.st != null) {
                x.st.note = "aborted";
                settle(x.resp.status, System.nanoTime());
            }
            clearRequest();
            close();
        }

        /** The client left while its request was with an endpoint. */
        void clientGone() {
            if (x.connecting != null) x.connecting = null;
            Link l = x.link;
            x.link = null;
            if (l != null) {
                l.owner = null;
                l.close(!x.reqDone);
            }
            if (x.ep != null) x.route.backend().release(x.ep);
            clearRequest();
            close();
        }

        void sweep(long now) {
            boolean clientLate = clientDeadline != 0 && now - clientDeadline >= 0;
            if (now - deadline < 0 && !clientLate) return;
            if (clientLate && state == FORWARDING) {
                // The client stopped sending the body it announced for timeouts.client: as on the
                // full path (its idle timeout), the connection closes, and so does the endpoint's.
                clientGone();
                return;
            }
            switch (state) {
                case IDLE -> close();
                case CONNECTING -> {
                    x.connecting = null;
                    failedBeforeResponse(RetryRule.Failure.CONNECT_TIMEOUT);
                }
                case FORWARDING -> {
                    Link l = x.link;
                    x.link = null;
                    l.owner = null;
                    l.close();
                    respondError(StatusCodes.GATEWAY_TIME_OUT, ErrorAnswer.defaultWhy(504, true));
                }
                default -> abort();
            }
        }

        void handOver() {
            if (state >= CLOSED) return;
            state = HANDED;
            leave();
            c.getSourceChannel().setReadListener(null);
            c.getSinkChannel().setWriteListener(null);
            c.getSinkChannel().suspendWrites();
            PooledByteBuffer p = inP;
            inP = null;
            in = null;
            if (p == null) {
                delegate.handleEvent(c);
            } else {
                p.getBuffer().flip();
                delegate.handleEvent(c, p);
            }
        }

        void close() {
            if (state >= CLOSED) return;
            state = CLOSED;
            leave();
            releaseIn();
            IoUtils.safeClose(c);
        }

        private void leave() {
            loop.remove(this);
            if (open.remove(this)) active.decrement();
            releaseOut();
        }

    }

    /** A keep-alive connection to an endpoint; owned by a {@link Conn} while it carries a request. */
    private final class Link extends Buffers {
        final StreamConnection bc;
        final Endpoint ep;
        final Loop loop;
        Conn owner;
        /** When it went back to the pool. */
        long idleSince;

        Link(StreamConnection bc, Endpoint ep, Loop loop) {
            this.bc = bc;
            this.ep = ep;
            this.loop = loop;
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

        void write() {
            try {
                bc.getSinkChannel().write(out);
                if (out.hasRemaining()) {
                    bc.getSinkChannel().resumeWrites();
                } else {
                    releaseOut();
                }
            } catch (IOException e) {
                releaseOut();
                if (owner != null) owner.backendFailed();
            }
        }

        void onWritable() {
            bc.getSinkChannel().suspendWrites();
            if (out != null) write();
            Conn o = owner;
            if (out == null && o != null && !o.x.reqDone) o.guarded(o.bodyEvent); // the body follows its head
        }

        void onReadable() {
            Conn o = owner;
            if (o != null) {
                o.guarded(o.backendEvent);
                return;
            }
            // Idle in the pool: the endpoint closed it (or sent something unasked): drop it.
            ByteBuffer scratch = in();
            try {
                int n = bc.getSourceChannel().read(scratch);
                if (n == 0) {
                    releaseIn();
                    return;
                }
            } catch (IOException ignored) {
                // closing below
            }
            loop.dropIdle(this);
            close();
        }

        boolean writing() {
            return out != null;
        }

        void close() {
            releaseIn();
            releaseOut();
            IoUtils.safeClose(bc);
        }

        /**
         * Closes; with {@code cut} (the request's body was not all sent) by a TCP reset, so the
         * endpoint cannot take the body that ends early for a whole one, as on the full path
         * (also while a write is pending: it may hold the body's last bytes).
         */
        void close(boolean cut) {
            if (cut || writing()) {
                try {
                    bc.setOption(Options.CLOSE_ABORT, true);
                } catch (IOException | IllegalArgumentException ignored) {
                    // closed anyway
                }
            }
            close();
        }
    }

    /** The Date header line, made once a second. */
    private static final class DateLine {
        private record Cached(long second, byte[] line) {
        }

        private static volatile Cached cached = new Cached(-1, null);

        static byte[] get() {
            long s = System.currentTimeMillis() / 1000;
            Cached c = cached;
            if (c.second != s) {
                c = new Cached(s, ("Date: " + DateUtils.toDateString(new Date(s * 1000)) + "\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                cached = c;
            }
            return c.line;
        }
    }
}
