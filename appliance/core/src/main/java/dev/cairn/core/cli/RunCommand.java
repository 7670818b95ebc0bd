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

    /**
     * The usual {@code run} command lines, read without picocli: {@code run} followed by
     * {@code -c FILE}, {@code --config FILE|=FILE}, {@code --node NAME|=NAME},
     * {@code --log-format FORMAT|=FORMAT}, {@code --log-level LEVEL|=LEVEL}, each at most once,
     * values not starting with '-'. Null for anything else (help, a typo, a repeated option, an
     * unknown format): picocli then parses it and answers as it always did.
     */
    static RunCommand parseCommon(String... args) {
        if (args.length == 0 || !"run".equals(args[0])) return null;
        RunCommand r = new RunCommand();
        r.config = new ConfigOption();
        String file = null;
        String node = null;
        String format = null;
        String level = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            String name = a;
            String value;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return null;
            }
            if (value.isEmpty() || value.startsWith("-")) return null;
            switch (name) {
                case "-c", "--config" -> {
                    if (file != null) return null;
                    file = value;
                }
                case "--node" -> {
                    if (node != null) return null;
                    node = value;
                }
                case "--log-format" -> {
                    if (format != null) return null;
                    format = value;
                }
                case "--log-level" -> {
                    if (level != null) return null;
                    level = value;
                }
                default -> {
                    return null;
                }
            }
        }
        LogFormat f = LogFormat.HUMAN;
        if (format != null) {
            try {
                f = LogFormat.valueOf(format.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        r.config.file = java.nio.file.Paths.get(file != null ? file : ConfigOption.DEFAULT);
        r.config.node = node;
        r.logFormat = f;
        r.logLevel = level != null ? level : "info";
        return r;
    }

    /** Runs it as picocli's {@code execute} would: its exit code, or 1 and "cairn: MESSAGE" if it threw. */
    static int callAsPicocliWould(java.util.concurrent.Callable<Integer> r) {
        try {
            return r.call();
        } catch (Exception ex) {
            System.err.println("cairn: " + ex.getMessage());
            return 1;
        }
    }

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
        sun.misc.SignalHandler previous = Signal.handle(new Signal("HUP"), sig -> reloader.execute(() -> {
            log.info("SIGHUP: reloading {}", config.file);
            host.reload();
        }));
        if (previous == sun.misc.SignalHandler.SIG_IGN) {
            // The JVM keeps a signal ignored that its parent ignored (nohup does): SIGHUP would do nothing.
            log.warn("SIGHUP is ignored by this process (started under nohup or with SIGHUP ignored): "
                    + "a reload takes `cairn reload` or POST /api/reload instead");
        }
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
