/**
 * Real MariaDB servers for tests, from the system's {@code mariadbd} (Debian's mariadb-server;
 * scripts/packages.txt): {@link dev.cairn.core.testing.mariadb.MariaDbServer} (one server: own
 * data dir, free loopback port, socket, binlog + GTID strict mode, read_only=1; kill, pause,
 * resume, restart; SQL as root over the socket) and {@link dev.cairn.core.testing.mariadb.MariaDbCluster}
 * (a primary and N replicas by GTID, started in parallel from one install-db template: three
 * come up in well under a second on an idle machine). Share one per test class.
 */
package dev.cairn.core.testing.mariadb;
