package dev.cairn.core.cli;

import dev.cairn.core.CoreErrors;
import ch.qos.logback.classic.Level;
import dev.cairn.core.config.ConfigError;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.core.lifecycle.Host;
import dev.cairn.core.lifecycle.StartupException;
import dev.cairn.core.log.LogFormat;
import dev.cairn.core.log.LogSetup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run Cairn in the foreground.",
                "SIGHUP reloads the config (an invalid file changes nothing); SIGTERM stops within 10 s."})
final class RunCommand implements java.util.concurrent.Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "human",
            description = "human or json (one JSON object per line). Default: ${DEFAULT-VALUE}.")
    LogFormat logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info, debug or trace. Default: ${DEFAULT-VALUE}.")
    String logLevel;

    private static void unhook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Already shutting down (a signal arrived during start-up): nothing to remove.
        }
    }

    @Override
    public Integer call() throws Exception {
        // The JDK HTTP server (admin API, metrics, demo backends) reads these once: without them
        // a client that never finishes its request holds a worker thread forever.
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", "10"));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", "30"));
        LogSetup.configure(logFormat, Level.toLevel(logLevel, Level.INFO));
        Logger log = LoggerFactory.getLogger(RunCommand.class);
        Host host = new Host(ModuleRegistry.discover(), config.file, config.node, System.getenv());
        ExecutorService reloader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cairn-reload");
            t.setDaemon(true);
            return t;
        });
        Signal.handle(new Signal("HUP"), sig -> reloader.execute(() -> {
            log.info("SIGHUP: reloading {}", config.file);
            host.reload();
        }));
        // Signals are wired before start, so a SIGHUP or SIGTERM during start-up is handled too.
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            Thread stopper = new Thread(host::close, "cairn-stop");
            stopper.start();
            try {
                stopper.join(Host.STOP_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (stopper.isAlive()) {
                log.warn("graceful stop took longer than {} s; exiting anyway", Host.STOP_TIMEOUT.toSeconds());
            }
            stopped.countDown();
        }, "cairn-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            host.start();
        } catch (ConfigException e) {
            for (ConfigError err : e.errors()) {
                log.atError().addKeyValue("error_id", CoreErrors.CONFIG_INVALID_AT_START.id()).log("{}", err);
            }
            System.err.println(e.getMessage());
            System.err.println("cairn: " + e.errors().size() + " config error(s), not started");
            unhook(hook);
            return 1;
        } catch (StartupException e) {
            log.atError().addKeyValue("error_id", CoreErrors.NOT_STARTED.id()).log("not started: {}", e.getMessage());
            System.err.println("cairn: not started: " + e.getMessage());
            unhook(hook);
            return 1;
        }
        stopped.await();
        reloader.shutdownNow();
        reloader.awaitTermination(1, TimeUnit.SECONDS);
        return 0;
    }
}
