package dev.cairn.backup.source.mysql;

import dev.cairn.backup.source.SourceErrors;
import dev.cairn.backup.source.SourceException;
import dev.cairn.spi.catalog.Catalog;
import dev.cairn.spi.catalog.EndpointView;
import dev.cairn.spi.config.HostPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which server a dump reads: the fixed {@code host}, or from the replication module's catalog
 * services a replica that is up, replicating (SQL thread running) and under {@code max_lag}
 * as the replica itself reports it ({@code Seconds_Behind_Master}), the least lagging first;
 * the primary only when asked for or when {@code fallback_to_primary} allows it.
 *
 * @param role {@code host}, {@code replica} or {@code primary}
 * @param lagSeconds the replica's lag when the choice was made, -1 otherwise
 * @param why one line for the log and the manifest
 */
public record ServerChoice(HostPort server, String role, long lagSeconds, String why) {

    public static ServerChoice choose(MysqlSourceConfig cfg, Catalog catalog, MysqlClient client)
            throws SourceException, InterruptedException {
        if (cfg.host() != null) {
            return new ServerChoice(cfg.host(), "host", -1, "fixed host " + cfg.host());
        }
        if (catalog == null) {
            throw new SourceException(SourceErrors.NO_REPLICA, "cluster " + cfg.cluster() + " needs the running daemon's catalog");
        }
        if (cfg.from() == MysqlSourceConfig.From.PRIMARY) {
            return primary(cfg, catalog, "from: primary");
        }
        List<String> rejected = new ArrayList<>();
        ServerChoice best = null;
        for (EndpointView e : catalog.service(cfg.replicaService()).map(s -> s.endpoints()).orElse(List.of())) {
            if (!e.available()) {
                rejected.add(e.name() + ": " + (e.drained() ? "drained" : e.health().name().toLowerCase()));
                continue;
            }
            HostPort hp = new HostPort(e.host(), e.port());
            long lag;
            try {
                List<Map<String, String>> st = replicaStatus(client, hp);
                if (st.isEmpty()) {
                    rejected.add(e.name() + ": not a replica");
                    continue;
                }
                Map<String, String> row = st.get(0);
                String behind = either(row, "Seconds_Behind_Master", "Seconds_Behind_Source");
                if (!"Yes".equals(either(row, "Slave_SQL_Running", "Replica_SQL_Running")) || behind == null) {
                    rejected.add(e.name() + ": not replicating");
                    continue;
                }
                lag = Long.parseLong(behind);
            } catch (SourceException ex) {
                rejected.add(e.name() + ": " + ex.getMessage());
                continue;
            }
            if (lag > cfg.maxLag().toSeconds()) {
                rejected.add(e.name() + ": lag " + lag + "s over max_lag " + cfg.maxLag().toSeconds() + "s");
                continue;
            }
            if (best == null || lag < best.lagSeconds()) {
                best = new ServerChoice(hp, "replica", lag, "replica " + e.name() + " (lag " + lag + "s)");
            }
        }
        if (best != null) return best;
        String reasons = rejected.isEmpty() ? "service " + cfg.replicaService() + " has no endpoints" : String.join("; ", rejected);
        if (cfg.fallbackToPrimary()) {
            return primary(cfg, catalog, "no usable replica (" + reasons + "), fallback_to_primary");
        }
        throw new SourceException(SourceErrors.NO_REPLICA, "no replica of " + cfg.cluster() + " under max_lag "
                + cfg.maxLag().toSeconds() + "s (" + reasons + "); set fallback_to_primary: true to dump the primary instead");
    }

    /** {@code SHOW REPLICA STATUS} (MariaDB 10.5+, MySQL 8.0.22+; MySQL 8.4 has no other), else {@code SHOW SLAVE STATUS}. */
    static List<Map<String, String>> replicaStatus(MysqlClient client, HostPort server) throws SourceException, InterruptedException {
        try {
            return client.query(server, "SHOW REPLICA STATUS");
        } catch (SourceException e) {
            if (!e.getMessage().contains("1064")) throw e; // not a syntax error: the server failed, not the statement
            return client.query(server, "SHOW SLAVE STATUS");
        }
    }

    private static String either(Map<String, String> row, String older, String newer) {
        return row.containsKey(newer) ? row.get(newer) : row.get(older);
    }

    private static ServerChoice primary(MysqlSourceConfig cfg, Catalog catalog, String why) throws SourceException {
        Optional<EndpointView> p = catalog.service(cfg.primaryService()).flatMap(s -> s.available().stream().findFirst());
        if (p.isEmpty()) {
            throw new SourceException(SourceErrors.CANNOT_CONNECT, "service " + cfg.primaryService() + " has no available primary");
        }
        return new ServerChoice(new HostPort(p.get().host(), p.get().port()), "primary", -1, "primary " + p.get().name() + " (" + why + ")");
    }
}
