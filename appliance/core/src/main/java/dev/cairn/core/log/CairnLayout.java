package dev.cairn.core.log;

import dev.cairn.spi.log.JsonText;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.util.List;
import org.slf4j.event.KeyValuePair;

/**
 * Renders one event as a human line or as a JSON object. The "module" is taken from the logger
 * name ({@code dev.cairn.dns.X} is module dns); SLF4J key-value pairs (e.g. {@code error_id}) are
 * appended as fields.
 */
final class CairnLayout extends LayoutBase<ILoggingEvent> {

    private final LogFormat format;

    CairnLayout(LogFormat format) {
        this.format = format;
    }

    @Override
    public String doLayout(ILoggingEvent e) {
        return format == LogFormat.JSON ? json(e) : human(e);
    }

    private static String human(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(160);
        b.append(Instant.ofEpochMilli(e.getTimeStamp())).append(' ');
        String level = e.getLevel().toString();
        b.append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
        b.append(module(e.getLoggerName())).append(": ").append(e.getFormattedMessage());
        List<KeyValuePair> kvs = e.getKeyValuePairs();
        if (kvs != null) {
            for (KeyValuePair kv : kvs) {
                if ("error_id".equals(kv.key)) b.append(" [").append(kv.value).append(']');
            }
        }
        b.append('\n');
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) b.append(ThrowableProxyUtil.asString(t)).append('\n');
        return b.toString();
    }

    private static String json(ILoggingEvent e) {
        StringBuilder b = new StringBuilder(256).append('{');
        field(b, "ts", Instant.ofEpochMilli(e.getTimeStamp()).toString());
        field(b, "level", e.getLevel().toString());
        field(b, "module", module(e.getLoggerName()));
        field(b, "logger", e.getLoggerName());
        field(b, "thread", e.getThreadName());
        field(b, "msg", e.getFormattedMessage());
        List<KeyValuePair> kvs = e.getKeyValuePairs();
        if (kvs != null) {
            for (KeyValuePair kv : kvs) field(b, kv.key, String.valueOf(kv.value));
        }
        IThrowableProxy t = e.getThrowableProxy();
        if (t != null) field(b, "error", ThrowableProxyUtil.asString(t));
        b.setLength(b.length() - 1);
        return b.append("}\n").toString();
    }

    /** {@code dev.cairn.dns.server.X} and {@code cairn.proxy.access} both belong to their module. */
    static String module(String logger) {
        String rest = logger.startsWith("dev.cairn.") ? logger.substring(10)
                : logger.startsWith("cairn.") ? logger.substring(6) : null;
        if (rest == null) return logger;
        int end = rest.indexOf('.');
        return end < 0 ? rest : rest.substring(0, end);
    }

    private static void field(StringBuilder b, String key, String value) {
        b.append('"');
        JsonText.escape(b, key);
        b.append("\":\"");
        JsonText.escape(b, value);
        b.append("\",");
    }

}
