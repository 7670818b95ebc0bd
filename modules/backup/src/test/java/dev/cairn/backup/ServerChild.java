package dev.cairn.backup;

import dev.cairn.backup.server.BackupServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * A backup server in its own JVM, for a test to kill with SIGKILL. Arguments: {@code ROOT PORT TOKEN}.
 * Prints {@code listening} when it accepts connections, then runs until killed.
 */
public final class ServerChild {

    public static void main(String[] args) throws Exception {
        BackupServer s = new BackupServer(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1])), Path.of(args[0]), args[2], null, null, false);
        System.out.println("listening " + s.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
