package dev.cairn.backup.source.mysql;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code backup.jobs.<name>.source.mysql}: a consistent logical dump of MySQL/MariaDB databases,
 * from a fixed server ({@code host}) or from the replication module's catalog services
 * ({@code cluster}: {@code <cluster>-replicas} and {@code <cluster>-primary}).
 */
public record MysqlSourceConfig(
        @Doc("replication cluster whose catalog services `<cluster>-primary` and `<cluster>-replicas` name the servers (the replication module publishes `mysql-primary`/`mysql-replicas`, so `mysql`); set this or `host`")
        String cluster,
        @Doc("one fixed server to dump, `HOST:PORT`; set this or `cluster`")
        HostPort host,
        @Doc(value = "databases to dump, in one consistent snapshot", required = true)
        List<String> databases,
        @Doc(value = "account the dump connects as (needs SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, BINLOG MONITOR, and SLAVE MONITOR to read a replica's lag)", required = true)
        String user,
        @Doc("file holding the account's password (one line); handed to the client in a private defaults file, never on its command line")
        Path passwordFile,
        @Doc(value = "with `cluster`: dump a healthy replica under `max_lag`, or the primary", dflt = "replica")
        From from,
        @Doc(value = "with `from: replica`: a replica further behind than this is not used", dflt = "60s")
        Duration maxLag,
        @Doc(value = "with `from: replica`: dump the primary when no replica qualifies (else the run fails)", dflt = "false")
        boolean fallbackToPrimary,
        @Doc(value = "a dump running longer than this is killed and the run fails", dflt = "6h")
        Duration timeout,
        @Doc(value = "the dump program (`mysqldump` for MySQL servers)", dflt = "mariadb-dump")
        String dumpCommand,
        @Doc(value = "the client program used to read a replica's lag and to load a dump back", dflt = "mariadb")
        String clientCommand,
        @Doc("with `cluster`: the catalog service of the primary, when not `<cluster>-primary` (the replication module's `publish.primary`)")
        String primaryService,
        @Doc("with `cluster`: the catalog service of the replicas, when not `<cluster>-replicas` (the replication module's `publish.replicas`)")
        String replicaService) {

    /** Where the dump is read from when {@code cluster} is set. */
    public enum From {
        REPLICA,
        PRIMARY
    }

    public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(6);

    /** The catalog service naming the primary. */
    @Override
    public String primaryService() {
        return primaryService != null ? primaryService : cluster + "-primary";
    }

    /** The catalog service naming the replicas. */
    @Override
    public String replicaService() {
        return replicaService != null ? replicaService : cluster + "-replicas";
    }
}
