package dev.cairn.replication.failover;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code replication.clusters.NAME.failover}: whether and how Cairn replaces a dead primary.
 * Off by default: a cluster is only watched until an operator turns failover on.
 */
public record FailoverConfig(
        @Doc(value = "off: never act; manual: detect, page and act only on `cairn replication switchover`; auto: promote a replica when the primary is confirmed dead.", dflt = "off")
        Mode mode,
        @Doc(value = "lossless: refuse an automatic failover when semi-sync fell back to async since it last confirmed an ack (a human decides); available: fail over anyway and record the possible-loss window.", dflt = "lossless")
        Durability durability,
        @Doc(value = "Replicas that must be reachable (the candidate included) for an automatic failover.", dflt = "1")
        @Range(min = 1, max = 64)
        int minReplicas,
        @Doc(value = "A replica whose lag, seen just before the primary failed, exceeds this is not promoted (unless forced).", dflt = "30s")
        Duration maxPromotionLag,
        @Doc(value = "After a failover, another automatic one is blocked this long, until `cairn replication ack`.", dflt = "10m")
        Duration blockPeriod,
        @Doc(value = "Automatic failovers allowed in any hour.", dflt = "2")
        @Range(min = 1, max = 100)
        int maxPerHour,
        @Doc(value = "Consecutive probe rounds that must agree the primary is dead before acting.", dflt = "3")
        @Range(min = 1, max = 100)
        int confirm,
        @Doc(value = "The drain of a candidate's relay log fails when its applied position does not advance for this long.", dflt = "10s")
        Duration drainStall,
        @Doc(value = "Replication account the promoted primary's replicas and a rejoined node use (CHANGE MASTER TO MASTER_USER).", dflt = "repl")
        String replicationUser,
        @Doc(value = "File holding that account's password (first line), relative to the config file; needed by switchover and rejoin.")
        Path replicationPasswordFile,
        @Doc(value = "Which nodes may be promoted.", dflt = "{}")
        PromotionConfig promotion,
        @Doc(value = "Commands run around a failover or switchover.", dflt = "{}")
        HooksConfig hooks) {

    /** Default {@code max_promotion_lag}. */
    public static final Duration MAX_PROMOTION_LAG = Duration.ofSeconds(30);
    /** Default {@code block_period}. */
    public static final Duration BLOCK_PERIOD = Duration.ofMinutes(10);
    /** Default {@code drain_stall}. */
    public static final Duration DRAIN_STALL = Duration.ofSeconds(10);

    public static final FailoverConfig OFF = new FailoverConfig(Mode.OFF, Durability.LOSSLESS, 1, MAX_PROMOTION_LAG,
            BLOCK_PERIOD, 2, 3, DRAIN_STALL, "repl", null, null, null);

    public FailoverConfig {
        mode = mode == null ? Mode.OFF : mode;
        durability = durability == null ? Durability.LOSSLESS : durability;
        maxPromotionLag = maxPromotionLag == null ? MAX_PROMOTION_LAG : maxPromotionLag;
        blockPeriod = blockPeriod == null ? BLOCK_PERIOD : blockPeriod;
        drainStall = drainStall == null ? DRAIN_STALL : drainStall;
        replicationUser = replicationUser == null ? "repl" : replicationUser;
        promotion = promotion == null ? PromotionConfig.NONE : promotion;
        hooks = hooks == null ? HooksConfig.NONE : hooks;
        if (minReplicas < 1) minReplicas = 1;
        if (maxPerHour < 1) maxPerHour = 2;
        if (confirm < 1) confirm = 3;
    }

    public enum Mode { OFF, MANUAL, AUTO }

    public enum Durability { LOSSLESS, AVAILABLE }

    /** {@code failover.promotion}: node names (as in {@code nodes}) to prefer or never promote. */
    public record PromotionConfig(
            @Doc(value = "Preferred candidates, best first; a tie-breaker after the GTID positions.", dflt = "[]")
            List<String> prefer,
            @Doc(value = "Nodes never promoted (e.g. a delayed or backup replica).", dflt = "[]")
            List<String> never) {

        public static final PromotionConfig NONE = new PromotionConfig(List.of(), List.of());

        public PromotionConfig {
            prefer = prefer == null ? List.of() : List.copyOf(prefer);
            never = never == null ? List.of() : List.copyOf(never);
        }
    }

    /**
     * {@code failover.hooks}: shell commands ({@code sh -c}) with {@code CAIRN_CLUSTER},
     * {@code CAIRN_OLD_PRIMARY}, {@code CAIRN_NEW_PRIMARY}, {@code CAIRN_EPOCH}, {@code CAIRN_REASON}
     * in the environment.
     */
    public record HooksConfig(
            @Doc(value = "Run before anything changes; a non-zero exit (or a timeout) vetoes the failover.", dflt = "[]")
            List<String> pre,
            @Doc(value = "Run after the new primary is published.", dflt = "[]")
            List<String> post,
            @Doc(value = "Run when a failover fails or is refused (page a human here).", dflt = "[]")
            List<String> failed,
            @Doc(value = "A hook still running after this is killed (a pre-hook that times out vetoes).", dflt = "30s")
            Duration timeout) {

        public static final Duration TIMEOUT = Duration.ofSeconds(30);
        public static final HooksConfig NONE = new HooksConfig(List.of(), List.of(), List.of(), TIMEOUT);

        public HooksConfig {
            pre = pre == null ? List.of() : List.copyOf(pre);
            post = post == null ? List.of() : List.copyOf(post);
            failed = failed == null ? List.of() : List.copyOf(failed);
            timeout = timeout == null ? TIMEOUT : timeout;
        }
    }
}
