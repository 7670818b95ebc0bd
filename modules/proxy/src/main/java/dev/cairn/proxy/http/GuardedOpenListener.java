package dev.cairn.proxy.http;

import io.undertow.connector.PooledByteBuffer;
import io.undertow.server.DelegateOpenListener;
import org.xnio.StreamConnection;
import org.xnio.conduits.StreamSourceConduit;
import org.xnio.ssl.SslConnection;

/**
 * Undertow's HTTP/1.1 open listener with an {@link ObsFoldGuard} put under each new connection's
 * reads (after TLS and the PROXY protocol header, so it sees the plain HTTP/1.1 bytes; HTTP/2
 * connections chosen by ALPN never reach it), and, on plain-text connections, a
 * {@link LazyReadSuspend} under that.
 */
final class GuardedOpenListener extends ForwardingOpenListener {

    GuardedOpenListener(DelegateOpenListener delegate) {
        super(delegate);
    }

    @Override
    public void handleEvent(StreamConnection channel) {
        guard(channel, null);
        delegate.handleEvent(channel);
    }

    @Override
    public void handleEvent(StreamConnection channel, PooledByteBuffer buffer) {
        guard(channel, buffer);
        delegate.handleEvent(channel, buffer);
    }

    private static void guard(StreamConnection channel, PooledByteBuffer buffer) {
        StreamSourceConduit socket = channel.getSourceChannel().getConduit();
        if (!(channel instanceof SslConnection)) socket = new LazyReadSuspend(socket);
        ObsFoldGuard g = new ObsFoldGuard(socket);
        // Bytes read ahead by the ALPN or PROXY protocol listener are the start of the stream.
        if (buffer != null) g.inspect(buffer.getBuffer());
        channel.getSourceChannel().setConduit(g);
    }
}
