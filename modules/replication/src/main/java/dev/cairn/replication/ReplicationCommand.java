package dev.cairn.replication;

import dev.cairn.spi.command.AdminCall;
import dev.cairn.spi.command.CommandContext;
import dev.cairn.spi.command.ModuleCommand;
import dev.cairn.replication.failover.FailoverCommands;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code cairn replication status [CLUSTER]}: the running daemon's topology tree. */
final class ReplicationCommand implements ModuleCommand<ReplicationConfig> {

    @Override
    public String name() {
        return "replication";
    }

    @Override
    public String summary() {
        return "MySQL/MariaDB replication: status [CLUSTER] shows the topology tree; switchover, rejoin, ack";
    }

    @Override
    public String usage() {
        return """
                Usage: cairn replication status [CLUSTER] | switchover CLUSTER ... | rejoin CLUSTER NODE | ack CLUSTER
                  status    the topology of every cluster (or CLUSTER) as the running daemon sees it:
                            role, reachability, IO/SQL threads, lag, GTID positions, findings, analysis;
                            then the failover state and the last failover's audit log.
                """ + FailoverCommands.USAGE + """

                Exit 0: every cluster healthy; 1: daemon unreachable or error; 2: a cluster is unhealthy.""";
    }

    @Override
    public int run(CommandContext<ReplicationConfig> ctx) throws Exception {
        List<String> args = ctx.args();
        if (!args.isEmpty() && FailoverCommands.handles(args.get(0))) return FailoverCommands.run(ctx, args);
        if (args.isEmpty() || !args.get(0).equals("status") || args.size() > 2) {
            ctx.err().println(usage());
            return CommandContext.EXIT_USAGE;
        }
        Map<String, String> params = new HashMap<>();
        if (args.size() == 2) params.put("cluster", args.get(1));
        AdminCall.Response r;
        try {
            r = ctx.admin().get("replication", "tree", params);
        } catch (IOException e) {
            ctx.err().println("cairn replication: " + e.getMessage());
            return 1;
        }
        if (!r.ok()) {
            ctx.err().println("cairn replication: " + r.status() + " " + r.body());
            return 1;
        }
        String text = unquote(r.body().trim());
        boolean unhealthy = text.contains("\nUNHEALTHY\n") || text.startsWith("UNHEALTHY\n");
        ctx.out().print(text);
        FailoverCommands.status(ctx, params);
        return unhealthy ? 2 : 0;
    }

    /** The value of a JSON string literal. */
    static String unquote(String json) {
        if (json.length() < 2 || json.charAt(0) != '"') return json;
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < json.length() - 1; i++) {
            char c = json.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char n = json.charAt(++i);
            switch (n) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append(n);
            }
        }
        return b.toString();
    }
}
