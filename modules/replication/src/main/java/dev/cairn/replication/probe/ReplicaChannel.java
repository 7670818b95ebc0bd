package dev.cairn.replication.probe;

import java.util.Map;

/**
 * One replication channel of a replica (a row of {@code SHOW ALL SLAVES STATUS} /
 * {@code SHOW REPLICA STATUS}), with the flavour's column names already mapped away.
 *
 * @param name the channel ({@code Connection_name} / {@code Channel_Name}); "" for the default one
 * @param sourceServerId {@code Master_Server_Id}; null when the source was never reached
 * @param sourceUuid MySQL's {@code Source_UUID}; "" on MariaDB
 * @param secondsBehind {@code Seconds_Behind_Master}; null when the server reports NULL (not 0)
 * @param receivedGtid what the IO thread has received ({@code Gtid_IO_Pos} / {@code Retrieved_Gtid_Set})
 * @param appliedGtid what the SQL thread has applied ({@code Gtid_Slave_Pos} / {@code Executed_Gtid_Set})
 * @param usingGtid {@code Using_Gtid} (MariaDB: No, Slave_Pos, Current_Pos) or MySQL's Auto_Position as 0/1
 * @param filters the replication filters that are set (column to value), empty when none
 * @param numeric every numeric column under mysqld_exporter's name ({@code slave_io_running},
 *     {@code seconds_behind_master}, ...), for the compatible metrics; NULL columns are absent
 */
public record ReplicaChannel(
        String name,
        String sourceHost,
        int sourcePort,
        Long sourceServerId,
        String sourceUuid,
        IoState io,
        boolean sqlRunning,
        Long secondsBehind,
        long sqlDelay,
        long lastErrno,
        String lastError,
        long lastIoErrno,
        String lastIoError,
        long lastSqlErrno,
        String lastSqlError,
        String receivedGtid,
        String appliedGtid,
        String usingGtid,
        Map<String, String> filters,
        Map<String, Double> numeric) {

    public ReplicaChannel {
        filters = Map.copyOf(filters);
        numeric = Map.copyOf(numeric);
    }

    /** Both threads run. */
    public boolean replicating() {
        return io == IoState.YES && sqlRunning;
    }

    /** {@code host:port} of the source as the replica has it configured. */
    public String source() {
        return (sourceHost.contains(":") ? "[" + sourceHost + "]" : sourceHost) + ":" + sourcePort;
    }
}
