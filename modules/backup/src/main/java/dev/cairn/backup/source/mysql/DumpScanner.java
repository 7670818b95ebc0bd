package dev.cairn.backup.source.mysql;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a mysqldump/mariadb-dump stream as it passes (one pass, constant memory apart from one
 * entry per table): the binlog coordinates and GTID position of the snapshot from the
 * {@code --master-data=2 --gtid} comments, the server version, the {@code -- Dump completed}
 * trailer, and per table the columns of its CREATE TABLE, the number of rows and a SHA-256 of
 * its INSERT statements. Dumping the same rows again with the same options gives the same
 * digest, which is how a restore test proves that every row came back.
 *
 * <p>Rows are counted as the top-level parenthesised tuples of each {@code INSERT} statement,
 * with quotes and backslash escapes tracked, so it works for one-row and extended inserts.
 * Not thread-safe.
 */
public final class DumpScanner {

    private static final Pattern LOG_POS = Pattern.compile(
            "(?:MASTER|SOURCE)_LOG_FILE='([^']*)',\\s*(?:MASTER|SOURCE)_LOG_POS=(\\d+)");
    private static final Pattern GTID = Pattern.compile("gtid_slave_pos='([^']*)'");
    private static final Pattern GTID_MYSQL = Pattern.compile("GTID_PURGED=(?:/\\*!80000 '\\+'\\*/ )?'([^']*)'");
    private static final Pattern DATA_FOR = Pattern.compile("^-- Dumping data for table `((?:[^`]|``)*)`");
    private static final Pattern STRUCTURE_FOR = Pattern.compile("^-- Table structure for table `((?:[^`]|``)*)`");
    private static final Pattern COLUMN = Pattern.compile("^  `((?:[^`]|``)*)`");
    private static final Pattern USE = Pattern.compile("^USE `((?:[^`]|``)*)`;");
    private static final int MAX_LINE_HEAD = 2048;
    private static final byte[] INSERT = "INSERT INTO ".getBytes(StandardCharsets.US_ASCII);

    /** Row count and digest of one table's data. */
    public record TableDigest(String database, String table, long rows, String sha256) {
        public String key() {
            return database + "." + table;
        }
    }

    private final Map<String, Long> rows = new LinkedHashMap<>();
    private final Map<String, List<String>> columns = new LinkedHashMap<>();
    private String structureOf;
    private List<String> structureColumns;
    private final Map<String, MessageDigest> digests = new LinkedHashMap<>();
    private final byte[] head = new byte[MAX_LINE_HEAD];
    private int headLen;
    private boolean atLineStart = true;
    private boolean inInsert;
    private boolean insertChecked;
    private byte quote;
    private boolean escape;
    private int depth;
    private String database = "";
    private String table;
    private MessageDigest current;
    private long currentRows;

    private String binlogFile;
    private long binlogPos = -1;
    private String gtid;
    private String serverVersion;
    private boolean trailer;
    private long bytes;

