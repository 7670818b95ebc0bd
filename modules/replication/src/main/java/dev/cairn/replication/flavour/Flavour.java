package dev.cairn.replication.flavour;

/** The two server families Cairn speaks to; forks (Percona Server) count as MySQL. */
public enum Flavour {
    MARIADB,
    MYSQL
}
