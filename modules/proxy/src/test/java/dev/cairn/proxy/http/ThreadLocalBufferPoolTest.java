package dev.cairn.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.undertow.connector.PooledByteBuffer;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ThreadLocalBufferPoolTest {

    @Test
    void reusesAFreedBufferClearedAndReturnsItOnlyOnce() {
        ThreadLocalBufferPool pool = new ThreadLocalBufferPool(true, 16 * 1024);
        PooledByteBuffer a = pool.allocate();
        ByteBuffer buf = a.getBuffer();
        assertThat(buf.isDirect()).isTrue();
        assertThat(buf.capacity()).isEqualTo(16 * 1024);
        buf.put((byte) 1);
        a.close();
        a.close(); // a second close must not put the buffer in the pool twice
        assertThat(a.isOpen()).isFalse();
        assertThatThrownBy(a::getBuffer).isInstanceOf(IllegalStateException.class);

        PooledByteBuffer b = pool.allocate();
        PooledByteBuffer c = pool.allocate();
        assertThat(b.getBuffer()).isSameAs(buf);
        assertThat(b.getBuffer().position()).isZero();
        assertThat(c.getBuffer()).isNotSameAs(buf);
        assertThat(pool.getArrayBackedPool().allocate().getBuffer().hasArray()).isTrue();
    }

    @Test
    void aBufferFreedOnAnotherThreadIsReusedThroughTheSharedQueue() throws Exception {
        ThreadLocalBufferPool pool = new ThreadLocalBufferPool(false, 1024);
        // Fill the other thread's local cache so the next free goes to the shared queue.
        PooledByteBuffer[] loans = new PooledByteBuffer[ThreadLocalBufferPool.LOCAL_MAX + 1];
        for (int i = 0; i < loans.length; i++) loans[i] = pool.allocate();
        ByteBuffer last = loans[loans.length - 1].getBuffer();
        CompletableFuture.runAsync(() -> {
            for (PooledByteBuffer p : loans) p.close();
        }).get();
        assertThat(pool.allocate().getBuffer()).isSameAs(last);
    }
}
