package dev.cairn.core.importer;

import dev.cairn.core.importer.Blocks.Stmt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a named.conf (following its {@code include}s) into Cairn's {@code dns:} section:
 * primary zones with their files, {@code allow-transfer}, {@code also-notify} and
 * {@code allow-query}, {@code listen-on} port, and TSIG keys used for transfers. Cairn is an
 * authoritative server only: recursion, forwarding and secondary zones are reported.
 */
final class BindImporter {

    private static final Set<String> HARMLESS_OPTIONS = Set.of("directory", "dnssec-validation", "listen-on-v6",
            "auth-nxdomain", "pid-file", "session-keyfile", "managed-keys-directory", "version", "hostname",
            "server-id", "statistics-file", "dump-file", "memstatistics-file", "notify", "minimal-responses",
            "querylog", "max-cache-size", "empty-zones-enable", "dnssec-enable", "bindkeys-file", "key-directory");

    /** Every statement and option this importer translates or knowingly sets aside (docs/migrating.md lists each). */
    static final Set<String> KNOWN = HaproxyImporter.union(HARMLESS_OPTIONS, Set.of("options", "zone", "type", "file",
            "allow-transfer", "also-notify", "allow-query", "listen-on", "recursion", "allow-recursion", "forwarders",
            "forward", "allow-query-cache", "acl", "key", "include", "logging", "controls", "statistics-channels",
            "view", "masters", "primaries", "server", "allow-update", "update-policy", "check-names",
            "masterfile-format", "journal", "ixfr-from-differences", "max-journal-size"), Set.of());

    private final Path file;
    private final YamlTree out;
    private final ImportNotes notes;
    private final Map<String, List<String>> acls = new LinkedHashMap<>();
    private final Map<String, Stmt> keys = new LinkedHashMap<>();
    private final Map<String, Path> keyFiles = new LinkedHashMap<>();
    private Path directory;
    private boolean recursionOff;
    private Stmt options;
    private Path optionsFile;

    BindImporter(Path file, YamlTree out, ImportNotes notes) {
        this.file = file;
        this.out = out;
        this.notes = notes;
        this.directory = file.toAbsolutePath().getParent();
    }

    private record Located(Path file, Stmt stmt) {
    }

    void run() throws IOException {
        List<Located> all = new ArrayList<>();
        read(file, all, 0);
        for (Located l : all) {
            Stmt s = l.stmt;
            switch (s.kw()) {
                case "acl" -> acls.put(s.arg(1), s.body() == null ? List.of() : s.body().stream().map(Stmt::kw).toList());
                case "key" -> {
                    keys.put(s.arg(1), s);
                    keyFiles.put(s.arg(1), l.file);
                }
                case "options" -> {
                    options = s;
                    optionsFile = l.file;
                    for (Stmt o : body(s)) {
                        if (o.kw().equals("directory") && o.arg(1) != null) directory = Path.of(o.arg(1));
                        if (o.kw().equals("recursion") && "no".equals(o.arg(1))) recursionOff = true;
                    }
                }
                default -> { }
            }
        }
        Map<String, Object> dns = out.map("dns");
        if (options != null) options(dns);
        if (!recursionOff) {
            notes.unsupported(optionsFile != null ? optionsFile : file, options != null ? options.line() : 0, "recursion",
                    "BIND resolves recursively for localhost and local networks unless 'recursion no;': Cairn is "
                            + "authoritative only, keep a resolver (unbound, systemd-resolved) for recursion");
        }
        Map<String, Object> zones = new LinkedHashMap<>();
        for (Located l : all) {
            Stmt s = l.stmt;
            switch (s.kw()) {
                case "zone" -> zone(l.file, s, zones, dns);
                case "acl", "key", "options", "include" -> { }
                case "logging", "controls", "statistics-channels" -> notes.ignored(l.file, s.line(), s.kw(),
                        "Cairn logs to stdout/journald, is controlled by its admin API and exports metrics on /metrics");
                case "view" -> notes.unsupported(l.file, s.line(), "view " + s.arg(1), "Cairn has no views");
                case "masters", "primaries", "server", "dlz", "dyndb", "trust-anchors", "managed-keys", "trusted-keys" ->
                        notes.unsupported(l.file, s.line(), s.kw(), "not translated");
                default -> notes.unsupported(l.file, s.line(), s.kw(), "not translated");
            }
        }
        if (zones.isEmpty()) {
            out.root.remove("dns");
            return;
        }
        dns.put("zones", zones);
    }

