package dev.cairn.core.log;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logging until the CLI configures it (and in tests): human lines at INFO on stdout, the same
 * appender {@link LogSetup} installs. Found by logback through the ServiceLoader before it looks
 * for a logback.xml; configuring in code instead of XML keeps logback's XML configurator and the
 * JDK's XML parser (about 450 classes, ~0.1 s of every start) out of the JVM.
 */
public final class StartupLogConfigurator extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        LogSetup.install(ctx, LogFormat.HUMAN, Level.INFO);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
