package dev.cairn.proxy.http;

import io.undertow.connector.ByteBufferPool;
import io.undertow.connector.PooledByteBuffer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Undertow's buffer pool without a lock on the request path. Undertow 2.4's
 * {@code DefaultByteBufferPool} finds a thread's cache in a {@code synchronizedMap(WeakHashMap)},
 * so every buffer taken or returned by an IO thread takes one monitor shared by all IO threads (a
 * few % of the proxy's CPU in a profile under load). Here each thread keeps its free buffers in
 * a {@link ThreadLocal} deque (IO threads allocate and free their own connections' buffers), with a
 * bounded lock-free shared queue for buffers freed by another thread or beyond the local bound.
 * Thread-safe.
 */
public final class ThreadLocalBufferPool implements ByteBufferPool {

    /** Free buffers a thread keeps for itself: a burst of connections' worth, bounded. */
    static final int LOCAL_MAX = 64;
    /** Free buffers kept in the shared queue; more are left to the GC. */
    static final int SHARED_MAX = 1024;

    private final boolean direct;
    private final int size;
    private final ThreadLocal<ArrayDeque<ByteBuffer>> local = ThreadLocal.withInitial(() -> new ArrayDeque<>(LOCAL_MAX));
    private final ConcurrentLinkedQueue<ByteBuffer> shared = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sharedCount = new AtomicInteger();
    private final ThreadLocalBufferPool arrayBacked;
    private volatile boolean closed;

    public ThreadLocalBufferPool(boolean direct, int size) {
        this.direct = direct;
        this.size = size;
        this.arrayBacked = direct ? new ThreadLocalBufferPool(false, size) : this;
    }

    @Override
    public PooledByteBuffer allocate() {
        ByteBuffer b = local.get().pollFirst();
        if (b == null) {
            b = shared.poll();
            if (b != null) sharedCount.decrementAndGet();
        }
        if (b == null) b = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
        return new Pooled(b);
    }

    private void free(ByteBuffer b) {
        if (closed) return;
        b.clear();
        ArrayDeque<ByteBuffer> mine = local.get();
        if (mine.size() < LOCAL_MAX) {
            mine.addFirst(b); // most recently used first: still in cache
        } else if (sharedCount.incrementAndGet() <= SHARED_MAX) {
            shared.offer(b);
        } else {
            sharedCount.decrementAndGet();
        }
    }

    @Override
    public ByteBufferPool getArrayBackedPool() {
        return arrayBacked;
    }

    @Override
    public void close() {
        closed = true;
        shared.clear();
        if (arrayBacked != this) arrayBacked.close();
    }

    @Override
    public int getBufferSize() {
        return size;
    }

    @Override
    public boolean isDirect() {
        return direct;
    }

    /** One loan; closing it twice returns the buffer once. Used by one thread at a time. */
    private final class Pooled implements PooledByteBuffer {
        private ByteBuffer buffer;

        Pooled(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public ByteBuffer getBuffer() {
            ByteBuffer b = buffer;
            if (b == null) throw new IllegalStateException("buffer already returned to the pool");
            return b;
        }

        @Override
        public void close() {
            ByteBuffer b = buffer;
            if (b == null) return;
            buffer = null;
            free(b);
        }

        @Override
        public boolean isOpen() {
            return buffer != null;
        }
    }
}