    private void read(Path f, List<Located> into, int depth) throws IOException {
        if (depth > 10) throw new IOException(f + ": includes nest too deep");
        for (Stmt s : Blocks.parse(Files.readAllLines(f), true)) {
            if (s.kw().equals("include") && s.arg(1) != null) {
                Path inc = f.toAbsolutePath().getParent().resolve(s.arg(1));
                if (Files.isReadable(inc)) read(inc, into, depth + 1);
                else notes.unsupported(f, s.line(), "include " + s.arg(1), "cannot read it: " + inc);
            } else {
                into.add(new Located(f, s));
            }
        }
    }

    private static List<Stmt> body(Stmt s) {
        return s.body() == null ? List.of() : s.body();
    }

    private void options(Map<String, Object> dns) {
        for (Stmt o : body(options)) {
            switch (o.kw()) {
                case "listen-on" -> {
                    String port = "port".equals(o.arg(1)) ? o.arg(2) : null;
                    List<String> addrs = addresses(optionsFile, o);
                    String host = addrs.size() == 1 && !addrs.get(0).equals("any") ? addrs.get(0).replaceAll("/32$", "") : "";
                    if (addrs.size() > 1) {
                        notes.unsupported(optionsFile, o.line(), "listen-on", "Cairn listens on one address (or all): all used");
                        host = "";
                    }
                    dns.put("listen", host + ":" + (port == null ? "53" : port));
                }
                case "recursion" -> {
                    if (!"no".equals(o.arg(1))) notes.unsupported(optionsFile, o.line(), "recursion yes", "Cairn is authoritative only");
                }
                case "allow-recursion", "forwarders", "forward", "allow-query-cache" -> {
                    if (!recursionOff) notes.unsupported(optionsFile, o.line(), o.kw(), "Cairn does not recurse or forward");
                }
                case "allow-transfer", "also-notify", "allow-query" -> { } // taken per zone as the default
                default -> {
                    if (HARMLESS_OPTIONS.contains(o.kw())) notes.ignored(optionsFile, o.line(), o.kw(), "not needed by Cairn");
                    else notes.unsupported(optionsFile, o.line(), o.kw(), "option not translated");
                }
            }
        }
    }

    private Stmt option(String name) {
        if (options == null) return null;
        for (Stmt o : body(options)) if (o.kw().equals(name)) return o;
        return null;
    }

