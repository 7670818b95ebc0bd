package dev.cairn.backup.source.mysql;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads a dump under other database names: rewrites the statements of a {@code --databases}
 * dump that name a database ({@code CREATE DATABASE ... `a`}, {@code USE `a`;},
 * {@code ALTER DATABASE `a`}), each on a line of its own, and passes every other byte through
 * untouched, streaming (lines longer than a statement head are never buffered).
 */
public final class DatabaseRenamer extends InputStream {

    private static final int MAX_HEAD = 8192;
    private static final Pattern NAMED = Pattern.compile(
            "^(CREATE DATABASE (?:/\\*!32312 IF NOT EXISTS\\*/ )?|USE |ALTER DATABASE |-- Current Database: )`((?:[^`]|``)*)`");

    private final InputStream in;
    private final Map<String, String> names;
    private byte[] pending = new byte[0];
    private int pendingPos;
    private boolean passThrough;
    private boolean eof;

    /** @param names old database name to new; names not in the map stay */
    public DatabaseRenamer(InputStream in, Map<String, String> names) {
        this.in = new java.io.BufferedInputStream(in, 256 * 1024);
        this.names = Map.copyOf(names);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (pendingPos >= pending.length) {
            if (eof) return -1;
            fill();
        }
        int n = Math.min(len, pending.length - pendingPos);
        System.arraycopy(pending, pendingPos, b, off, n);
        pendingPos += n;
        return n;
    }

    private void fill() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        if (passThrough) {
            // The rest of a long line: copy up to its newline in chunks.
            byte[] buf = new byte[64 * 1024];
            int i = 0;
            int c;
            while (i < buf.length && (c = in.read()) >= 0) {
                buf[i++] = (byte) c;
                if (c == '\n') {
                    passThrough = false;
                    break;
                }
            }
            if (i == 0) eof = true;
            pending = java.util.Arrays.copyOf(buf, i);
            pendingPos = 0;
            return;
        }
        int c;
        while ((c = in.read()) >= 0) {
            line.write(c);
            if (c == '\n') break;
            if (line.size() >= MAX_HEAD) {
                passThrough = true;
                break;
            }
        }
        if (c < 0) eof = true;
        byte[] bytes = line.toByteArray();
        if (!passThrough && bytes.length > 0 && (bytes[0] == 'C' || bytes[0] == 'U' || bytes[0] == 'A' || bytes[0] == '-')) {
            bytes = rewrite(bytes);
        }
        pending = bytes;
        pendingPos = 0;
    }

    private byte[] rewrite(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        Matcher m = NAMED.matcher(s);
        if (!m.find()) return bytes;
        String old = m.group(2).replace("``", "`");
        String to = names.get(old);
        if (to == null) return bytes;
        String renamed = m.group(1) + "`" + to.replace("`", "``") + "`" + s.substring(m.end());
        return renamed.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
