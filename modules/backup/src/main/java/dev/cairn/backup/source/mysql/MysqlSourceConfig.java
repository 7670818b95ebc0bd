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
        @Doc(value = "account the dump connects as (needs SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, BINLOG MONITOR, and SLAVE MONITOR to read a replica's lag; with `consistency: lock` also RELOAD and PROCESS)", required = true)
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
        String replicaService,
        @Doc(value = "how the dump is made consistent with its binlog coordinates: `auto` (MySQL: `lock`; MariaDB: `snapshot`), `lock` (Cairn holds FLUSH TABLES WITH READ LOCK in its own session, reads the coordinates, and releases it as soon as the dump's snapshot transaction exists: the lock is timed), `snapshot` (the dump program's own: lock-free on MariaDB; on MySQL mysqldump locks by itself, untimed)", dflt = "auto")
        Consistency consistency,
        @Doc(value = "with the read lock: how long FLUSH TABLES WITH READ LOCK may wait for running statements (writers wait behind it meanwhile); past it the run fails", dflt = "5s")
        Duration lockWaitTimeout,
        @Doc(value = "with the read lock: the longest it is held while the dump starts its snapshot transaction; past it the lock is released, the dump killed and the run fails", dflt = "10s")
        Duration lockHoldLimit) {

    /** How the dump's data is made consistent with the binlog coordinates recorded for it. */
    public enum Consistency {
        /** {@link #LOCK} on MySQL, {@link #SNAPSHOT} on MariaDB (told by the server's version). */
        AUTO,
        /** Cairn's own global read lock, held until the dump's snapshot transaction exists. */
        LOCK,
        /** The dump program's own: MariaDB's lock-free consistent snapshot; MySQL's mysqldump locks itself. */
        SNAPSHOT
    }

    /** Where the dump is read from when {@code cluster} is set. */
    public enum From {
        REPLICA,
        PRIMARY
    }

    public static final Duration DEFAULT_MAX_LAG = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(6);
    public static final Duration DEFAULT_LOCK_WAIT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_LOCK_HOLD_LIMIT = Duration.ofSeconds(10);

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