    private void zone(Path f, Stmt s, Map<String, Object> zones, Map<String, Object> dns) {
        String name = s.arg(1);
        if (name == null) return;
        String type = null;
        String zfile = null;
        Stmt transfer = option("allow-transfer");
        Stmt notify = option("also-notify");
        Stmt query = option("allow-query");
        for (Stmt z : body(s)) {
            switch (z.kw()) {
                case "type" -> type = z.arg(1);
                case "file" -> zfile = z.arg(1);
                case "allow-transfer" -> transfer = z;
                case "also-notify" -> notify = z;
                case "allow-query" -> query = z;
                case "notify", "check-names", "masterfile-format", "journal", "ixfr-from-differences", "max-journal-size" ->
                        notes.ignored(f, z.line(), "zone " + name + " " + z.kw(), "not needed by Cairn");
                case "allow-update", "update-policy" -> notes.unsupported(f, z.line(), "zone " + name + " " + z.kw(),
                        "Cairn has no dynamic updates: edit the zone file (Cairn reloads it)");
                default -> notes.unsupported(f, z.line(), "zone " + name + " " + z.kw(), "not translated");
            }
        }
        if ("hint".equals(type)) {
            notes.ignored(f, s.line(), "zone \"" + name + "\" type hint", "root hints serve recursion only");
            return;
        }
        if (!"master".equals(type) && !"primary".equals(type)) {
            notes.unsupported(f, s.line(), "zone \"" + name + "\" type " + type,
                    "Cairn serves primary zones only (secondaries of Cairn may be BIND, NSD or Knot)");
            return;
        }
        if (zfile == null) {
            notes.unsupported(f, s.line(), "zone \"" + name + "\"", "has no file");
            return;
        }
        Path zp = directory.resolve(zfile);
        String origin = name.endsWith(".") && name.length() > 1 ? name.substring(0, name.length() - 1) : name;
        Map<String, Object> z = new LinkedHashMap<>();
        z.put("file", zp.toString());
        if (query != null) z.put("allow_query", addresses(f, query));
        if (transfer != null) {
            List<String> t = addresses(f, transfer);
            if (!t.isEmpty()) z.put("allow_transfer", t);
            String key = keyIn(transfer);
            if (key != null) z.put("transfer_key", tsig(f, key, dns));
        }
        if (notify != null) {
            List<String> targets = new ArrayList<>();
            for (Stmt n : body(notify)) {
                String a = n.kw();
                String port = "port".equals(n.arg(1)) ? n.arg(2) : "53";
                targets.add(a.contains(":") ? "[" + a + "]:" + port : a + ":" + port);
            }
            if (!targets.isEmpty()) z.put("also_notify", targets);
        }
        zones.put(origin, z);
    }

    private static String keyIn(Stmt list) {
        for (Stmt e : body(list)) if (e.kw().equals("key")) return e.arg(1);
        return null;
    }

    private String tsig(Path f, String key, Map<String, Object> dns) {
        Stmt k = keys.get(key);
        if (k == null) {
            notes.unsupported(f, 0, "key " + key, "no key statement of that name");
            return key;
        }
        String algorithm = "hmac-sha256";
        for (Stmt e : body(k)) if (e.kw().equals("algorithm")) algorithm = e.arg(1);
        Path where = keyFiles.get(key);
        if (where.equals(file)) {
            notes.unsupported(where, k.line(), "key " + key, "the secret is inline in named.conf: move the key "
                    + "statement to its own file (Cairn reads a BIND key file) and point secret_file at it");
        }
        Map<String, Object> tsig = out.map("dns", "tsig_keys");
        tsig.put(key, YamlTree.entry("algorithm", algorithm, "secret_file", where.toAbsolutePath().toString()));
        return key;
    }

    /** The address entries of a list, with ACL names resolved; key and negated entries are reported. */
    private List<String> addresses(Path f, Stmt list) {
        List<String> outList = new ArrayList<>();
        for (Stmt e : body(list)) addEntry(f, e, outList, 0);
        return outList;
    }

    private void addEntry(Path f, Stmt e, List<String> into, int depth) {
        String w = e.kw();
        if (w.equals("key")) return;
        if (w.startsWith("!")) {
            notes.unsupported(f, e.line(), "!" + w.substring(1), "negated entries are not supported");
            return;
        }
        switch (w) {
            case "any" -> into.add("any");
            case "none" -> { }
            case "localhost" -> {
                into.add("127.0.0.0/8");
                into.add("::1");
            }
            case "localnets" -> notes.unsupported(f, e.line(), "localnets", "list the local networks as CIDRs");
            default -> {
                List<String> acl = acls.get(w);
                if (acl != null && depth < 5) {
                    for (String a : acl) addEntry(f, new Stmt(List.of(a), e.line(), null), into, depth + 1);
                } else if (w.matches("[0-9a-fA-F:.]+(/\\d+)?")) {
                    into.add(w);
                } else {
                    notes.unsupported(f, e.line(), w, "not an address, CIDR or acl name");
                }
            }
        }
    }
}
