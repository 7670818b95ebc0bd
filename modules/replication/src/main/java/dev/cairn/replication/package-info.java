/**
 * The replication module: monitors MySQL/MariaDB primary-replica clusters. Package layout (see
 * modules/replication/README.md): {@code flavour} (dialect tables, versions, GTID sets: the only
 * place with dialect SQL), {@code probe} (one connection per node with hard timeouts, immutable
 * {@code NodeState}), {@code topology} (immutable {@code TopologySnapshot}, findings, analysis
 * codes, the pure {@code Analyzer}), {@code heartbeat}, {@code catalog} (publishing under an
 * epoch), {@code metrics}, {@code status}; part 2 adds {@code failover}.
 */
package dev.cairn.replication;
