package dev.cairn.replication.flavour;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Result sets recorded from servers that cannot run here: MySQL 8.4's {@code SHOW REPLICA STATUS}
 * (the 8.0.22+ column names) and MySQL 8.0.21's {@code SHOW SLAVE STATUS}, column by column.
 */
public final class RecordedRows {

    public static final String SOURCE_UUID = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    public static final String REPLICA_UUID = "8c2d1a0e-71ca-11e1-9e33-c80aa9429563";

    private RecordedRows() {
    }

    /** {@code SHOW REPLICA STATUS} of a healthy MySQL 8.4.3 replica of 10.0.0.1:3306. */
    public static Map<String, String> mysql84Replica() {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("Replica_IO_State", "Waiting for source to send event");
        r.put("Source_Host", "10.0.0.1");
        r.put("Source_User", "repl");
        r.put("Source_Port", "3306");
        r.put("Connect_Retry", "60");
        r.put("Source_Log_File", "binlog.000004");
        r.put("Read_Source_Log_Pos", "1284");
        r.put("Relay_Log_File", "relay.000006");
        r.put("Relay_Log_Pos", "1460");
        r.put("Relay_Source_Log_File", "binlog.000004");
        r.put("Replica_IO_Running", "Yes");
        r.put("Replica_SQL_Running", "Yes");
        r.put("Replicate_Do_DB", "");
        r.put("Replicate_Ignore_DB", "");
        r.put("Replicate_Do_Table", "");
        r.put("Replicate_Ignore_Table", "");
        r.put("Replicate_Wild_Do_Table", "");
        r.put("Replicate_Wild_Ignore_Table", "");
        r.put("Last_Errno", "0");
        r.put("Last_Error", "");
        r.put("Skip_Counter", "0");
        r.put("Exec_Source_Log_Pos", "1284");
        r.put("Relay_Log_Space", "1842");
        r.put("Until_Condition", "None");
        r.put("Until_Log_File", "");
        r.put("Until_Log_Pos", "0");
        r.put("Source_SSL_Allowed", "Yes");
        r.put("Source_SSL_CA_File", "");
        r.put("Source_SSL_CA_Path", "");
        r.put("Source_SSL_Cert", "");
        r.put("Source_SSL_Cipher", "");
        r.put("Source_SSL_Key", "");
        r.put("Seconds_Behind_Source", "0");
        r.put("Source_SSL_Verify_Server_Cert", "No");
        r.put("Last_IO_Errno", "0");
        r.put("Last_IO_Error", "");
        r.put("Last_SQL_Errno", "0");
        r.put("Last_SQL_Error", "");
        r.put("Replicate_Ignore_Server_Ids", "");
        r.put("Source_Server_Id", "1");
        r.put("Source_UUID", SOURCE_UUID);
        r.put("Source_Info_File", "mysql.slave_master_info");
        r.put("SQL_Delay", "0");
        r.put("SQL_Remaining_Delay", null);
        r.put("Replica_SQL_Running_State", "Replica has read all relay log; waiting for more updates");
        r.put("Source_Retry_Count", "10");
        r.put("Source_Bind", "");
        r.put("Last_IO_Error_Timestamp", "");
        r.put("Last_SQL_Error_Timestamp", "");
        r.put("Source_SSL_Crl", "");
        r.put("Source_SSL_Crlpath", "");
        r.put("Retrieved_Gtid_Set", SOURCE_UUID + ":1-105");
        r.put("Executed_Gtid_Set", SOURCE_UUID + ":1-103,\n" + REPLICA_UUID + ":1-2");
        r.put("Auto_Position", "1");
        r.put("Replicate_Rewrite_DB", "");
        r.put("Channel_Name", "");
        r.put("Source_TLS_Version", "");
        r.put("Source_public_key_path", "");
        r.put("Get_Source_public_key", "0");
        r.put("Network_Namespace", "");
        return r;
    }

    /** The same replica after its source died: IO thread reconnecting, NULL Seconds_Behind_Source. */
    public static Map<String, String> mysql84ReplicaSourceLost() {
        Map<String, String> r = mysql84Replica();
        r.put("Replica_IO_State", "Reconnecting after a failed source event read");
        r.put("Replica_IO_Running", "Connecting");
        r.put("Seconds_Behind_Source", null);
        r.put("Last_IO_Errno", "2003");
        r.put("Last_IO_Error", "Error reconnecting to source 'repl@10.0.0.1:3306'. This was attempt 1/10, with a delay of 60 seconds between attempts. Message: Can't connect to MySQL server on '10.0.0.1:3306' (111)");
        return r;
    }

    /** {@code SHOW SLAVE STATUS} of MySQL 8.0.21 (before the REPLICA/SOURCE words). */
    public static Map<String, String> mysql80Slave() {
        Map<String, String> r = new LinkedHashMap<>();
        mysql84Replica().forEach((k, v) -> {
            String[] w = k.split("_");
            for (int i = 0; i < w.length; i++) {
                if (w[i].equals("Replica")) w[i] = "Slave";
                if (w[i].equals("Source")) w[i] = "Master";
            }
            r.put(String.join("_", w), v);
        });
        r.put("Master_UUID", SOURCE_UUID);
        return r;
    }
}
