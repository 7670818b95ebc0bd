package dev.cairn.proxy.http;

import io.undertow.connector.ByteBufferPool;
import io.undertow.server.ConnectorStatistics;
import io.undertow.server.DelegateOpenListener;
import io.undertow.server.HttpHandler;
import org.xnio.OptionMap;

/** An open listener in front of another: settings and statistics are the other one's. */
abstract class ForwardingOpenListener implements DelegateOpenListener {

    protected final DelegateOpenListener delegate;

    ForwardingOpenListener(DelegateOpenListener delegate) {
        this.delegate = delegate;
    }

    @Override
    public HttpHandler getRootHandler() {
        return delegate.getRootHandler();
    }

    @Override
    public void setRootHandler(HttpHandler rootHandler) {
        delegate.setRootHandler(rootHandler);
    }

    @Override
    public OptionMap getUndertowOptions() {
        return delegate.getUndertowOptions();
    }

    @Override
    public void setUndertowOptions(OptionMap undertowOptions) {
        delegate.setUndertowOptions(undertowOptions);
    }

    @Override
    public ByteBufferPool getBufferPool() {
        return delegate.getBufferPool();
    }

    @Override
    public ConnectorStatistics getConnectorStatistics() {
        return delegate.getConnectorStatistics();
    }

    @Override
    public void closeConnections() {
        delegate.closeConnections();
    }
}
