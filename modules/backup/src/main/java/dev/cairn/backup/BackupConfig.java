package dev.cairn.backup;

import dev.cairn.spi.config.Doc;
import dev.cairn.spi.config.Range;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code backup:} repositories (where snapshots are stored, with which key) and jobs (what is
 * backed up, when, into which repository, kept how long). Every key applies on reload, job by
 * job: unchanged jobs keep running untouched, a changed job takes its new config at its next run
 * (a backup in progress is never interrupted), see {@link BackupModule#reload}.
 */
public record BackupConfig(
        @Doc(value = "Repositories by name: a store (a local directory, an S3 bucket or a Cairn backup server) and the key that opens it.")
        Map<String, RepositoryConfig> repositories,
        @Doc(value = "Backup jobs by name (letters, digits, _ . -).")
        Map<String, JobConfig> jobs,
        @Doc(value = "Threads of a run: those hashing, compressing and encrypting chunks, and those walking a directory source (stat ahead); 0: one per CPU core.", dflt = "0")
        @Range(min = 0, max = 64)
        int workers,
        @Doc(value = "Serve repositories to other nodes (as restic's rest-server): HTTPS, bearer token, optionally append-only. A change re-opens the server (its connections and uploads in progress are cut; uploads resume); other backup keys leave it running.", restart = true)
        ServerConfig server) {

    /** {@code backup.server}: this node as the backup server of others. */
    public record ServerConfig(
            @Doc(value = "Address to listen on, e.g. :8443.", required = true, restart = true)
            dev.cairn.spi.config.HostPort listen,
            @Doc(value = "Directory holding the served repositories (clients name theirs in their URL path).", required = true, restart = true)
            Path root,
            @Doc(value = "File with the bearer token clients must send.", required = true, restart = true)
            Path tokenFile,
            @Doc(value = "PEM certificate chain; without it the server speaks plain HTTP, allowed on loopback only.", restart = true)
            Path tlsCertFile,
            @Doc(value = "PEM private key (PKCS#8) of the certificate.", restart = true)
            Path tlsKeyFile,
            @Doc(value = "Clients may add but never delete (except their own locks): a compromised client cannot destroy backups; prune runs on the server.", dflt = "false", restart = true)
            boolean appendOnly,
            @Doc(value = "How long the bytes of an interrupted upload are kept (invisible, in the staging area) for the client to resume it; older partial uploads are deleted.", dflt = "24h", restart = true)
            Duration uploadExpiry) {
    }

    /** {@code backup.repositories.NAME.backup_server}: a repository on another node's backup.server. */
    public record RemoteConfig(
            @Doc(value = "https://host:port/REPO (REPO: a directory under the server's root).", required = true)
            String url,
            @Doc(value = "File with the server's bearer token.", required = true)
            Path tokenFile,
            @Doc(value = "PEM CA certificate(s) to trust for the server (a self-signed certificate itself); absent: the system's CAs.")
            Path caFile,
            @Doc(value = "Retries of a failed call (I/O errors, 5xx), with exponential backoff.", dflt = "6")
            @Range(min = 0, max = 50)
            int retries) {
    }

    /** Names of jobs and repositories. */
    public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public int workerThreads() {
        return workers > 0 ? workers : Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** {@code backup.repositories.NAME}: one repository. */
    public record RepositoryConfig(
            @Doc(value = "Directory holding the repository (a local disk or an NFS mount), relative to the config file. One of path, s3, backup_server.")
            Path path,
            @Doc(value = "An S3-compatible bucket (AWS S3, MinIO, Ceph RGW) holding the repository. One of path, s3, backup_server.")
            S3Config s3,
            @Doc(value = "A repository on a Cairn backup server (another node's backup.server). One of path, s3, backup_server.")
            RemoteConfig backupServer,
            @Doc(value = "File with the repository key (at least 32 random bytes; cairn backup key generate FILE). One of key_file, passphrase_file.")
            Path keyFile,
            @Doc(value = "File whose first line is the passphrase (PBKDF2-HMAC-SHA256, 600000 iterations). One of key_file, passphrase_file.")
            Path passphraseFile,
            @Doc(value = "Create the repository (and a missing key_file) on first use; false: it must exist (cairn backup init).", dflt = "false")
            boolean create,
            @Doc(value = "prune repacks a pack when more than this share of it is unused (percent).", dflt = "5")
            @Range(min = 0, max = 100)
            int maxUnused) {
    }

    /** {@code backup.repositories.NAME.s3}: a bucket and prefix, credentials from files. */
    public record S3Config(
            @Doc(value = "Endpoint URL (http://minio:9000); absent: AWS's endpoint for the region.")
            String endpoint,
            @Doc(value = "Region.", dflt = "us-east-1")
            String region,
            @Doc(value = "Bucket name.", required = true)
            String bucket,
            @Doc(value = "Key prefix inside the bucket (e.g. cairn/).", dflt = "")
            String prefix,
            @Doc(value = "File with the access key id.", required = true)
            Path accessKeyFile,
            @Doc(value = "File with the secret access key.", required = true)
            Path secretKeyFile,
            @Doc(value = "Send the SDK's default request checksums; false for servers that reject them (Ceph RGW, some MinIO versions).", dflt = "true")
            boolean checksums,
            @Doc(value = "Objects larger than this are uploaded in parts of this size (at least 5MiB).", dflt = "64MiB")
            dev.cairn.spi.config.DataSize multipartThreshold,
            @Doc(value = "Retries of a failed call (5xx, throttling, I/O errors), with exponential backoff from 100ms to 5s.", dflt = "6")
            @Range(min = 0, max = 50)
            int retries,
            @Doc(value = "Connect and read timeout of one call.", dflt = "60s")
            Duration timeout,
            @Doc(value = "Create the bucket when it does not exist.", dflt = "false")
            boolean createBucket) {
    }

    /** {@code backup.jobs.NAME}: what to back up, when, where, and how long to keep it. */
    public record JobConfig(
            @Doc(value = "What to back up: exactly one of the source kinds.", required = true)
            SourceConfig source,
            @Doc(value = "When: 'every 15m', 'hourly', 'daily 02:00', 'weekly sun 03:00', or cron 'M H DOM MON DOW'; 'manual': only cairn backup run.", dflt = "daily 02:00")
            String schedule,
            @Doc(value = "Time zone of the schedule and of keep's buckets (IANA name).", dflt = "UTC")
            String timezone,
            @Doc(value = "Run once at start when a scheduled run was missed while Cairn was down.", dflt = "true")
            boolean catchUp,
            @Doc(value = "Repository (from backup.repositories) the snapshots go to.", required = true)
            String repository,
            @Doc(value = "Retention applied after each backup (restic's forget semantics, per job); absent: keep everything.")
            KeepConfig keep,
            @Doc(value = "zstd level of chunks (0: none); a chunk is stored raw when compressing does not make it smaller.", dflt = "3")
            @Range(min = 0, max = 22)
            int compression,
            @Doc(value = "Glob patterns left out: a pattern without / matches names (*.tmp), with / paths below a root (config/secrets/**).")
            List<String> exclude,
            @Doc(value = "Tags recorded in every snapshot of this job.")
            List<String> tags,
            @Doc(value = "The backup SLA the job promises and the module proves: rpo, versions, verify, rto (README, SLA).")
            dev.cairn.backup.sla.SlaConfig sla,
            @Doc(value = "Cluster: the node (cluster.nodes[].name) that runs this job; the other nodes show its state from the repository.")
            String node,
            @Doc(value = "Cluster: `any` (every node with this config runs it, unless `node` is set) or `leader` (only the node holding the cluster's first VIP).", dflt = "any")
            dev.cairn.backup.placement.Placement.RunOn on) {
    }

    /**
     * {@code backup.jobs.NAME.source}: exactly one kind. Sources are pluggable: each kind is one
     * nullable component here and one case in {@link dev.cairn.backup.Sources}.
     */
    public record SourceConfig(
            @Doc(value = "Directory trees (files, links, sparse files, xattrs...).")
            DirectorySourceConfig directory,
            @Doc(value = "A consistent MySQL/MariaDB logical dump (README, MySQL source).")
            dev.cairn.backup.source.mysql.MysqlSourceConfig mysql,
            @Doc(value = "A program's standard output or the directory it writes (README, command source).")
            dev.cairn.backup.source.command.CommandSourceConfig command,
            @Doc(value = "A Prometheus TSDB snapshot through its admin API (README, Prometheus source).")
            dev.cairn.backup.source.prometheus.PrometheusSourceConfig prometheus,
            @Doc(value = "Grafana dashboards, folders, data sources and alert rules through its HTTP API (README, Grafana source).")
            dev.cairn.backup.source.grafana.GrafanaSourceConfig grafana) {
    }

    /** {@code source.directory}: directory trees, each stored under its own name. */
    public record DirectorySourceConfig(
            @Doc(value = "Directories or files to back up, relative to the config file; each root is stored under its own name.", required = true)
            List<Path> paths) {
    }

    /** {@code backup.jobs.NAME.keep}: restic's keep rules (0: rule off). */
    public record KeepConfig(
            @Doc(value = "Keep the N newest snapshots.", dflt = "0") @Range(min = 0, max = 100000) int last,
            @Doc(value = "Keep the newest snapshot of each of the last N hours.", dflt = "0") @Range(min = 0, max = 100000) int hourly,
            @Doc(value = "Keep the newest snapshot of each of the last N days.", dflt = "0") @Range(min = 0, max = 100000) int daily,
            @Doc(value = "Keep the newest snapshot of each of the last N ISO weeks.", dflt = "0") @Range(min = 0, max = 100000) int weekly,
            @Doc(value = "Keep the newest snapshot of each of the last N months.", dflt = "0") @Range(min = 0, max = 100000) int monthly,
            @Doc(value = "Keep the newest snapshot of each of the last N years.", dflt = "0") @Range(min = 0, max = 100000) int yearly,
            @Doc(value = "Keep every snapshot younger than this before the newest one (e.g. 7d).", dflt = "0s") Duration within) {

        public dev.cairn.backup.retention.KeepPolicy policy() {
            return new dev.cairn.backup.retention.KeepPolicy(last, hourly, daily, weekly, monthly, yearly, within);
        }
    }
}
