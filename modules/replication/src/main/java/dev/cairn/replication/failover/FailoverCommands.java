package dev.cairn.replication.failover;

import dev.cairn.replication.ReplicationCommand;
import dev.cairn.replication.ReplicationConfig;
import dev.cairn.spi.command.AdminCall;
import dev.cairn.spi.command.CommandContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The failover's verbs under {@code cairn replication}, clients of the running daemon's actions:
 * {@code switchover CLUSTER [--to NODE] [--force] [--dry-run]}, {@code rejoin CLUSTER NODE},
 * {@code ack CLUSTER}, and the failover part of {@code status}.
 */
public final class FailoverCommands {

    public static final String USAGE = """
              switchover CLUSTER [--to NODE] [--force] [--dry-run]
                        planned switchover to NODE (default: the best replica): the primary is set
                        read_only, its sessions killed, NODE applies everything, is promoted under a
                        new epoch, the old primary replicates from it. On a dead primary: a failover.
                        --dry-run prints the plan; --force ignores max_promotion_lag.
              rejoin CLUSTER NODE
                        make NODE (an old primary) a replica of the current primary, only when it has
                        no transaction the primary lacks (otherwise they are named and nothing changes).
              ack CLUSTER
                        acknowledge a failover or a refusal: lifts block_period and re-enables automation.""";

    private FailoverCommands() {
    }

    /** True for the verbs this class runs. */
    public static boolean handles(String verb) {
        return verb.equals("switchover") || verb.equals("rejoin") || verb.equals("ack");
    }

    /** Runs {@code args} (verb first); exit 0 done, 1 failed or refused, 64 usage. */
    public static int run(CommandContext<ReplicationConfig> ctx, List<String> args) {
        String verb = args.get(0);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("format", "text");
        List<String> pos = new ArrayList<>();
        for (int i = 1; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--to" -> {
                    if (i + 1 >= args.size()) return usage(ctx);
                    params.put("to", args.get(++i));
                }
                case "--force" -> params.put("force", "true");
                case "--dry-run" -> params.put("dry_run", "true");
                default -> {
                    if (a.startsWith("--")) return usage(ctx);
                    pos.add(a);
                }
            }
        }
        int want = verb.equals("rejoin") ? 2 : 1;
        if (pos.size() != want || (!verb.equals("switchover") && params.size() > 1)) return usage(ctx);
        params.put("cluster", pos.get(0));
        if (verb.equals("rejoin")) params.put("node", pos.get(1));
        AdminCall.Response r;
        try {
            r = ctx.admin().post("replication", verb, params);
        } catch (IOException e) {
            ctx.err().println("cairn replication " + verb + ": " + e.getMessage());
            return 1;
        }
        if (!r.ok()) {
            ctx.err().println("cairn replication " + verb + ": " + r.status() + " " + r.body());
            return 1;
        }
        String text = ReplicationCommand.unquote(r.body().trim());
        ctx.out().print(text.endsWith("\n") ? text : text + "\n");
        return text.startsWith("FAILED") || text.startsWith("REFUSED") ? 1 : 0;
    }

    /** The failover section of {@code cairn replication status}; nothing when no cluster has failover on. */
    public static void status(CommandContext<ReplicationConfig> ctx, Map<String, String> params) {
        Map<String, String> p = new LinkedHashMap<>(params);
        p.put("format", "text");
        try {
            AdminCall.Response r = ctx.admin().get("replication", "failover", p);
            if (r.ok()) ctx.out().print(ReplicationCommand.unquote(r.body().trim()));
        } catch (IOException e) {
            // the topology part already reported the daemon unreachable
        }
    }

    private static int usage(CommandContext<ReplicationConfig> ctx) {
        ctx.err().println("Usage: cairn replication\n" + USAGE);
        return CommandContext.EXIT_USAGE;
    }

    /** Renders an action's result for a terminal. */
    @SuppressWarnings("unchecked")
    static String text(String action, Object result) {
        StringBuilder b = new StringBuilder();
        if (result instanceof Map<?, ?> m) {
            if (action.equals("failover")) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    b.append(clusterStatus((Map<String, Object>) e.getValue()));
                }
                return b.toString();
            }
            if (m.containsKey("plan")) {
                b.append("plan (dry run, nothing changed):\n");
                ((List<?>) m.get("plan")).forEach(l -> b.append("  ").append(l).append('\n'));
                return b.toString();
            }
            if (m.containsKey("refused")) {
                return "REFUSED " + m.get("refused") + "\n";
            }
            boolean ok = Boolean.TRUE.equals(m.get("ok"));
            b.append(ok ? "" : "FAILED ").append(m.get("detail")).append('\n');
            if (m.containsKey("write_unavailable_ms") && ok && action.equals("switchover")) {
                b.append("writes unavailable ").append(m.get("write_unavailable_ms")).append(" ms, took ")
                        .append(m.get("duration_ms")).append(" ms\n");
            }
            if (m.get("audit") instanceof List<?> audit) {
                b.append("audit log:\n");
                audit.forEach(l -> b.append("  ").append(l).append('\n'));
            }
            return b.toString();
        }
        return String.valueOf(result) + "\n";
    }

    @SuppressWarnings("unchecked")
    private static String clusterStatus(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        b.append("failover of cluster ").append(s.get("cluster")).append(": mode ").append(s.get("mode"))
                .append(", durability ").append(s.get("durability")).append(", ").append(s.get("phase"))
                .append(", automation ").append(s.get("automation")).append('\n');
        b.append("  primary ").append(s.get("primary")).append(", epoch ").append(s.get("epoch"));
        if (s.get("fenced") instanceof List<?> f && !f.isEmpty()) b.append(", fenced ").append(f);
        b.append('\n');
        if (s.get("refused") != null) b.append("  REFUSED ").append(s.get("refused")).append('\n');
        if (s.get("last_failover") instanceof Map<?, ?> last) {
            b.append("  last failover: ").append(text("switchover", last).replace("\n", "\n  ").stripTrailing()).append('\n');
        }
        if (s.get("events") instanceof List<?> ev && !ev.isEmpty()) {
            b.append("  recent events:\n");
            List<?> tail = ev.subList(Math.max(0, ev.size() - 10), ev.size());
            tail.forEach(e -> b.append("    ").append(e).append('\n'));
        }
        return b.toString();
    }
}
