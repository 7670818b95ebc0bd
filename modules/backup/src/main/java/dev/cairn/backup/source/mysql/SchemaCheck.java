package dev.cairn.backup.source.mysql;

import dev.cairn.backup.source.SourceException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Catches DDL that a consistent-snapshot dump reads past without an error: an instant ALTER
 * (ADD/DROP COLUMN with {@code ALGORITHM=INSTANT}, the default where it applies on MariaDB 10.3+
 * and MySQL 8) of a table the dump has not reached yet does not fail its read ("Table definition
 * has changed" is only raised for rebuilt tables), so the dump would carry the table's new
 * columns with rows of the snapshot, or miss a table dropped or renamed before it listed them:
 * a schema that is not the one at the recorded coordinates. The columns of every base table are
 * read before the snapshot and compared with the CREATE TABLE statements in the dump; a table
 * altered after the dump released it is not a difference (its CREATE TABLE is the old one).
 */
final class SchemaCheck {

    private SchemaCheck() {
    }

    /** The columns of each base table of {@code databases}, in order, keyed {@code database.table}. */
    static Map<String, List<String>> columns(ServerSession session, List<String> databases) throws SourceException {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < databases.size(); i++) in.append(i == 0 ? "?" : ", ?");
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Map<String, String> r : session.query("SELECT c.TABLE_SCHEMA AS d, c.TABLE_NAME AS t, c.COLUMN_NAME AS c"
                + " FROM information_schema.COLUMNS c JOIN information_schema.TABLES t"
                + " ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME"
                + " WHERE c.TABLE_SCHEMA IN (" + in + ") AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')"
                + " ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION", "reading the tables' columns", databases.toArray())) {
            out.computeIfAbsent(r.get("d") + "." + r.get("t"), k -> new ArrayList<>()).add(r.get("c"));
        }
        return out;
    }

    /**
     * What differs between the tables before the snapshot and the dump: a table whose CREATE
     * TABLE lists other columns, or one that the dump lacks. Empty when they agree.
     */
    static List<String> differences(Map<String, List<String>> before, Map<String, List<String>> inDump) {
        List<String> d = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : before.entrySet()) {
            List<String> dumped = inDump.get(e.getKey());
            if (dumped == null) {
                d.add(e.getKey() + " is not in the dump (dropped or renamed during it)");
            } else if (!dumped.equals(e.getValue())) {
                d.add(e.getKey() + " was altered: columns (" + String.join(", ", e.getValue()) + ") before the dump, ("
                        + String.join(", ", dumped) + ") in it");
            }
        }
        return d;
    }
}
