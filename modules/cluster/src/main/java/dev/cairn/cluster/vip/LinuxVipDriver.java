package dev.cairn.cluster.vip;

import dev.cairn.cluster.ClusterErrors;
import dev.cairn.cluster.DriverConfig;
import dev.cairn.cluster.VipConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds and removes VIPs with iproute2 and announces them as keepalived does: a burst of
 * gratuitous ARPs at takeover, a second burst {@code garp_repeat_after} later, optional periodic
 * refreshes. For IPv6 it turns on the interface's {@code ndisc_notify} so the kernel sends an
 * unsolicited neighbour advertisement once duplicate address detection completes.
 */
public final class LinuxVipDriver implements VipDriver {

    private static final Logger log = LoggerFactory.getLogger(LinuxVipDriver.class);

    private final DriverConfig config;
    private final Arping arping;
    /** The arping executable: "arping" from the PATH, or the one a test names. */
    private final String arpingCommand;
    private final ScheduledExecutorService announcer;
    private final Map<String, List<ScheduledFuture<?>>> scheduled = new ConcurrentHashMap<>();

    public LinuxVipDriver(DriverConfig config) {
        this(config, "arping");
    }

    /** With {@code arpingCommand} as the arping to detect and run. */
    public LinuxVipDriver(DriverConfig config, String arpingCommand) {
        this.config = config;
        this.arpingCommand = arpingCommand;
        this.arping = Arping.detect(arpingCommand);
        if (arping == Arping.MISSING) {
            log.atWarn().addKeyValue("error_id", ClusterErrors.ARPING_MISSING.id())
                    .log("no arping installed: VIPs will be added without gratuitous ARP (install iputils-arping)");
        }
        this.announcer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cluster-garp");
            t.setDaemon(true);
            return t;
        });
    }

    public Arping arping() {
        return arping;
    }

    @Override
    public void acquire(VipConfig vip) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", vip.ipv6() ? "-6" : "-4", "addr", "add", vip.address(), "dev", vip.dev()));
        if (vip.label() != null && !vip.ipv6()) {
            cmd.addAll(List.of("label", vip.dev() + ":" + vip.label()));
        }
        if (vip.ipv6()) enableNdiscNotify(vip.dev());
        Commands.Result r = Commands.run(cmd, Map.of(), config.commandTimeout());
        if (!r.ok() && !r.output().contains("File exists")) {
            throw new IOException(String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.output());
        }
        announce(vip);
        cancel(vip);
        List<ScheduledFuture<?>> later = new ArrayList<>();
        if (!config.garpRepeatAfter().isZero()) {
            later.add(announcer.schedule(() -> garp(vip), config.garpRepeatAfter().toMillis(), TimeUnit.MILLISECONDS));
        }
        if (!config.garpRefresh().isZero()) {
            long every = config.garpRefresh().toMillis();
            later.add(announcer.scheduleAtFixedRate(() -> garp(vip), every, every, TimeUnit.MILLISECONDS));
        }
        scheduled.put(vip.key(), later);
    }

    @Override
    public void release(VipConfig vip) throws IOException {
        cancel(vip);
        List<String> cmd = List.of("ip", vip.ipv6() ? "-6" : "-4", "addr", "del", vip.address(), "dev", vip.dev());
        Commands.Result r = Commands.run(cmd, Map.of(), config.commandTimeout());
        if (!r.ok() && !r.output().contains("Cannot assign requested address")) {
            throw new IOException(String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.output());
        }
    }

    @Override
    public void announce(VipConfig vip) {
        // The first burst runs in the background: arping paces its packets and must not delay the election thread.
        announcer.execute(() -> garp(vip));
    }

    @Override
    public Boolean holds(VipConfig vip) {
        try {
            Commands.Result r = Commands.run(List.of("ip", "-o", "addr", "show", "dev", vip.dev(), "to", vip.ip()),
                    Map.of(), Duration.ofSeconds(5));
            return r.ok() ? !r.output().isBlank() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void garp(VipConfig vip) {
        if (vip.ipv6() || arping == Arping.MISSING || config.garpCount() == 0) return;
        try {
            List<String> argv = new ArrayList<>(arping.garp(vip.dev(), vip.ip(), config.garpCount()));
            argv.set(0, arpingCommand);
            Commands.Result r = Commands.run(argv, Map.of(), config.commandTimeout());
            if (!r.ok()) log.warn("gratuitous ARP for {} on {} failed: {}", vip.ip(), vip.dev(), r.output());
        } catch (IOException e) {
            log.warn("gratuitous ARP for {} failed: {}", vip.ip(), e.toString());
        }
    }

    private void enableNdiscNotify(String dev) {
        Path p = Path.of("/proc/sys/net/ipv6/conf", dev, "ndisc_notify");
        try {
            Files.writeString(p, "1");
        } catch (IOException e) {
            log.warn("cannot enable {} (no unsolicited NA for IPv6 VIPs): {}", p, e.toString());
        }
    }

    private void cancel(VipConfig vip) {
        List<ScheduledFuture<?>> old = scheduled.remove(vip.key());
        if (old != null) old.forEach(f -> f.cancel(false));
    }

    @Override
    public void close() {
        announcer.shutdownNow();
    }
}
