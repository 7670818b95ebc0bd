package dev.cairn.proxy.http;

import org.xnio.conduits.AbstractStreamSourceConduit;
import org.xnio.conduits.ReadReadyHandler;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Keeps a plain-text client connection registered for reads while Undertow runs an exchange.
 * Undertow suspends reads when it has parsed a request head and resumes them when the exchange
 * completes; with the JDK's epoll selector each such pair costs two {@code epoll_ctl} calls (remove,
 * add) per request. Here a suspend is only noted: the socket is really taken out of the selector
 * when it becomes readable while suspended (a pipelined request, or the client closing early), so
 * Undertow's read listener is still never called while it expects no reads.
 *
 * <p>Only for connections without TLS: the TLS conduit has its own readiness bookkeeping, and
 * Undertow suspends those connections on purpose.
 */
final class LazyReadSuspend extends AbstractStreamSourceConduit<StreamSourceConduit> {

    /** What the layers above asked for; the socket itself may still be armed. Guarded by this. */
    private boolean suspended;

    LazyReadSuspend(StreamSourceConduit next) {
        super(next);
    }

    @Override
    public synchronized void suspendReads() {
        suspended = true;
    }

    @Override
    public synchronized void resumeReads() {
        suspended = false;
        if (!next.isReadResumed()) next.resumeReads();
    }

    @Override
    public synchronized void wakeupReads() {
        suspended = false;
        next.wakeupReads();
    }

    @Override
    public synchronized boolean isReadResumed() {
        return !suspended && next.isReadResumed();
    }

    @Override
    public void setReadReadyHandler(ReadReadyHandler handler) {
        next.setReadReadyHandler(handler == null ? null : new Gate(handler));
    }

    /** Passes readiness up only while reads are wanted; otherwise suspends the socket for real. */
    private final class Gate implements ReadReadyHandler {
        private final ReadReadyHandler up;

        Gate(ReadReadyHandler up) {
            this.up = up;
        }

        @Override
        public void readReady() {
            synchronized (LazyReadSuspend.this) {
                if (suspended) {
                    next.suspendReads();
                    return;
                }
            }
            up.readReady();
        }

        @Override
        public void forceTermination() {
            up.forceTermination();
        }

        @Override
        public void terminated() {
            up.terminated();
        }
    }
}