    public void write(byte[] b, int off, int len) {
        bytes += len;
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (inInsert) {
                insertByte(c);
                continue;
            }
            if (atLineStart) {
                headLen = 0;
                atLineStart = false;
                insertChecked = false;
            }
            if (c == '\n') {
                line(new String(head, 0, headLen, StandardCharsets.UTF_8));
                atLineStart = true;
                continue;
            }
            if (headLen < head.length) head[headLen++] = c;
            if (trailer && c != ' ' && c != '\t' && c != '\r') trailer = false;
            if (!insertChecked && headLen == INSERT.length) {
                insertChecked = true;
                if (startsWith(head, INSERT) && table != null) {
                    inInsert = true;
                    quote = 0;
                    escape = false;
                    depth = 0;
                    current.update(head, 0, headLen);
                }
            }
        }
    }

    private static boolean startsWith(byte[] buf, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) if (buf[i] != prefix[i]) return false;
        return true;
    }

    private void insertByte(byte c) {
        current.update(c);
        if (quote != 0) {
            if (escape) {
                escape = false;
            } else if (c == '\\' && quote != '`') {
                escape = true;
            } else if (c == quote) {
                quote = 0;
            }
            return;
        }
        switch (c) {
            case '\'', '"', '`' -> quote = c;
            case '(' -> {
                if (depth++ == 0) currentRows++;
            }
            case ')' -> depth--;
            case ';' -> {
                if (depth == 0) {
                    inInsert = false;
                    // the newline after ';' starts the next line
                    headLen = 0;
                    atLineStart = false;
                    insertChecked = true;
                }
            }
            default -> {
            }
        }
    }

    private void line(String line) {
        if (structureOf != null && structure(line)) return;
        if (!line.startsWith("-- ") && !line.startsWith("USE ")) {
            return;
        }
        Matcher m;
        if ((m = USE.matcher(line)).find()) {
            finishTable();
            database = m.group(1).replace("``", "`");
            return;
        }
        if ((m = DATA_FOR.matcher(line)).find()) {
            finishTable();
            table = m.group(1).replace("``", "`");
            current = sha256();
            currentRows = 0;
            return;
        }
        if (line.startsWith("-- Table structure for table") || line.startsWith("-- Current Database")) {
            finishTable();
        }
        if ((m = STRUCTURE_FOR.matcher(line)).find()) {
            structureOf = m.group(1).replace("``", "`");
            structureColumns = null;
        }
        if (binlogFile == null && (m = LOG_POS.matcher(line)).find()) {
            binlogFile = m.group(1);
            binlogPos = Long.parseLong(m.group(2));
        }
        if ((m = GTID.matcher(line)).find() || (m = GTID_MYSQL.matcher(line)).find()) {
            gtid = m.group(1);
        }
        if (serverVersion == null && line.startsWith("-- Server version")) {
            serverVersion = line.substring("-- Server version".length()).trim();
        }
        if (line.startsWith("-- Dump completed")) {
            finishTable();
            trailer = true;
        }
    }

    /**
     * A line of a table's structure section: {@code CREATE TABLE ... (} opens the column list,
     * each column is a line {@code   `name` type ...}, the line starting with {@code )} closes it.
     * Returns true when the line was part of it.
     */
    private boolean structure(String line) {
        if (structureColumns == null) {
            if (line.startsWith("CREATE TABLE ")) {
                structureColumns = new ArrayList<>();
                return true;
            }
            return false;
        }
        if (line.startsWith("  `")) {
            Matcher m = COLUMN.matcher(line);
            if (m.find()) structureColumns.add(m.group(1).replace("``", "`"));
            return true;
        }
        if (line.startsWith(")")) {
            columns.put(database + "." + structureOf, List.copyOf(structureColumns));
            structureOf = null;
            structureColumns = null;
        }
        return true;
    }

    private void finishTable() {
        if (table != null) {
            String key = database + "\u0000" + table;
            rows.put(key, currentRows);
            digests.put(key, current);
            table = null;
            current = null;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when the stream ended with mysqldump's {@code -- Dump completed} line (nothing but blanks after it). */
    public boolean completed() {
        return trailer;
    }

    public String binlogFile() {
        return binlogFile;
    }

    public long binlogPos() {
        return binlogPos;
    }

    /** The GTID position of the snapshot, e.g. {@code 0-1-42}; null when the dump has none. */
    public String gtid() {
        return gtid;
    }

    public String serverVersion() {
        return serverVersion;
    }

    public long bytes() {
        return bytes;
    }

    /** The columns of each table as its CREATE TABLE in the dump lists them, keyed {@code database.table}. */
    public Map<String, List<String>> columns() {
        return java.util.Collections.unmodifiableMap(columns);
    }

    /** Per table digests, in dump order; call after the whole stream was written. */
    public Map<String, TableDigest> tables() {
        if (frozen == null) {
            finishTable();
            Map<String, TableDigest> out = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : rows.entrySet()) {
                String[] dt = e.getKey().split("\u0000", 2);
                String sha = HexFormat.of().formatHex(digests.get(e.getKey()).digest());
                TableDigest d = new TableDigest(dt[0], dt[1], e.getValue(), sha);
                out.put(d.key(), d);
            }
            frozen = java.util.Collections.unmodifiableMap(out);
        }
        return frozen;
    }

    private Map<String, TableDigest> frozen;
}
