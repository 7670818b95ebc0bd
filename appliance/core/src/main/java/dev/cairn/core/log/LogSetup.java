package dev.cairn.core.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** Sends every log line, Cairn's and its libraries', to one stream on stdout. */
public final class LogSetup {

    /**
     * System property holding the format in use ({@code human} or {@code json}): writers that put
     * lines on stdout without logback (the proxy's batched access log) wrap them the same way.
     */
    public static final String FORMAT_PROPERTY = "cairn.log.format";

    private LogSetup() {
    }

    public static void configure(LogFormat format, Level level) {
        System.setProperty(FORMAT_PROPERTY, format.name().toLowerCase(java.util.Locale.ROOT));
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.reset();
        install(ctx, format, level);
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }

    /** One stdout appender with Cairn's layout on the root logger of {@code ctx}; chatty libraries at WARN. */
    static void install(LoggerContext ctx, LogFormat format, Level level) {
        CairnLayout layout = new CairnLayout(format);
        layout.setContext(ctx);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> enc = new LayoutWrappingEncoder<>();
        enc.setContext(ctx);
        enc.setLayout(layout);
        enc.start();
        ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
        out.setContext(ctx);
        out.setName("stdout");
        out.setEncoder(enc);
        out.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(out);
        // Chatty libraries stay at WARN unless debugging.
        if (level.isGreaterOrEqual(Level.INFO)) {
            ctx.getLogger("org.xnio").setLevel(Level.WARN);
            ctx.getLogger("io.undertow").setLevel(Level.WARN);
            ctx.getLogger("org.jboss").setLevel(Level.WARN);
            ctx.getLogger("com.zaxxer.hikari").setLevel(Level.WARN);
        }
    }
}
