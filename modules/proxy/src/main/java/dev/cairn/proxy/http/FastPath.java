package dev.cairn.proxy.http;

import dev.cairn.proxy.ProxyErrors;
import dev.cairn.proxy.balance.Backend;
import dev.cairn.proxy.balance.Endpoint;
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
 * The fast path of a plain-text HTTP/1.1 listener: Cairn's own forwarding of the common request
 * (GET or HEAD without a body to a plain proxy route) on its own keep-alive connections to the
 * endpoints, without Undertow's exchange, proxy handler and HTTP client in between.
 *
 * <p>Each new client connection starts here. A request head that is not in the narrow shape
 * {@link Http1#parseRequest} accepts, a route with anything beyond proxying (maintenance page,
 * static files, sticky cookie, HTTPS redirect), a client outside allow/deny, no endpoint with a
 * free slot, or a failure before any response byte (connect error or timeout, reset) hands the
 * connection, with every byte read so far, to Undertow's full path, which then owns it for good
 * and answers, queues, retries or refuses exactly as without the fast path.
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
    private static final int MAX_IDLE_PER_ENDPOINT = 64;
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
    final LongAdder active = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    private final Set<Conn> open = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<XnioIoThread, Loop> loops = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    FastPath(DelegateOpenListener undertow, Supplier<HttpHandler> handler, ByteBufferPool pool,
             long keepAliveNanos, long requestNanos, long clientNanos, int maxHeaders) {
        super(undertow);
        this.handler = handler;
        this.pool = pool;
        this.keepAliveNanos = keepAliveNanos;
        this.requestNanos = requestNanos;
        this.clientNanos = clientNanos;
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
        delegate.handleEvent(c, buffer); // bytes read ahead by another listener: the full path
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
            // Endpoints a reload removed: their idle connections go (the full path's pools close too).
            idle.entrySet().removeIf(e -> {
                if (!e.getKey().removed()) return false;
                for (Link l : e.getValue()) l.close();
                return true;
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
            if (q.size() >= MAX_IDLE_PER_ENDPOINT) {
                l.close();
            } else {
                q.addFirst(l);
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

    /** One client connection while the fast path owns it. */
    private final class Conn extends Buffers {
        final StreamConnection c;
        final Loop loop;
        final InetAddress peer;
        final byte[] peerFor;
        int slot = -1;
        int state = IDLE;
        long deadline;
        /** While the client does not take the response: when it has been too slow (0: not waiting). */
        long clientDeadline;
        boolean partial;
        boolean closeAfter;
        /** The client has shut its sending side. */
        boolean readDone;

        final Http1.RequestHead req = new Http1.RequestHead();
        // Made once per connection: a method reference written at the call allocates per event.
        final Runnable backendEvent = this::onBackendReadable;
        private final Runnable clientReadEvent = this::onClientReadable;
        private final Runnable clientWriteEvent = this::onClientWritable;
        int reqEnd;

        byte[] hostKey;
        String host;
        byte[] forwarding;

        ListenerHandler lh;
        RouteHandler route;
        Endpoint ep;
        RequestState st;
        Link link;
        boolean linkReused;
        IoFuture<StreamConnection> connecting;
        long connectStarted;

        final Http1.ResponseHead resp = new Http1.ResponseHead();
        final Http1.ChunkedEnd chunks = new Http1.ChunkedEnd();
        int bodyMode;
        long bodyLeft;
        boolean responseDone;
        boolean linkReusable;
        long bodyBytes;
        AccessLog.Line logLine;
        final ByteBuffer[] gather = new ByteBuffer[2];

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
            int end = Http1.parseRequest(in, limit, maxHeaders, req);
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
            hostOf(req.hostStart, req.hostEnd);
            String path = ascii(req.targetStart, req.pathEnd);
            RouteHandler r = h.fastRoute(peer, host, path);
            if (r == null) {
                handOver();
                return;
            }
            ProxySettings settings = h.settings();
            Backend.Pick pick = r.backend().select(r.config.balance(), peer, null, Set.of(), settings.endpointMaxConnections());
            if (pick.endpoint() == null) {
                handOver(); // none up (503) or all at their limit (queue): the full path decides
                return;
            }
            lh = h;
            route = r;
            ep = pick.endpoint();
            reqEnd = end;
            st = new RequestState(h.name());
            st.stats = r.stats;
            st.backend = r.backend();
            st.current = ep;
            st.last = ep;
            Link l = loop.takeIdle(ep);
            if (l != null) {
                linkReused = true;
                send(l);
            } else {
                connect();
            }
        }

        void connect() {
            state = CONNECTING;
            linkReused = false;
            connectStarted = System.nanoTime();
            deadline = connectStarted + TimeUnit.MILLISECONDS.toNanos(lh.settings().connectTimeoutMillis());
            IoFuture<StreamConnection> f = c.getIoThread().openStreamConnection(ep.socketAddress(), null, BACKEND_OPTIONS);
            connecting = f;
            f.addNotifier((fut, ignored) -> connected(fut), null);
        }

        void connected(IoFuture<? extends StreamConnection> f) {
            if (f.getStatus() != IoFuture.Status.DONE) {
                if (f == connecting) connectFailed();
                return;
            }
            StreamConnection bc;
            try {
                bc = f.get();
            } catch (IOException e) {
                if (f == connecting) connectFailed();
                return;
            }
            Endpoint target = f == connecting ? ep : null;
            if (target == null) {
                IoUtils.safeClose(bc); // too late: timed out, or the client left
                return;
            }
            connecting = null;
            long now = System.nanoTime();
            st.connectNanos = now - connectStarted;
            st.stats.connect.observe(st.connectNanos / 1e9);
            send(new Link(bc, ep, loop));
        }

        void connectFailed() {
            connecting = null;
            failedBeforeResponse(true, "connect error");
        }

        void send(Link l) {
            link = l;
            l.owner = this;
            state = FORWARDING;
            st.connectedAt = System.nanoTime();
            deadline = st.startNanos + TimeUnit.MILLISECONDS.toNanos(lh.settings().serverTimeoutMillis());
            ByteBuffer o = l.out();
            int head = reqEnd - 2; // without the blank line: Cairn's headers go before it
            if (head + forwarding.length + 2 > o.capacity()) {
                link = null;
                l.owner = null;
                loop.giveIdle(l);
                l.releaseOut();
                route.backend().release(ep);
                st.current = null;
                handOver();
                return;
            }
            ByteBuffer src = in.duplicate();
            src.position(0).limit(head);
            o.put(src).put(forwarding).put(CRLF).flip();
            l.write();
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
            String name = host.substring(0, req.hostNameEnd - start);
            String bare = name.startsWith("[") ? name.substring(1, name.length() - 1) : name;
            String ip = new String(peerFor, StandardCharsets.ISO_8859_1);
            StringBuilder f = new StringBuilder(256);
            f.append("X-Forwarded-For: ").append(ip).append("\r\n");
            f.append("X-Forwarded-Proto: http\r\n");
            f.append("X-Forwarded-Server: ").append(bare).append("\r\n");
            f.append("X-Forwarded-Host: ").append(name).append("\r\n");
            f.append("X-Forwarded-Port: ").append(req.port).append("\r\n");
            f.append("Forwarded: ").append(RouteHandler.forwardedValue(null, peer, "http", host)).append("\r\n");
            forwarding = f.toString().getBytes(StandardCharsets.ISO_8859_1);
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
            if (o.hasRemaining()) {
                abort(); // a client that cannot take a few hundred bytes now is gone
                return false;
            }
            return true;
        }

        void startResponse(int headEnd) throws IOException {
            Link l = link;
            ByteBuffer b = l.in;
            state = STREAMING;
            st.responseNanos = System.nanoTime() - st.connectedAt;
            int status = resp.status;
            if (req.head || status == 204 || status == 304) {
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
            linkReusable = bodyMode != BODY_CLOSE && (resp.http10 ? resp.keepAlive : !resp.close);
            // The endpoint closing its connection is its business: the client's stays open (HAProxy
            // does the same), unless the body ends with the close.
            boolean dropConnection = resp.close && bodyMode != BODY_CLOSE && resp.connectionStart >= 0;
            closeAfter = closeAfter || bodyMode == BODY_CLOSE || (resp.close && !dropConnection);
            bodyBytes = 0;
            clientDeadline = 0;
            responseDone = false;
            logLine = null;
            // The client's head: HTTP/1.1, then the status and header lines as the endpoint sent them.
            outP = pool.allocate();
            out = outP.getBuffer();
            out.clear();
            byte[] date = resp.date ? null : DateLine.get();
            int extra = HTTP11.length + (date == null ? 0 : date.length) + CONNECTION_CLOSE.length;
            if (headEnd - Http1.ResponseHead.CODE + extra > out.capacity()) {
                badGateway("response head too large");
                return;
            }
            ByteBuffer src = b.duplicate();
            out.put(HTTP11);
            if (dropConnection) {
                src.position(Http1.ResponseHead.CODE).limit(resp.connectionStart);
                out.put(src);
                src.limit(headEnd - 2).position(resp.connectionEnd);
            } else {
                src.position(Http1.ResponseHead.CODE).limit(headEnd - 2);
            }
            out.put(src);
            if (date != null) out.put(date);
            if (bodyMode == BODY_CLOSE && !resp.close) out.put(CONNECTION_CLOSE);
            out.put(CRLF).flip();
            // The request can no longer be replayed: drop it, keep what the client pipelined after it.
            captureLogLine();
            in.flip().position(reqEnd);
            in.compact();
            reqEnd = 0;
            body(b, headEnd, b.position());
            pump();
        }

        /** Marks {@code b[from, to)} as the next body bytes to send, up to the body's end. */
        void body(ByteBuffer b, int from, int to) throws IOException {
            int take;
            switch (bodyMode) {
                case BODY_NONE -> {
                    take = 0;
                    responseDone = true;
                }
                case BODY_LENGTH -> {
                    take = (int) Math.min(bodyLeft, to - from);
                    bodyLeft -= take;
                    responseDone = bodyLeft == 0;
                }
                case BODY_CHUNKED -> {
                    int end = chunks.scan(b, from, to);
                    if (end == Http1.ChunkedEnd.MALFORMED) throw new IOException("malformed chunked body");
                    take = end == Http1.ChunkedEnd.MORE ? to - from : end - from;
                    responseDone = end != Http1.ChunkedEnd.MORE;
                }
                default -> take = to - from;
            }
            if (from + take < to) linkReusable = false; // the endpoint sent more than one response
            bodyBytes += take;
            b.limit(from + take).position(from);
        }

        /** Writes what is pending to the client and reads more body until done or blocked. */
        void pump() throws IOException {
            Link l = link;
            while (true) {
                ByteBuffer b = l.in;
                long w;
                if (out != null) {
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
                if (out != null || b.hasRemaining()) {
                    // The client is slower than the endpoint: stop reading it until this is out.
                    l.bc.getSourceChannel().suspendReads();
                    c.getSinkChannel().resumeWrites();
                    if (clientDeadline == 0) clientDeadline = System.nanoTime() + clientNanos;
                    return;
                }
                clientDeadline = 0;
                if (responseDone) {
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
                    if (bodyMode == BODY_CLOSE) {
                        responseDone = true;
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
            int status = resp.status;
            Link l = link;
            link = null;
            l.owner = null;
            settle(status, now);
            if (linkReusable && !l.writing()) {
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
            long duration = now - st.startNanos;
            lh.settle(st, status, duration);
            if (logLine != null) {
                AccessLog.Line l = logLine;
                logLine = null;
                lh.accessLog().write(l, status, bodyBytes, st, duration);
            }
        }

        /** Takes what the access log needs from the request head before the head is dropped. */
        void captureLogLine() {
            if (reqEnd == 0 || !lh.accessLog().enabled()) return;
            logLine = new AccessLog.Line(new String(peerFor, StandardCharsets.ISO_8859_1), req.head ? "HEAD" : "GET",
                    host, ascii(req.targetStart, req.targetEnd), "HTTP/1.1",
                    req.userAgentStart < 0 ? null : ascii(req.userAgentStart, req.userAgentEnd),
                    req.refererStart < 0 ? null : ascii(req.refererStart, req.refererEnd));
        }

        void clearRequest() {
            lh = null;
            route = null;
            ep = null;
            st = null;
            releaseOut();
        }

        /** The endpoint failed: before the response, the full path replays the request (GET/HEAD). */
        void backendFailed() {
            if (state == STREAMING) {
                abort();
                return;
            }
            if (state != FORWARDING) return;
            Link l = link;
            link = null;
            l.owner = null;
            l.close();
            failedBeforeResponse(!linkReused, "reset");
        }

        /**
         * Nothing was sent to the client yet: retry on another endpoint within the route's
         * {@code retries} (GET and HEAD are idempotent), as the full path does; then 503.
         */
        void failedBeforeResponse(boolean countAgainstEndpoint, String why) {
            Endpoint failed = ep;
            Backend backend = route.backend();
            ProxySettings settings = lh.settings();
            backend.release(failed);
            st.current = null;
            if (countAgainstEndpoint) settings.passiveFailure(failed, ProxySettings.Failure.CONNECT_ERROR);
            st.addTried(failed);
            if (st.retries >= route.config.retries()) {
                respondError(StatusCodes.SERVICE_UNAVAILABLE, null);
                return;
            }
            st.retries++;
            st.stats.retries.inc();
            Backend.Pick pick = backend.select(route.config.balance(), peer, null, st.tried, settings.endpointMaxConnections());
            if (pick.endpoint() == null) {
                // Nothing else free: the full path queues or answers, and replays the request.
                clearRequest();
                handOver();
                return;
            }
            ep = pick.endpoint();
            if (ep != failed) st.stats.redispatches.inc();
            st.current = ep;
            st.last = ep;
            Link l = loop.takeIdle(ep);
            if (l != null) {
                linkReused = true;
                send(l);
            } else {
                connect();
            }
        }

        void badGateway(String why) {
            Link l = link;
            link = null;
            l.owner = null;
            l.close();
            respondError(StatusCodes.BAD_GATEWAY, why);
        }

        /** An error answer of Cairn's own (as the full path's), then the connection closes. */
        void respondError(int status, String why) {
            String svc = st.stats.service == null ? "" : " (service " + st.stats.service + ")";
            byte[] body = (status + " " + StatusCodes.getReason(status) + (why == null ? "" : ": " + why) + svc + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 " + status + " " + StatusCodes.getReason(status) + "\r\n"
                    + "Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"
                    + "Content-Length: " + body.length + "\r\n";
            st.note = why;
            captureLogLine();
            bodyBytes = body.length;
            settle(status, System.nanoTime());
            clearRequest();
            state = IDLE;
            try {
                ByteBuffer o = ByteBuffer.allocate(head.length() + 64 + body.length);
                o.put(head.getBytes(StandardCharsets.ISO_8859_1)).put(DateLine.get()).put(CRLF).put(body).flip();
                c.getSinkChannel().write(o);
                c.getSinkChannel().flush();
            } catch (IOException ignored) {
                // closing anyway
            }
            close();
        }

        /** The response broke after it started: nothing to do but close both sides. */
        void abort() {
            if (state >= CLOSED) return;
            Link l = link;
            link = null;
            if (l != null) {
                l.owner = null;
                l.close();
            }
            if (st != null) {
                st.note = "aborted";
                settle(resp.status, System.nanoTime());
            }
            clearRequest();
            close();
        }

        /** The client left while its request was with an endpoint. */
        void clientGone() {
            if (connecting != null) connecting = null;
            Link l = link;
            link = null;
            if (l != null) {
                l.owner = null;
                l.close();
            }
            if (ep != null) route.backend().release(ep);
            clearRequest();
            close();
        }

        void sweep(long now) {
            if (now - deadline < 0 && (clientDeadline == 0 || now - clientDeadline < 0)) return;
            switch (state) {
                case IDLE -> close();
                case CONNECTING -> {
                    connecting = null;
                    failedBeforeResponse(true, "connect timeout");
                }
                case FORWARDING -> {
                    Link l = link;
                    link = null;
                    l.owner = null;
                    l.close();
                    respondError(StatusCodes.GATEWAY_TIME_OUT, "server timeout");
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
            if (out == null) {
                bc.getSinkChannel().suspendWrites();
                return;
            }
            bc.getSinkChannel().suspendWrites();
            write();
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
