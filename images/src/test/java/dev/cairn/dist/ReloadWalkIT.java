package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.lifecycle.ReloadResult;
import dev.cairn.core.testing.TestHost;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Walks every key of the admin, proxy, DNS, metrics, replication and backup sections that
 * docs/config.md lists with a scalar type (boolean, integer, duration, size, host:port, one of a
 * set), changes it in a running Cairn, reloads, and checks what the reference says: a live key is
 * applied with no listener re-opened (a keep-alive HTTP connection through the proxy, a TCP
 * connection to the DNS server and a keep-alive connection to the backup server, all opened before
 * the reload, still answer) and nothing reported as restart; a key marked restart is reported in
 * the reload's restart keys. Then the base config is reloaded again.
 *
 * <p>Not walked, and why, is listed in the test's output: strings, paths and lists (a valid
 * different value needs knowledge of the key: names, files, addresses), keys below a mapping the
 * base config does not have (TLS, static files, TSIG keys, service records; a replication
 * cluster's failover, which needs a reachable primary; backup stores other than a directory,
 * sources other than files, SLAs), and the cluster section (it needs network namespaces;
 * NamespaceLabTest covers its reloads). The replication cluster's node is a closed port: its
 * monitor runs and reports the node down.
 */
class ReloadWalkIT {

    static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\| (.*?) \\| (.*?) \\| (live|restart) \\|", Pattern.MULTILINE);
    static final List<String> SECTIONS = List.of("admin.", "proxy.", "dns.", "metrics.", "replication.", "backup.");
    static final List<String> NOT_IN_BASE = List.of(".tls", ".static_files", "dns.tsig_keys.", ".service_records",
            "replication.clusters.NAME.failover", ".s3", ".backup_server", ".source.mysql", ".source.command",
            ".source.prometheus", ".source.grafana", "backup.jobs.NAME.sla");

    @TempDir
    static Path dir;
    static HttpServer backend;
    static TestHost cairn;
    static int proxyPort;
    static int dnsPort;
    static int backupPort;
    static final ObjectMapper JSON = new ObjectMapper();

    record Key(String path, String type, String dflt, boolean restart) {
    }

    static Map<String, Object> base;

    @BeforeAll
    static void start() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", TestHost.freePort()), 16);
        backend.createContext("/", ex -> {
            byte[] b = "ok\n".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        backend.start();
        proxyPort = TestHost.freePort();
        dnsPort = TestHost.freePort();
        base = new LinkedHashMap<>();
        base.put("admin", map("listen", "127.0.0.1:" + TestHost.freePort()));
        base.put("services", map("web", map("endpoints", List.of("127.0.0.1:" + backend.getAddress().getPort()))));
        base.put("proxy", map(
                "listeners", List.of(map("name", "web", "bind", "127.0.0.1:" + proxyPort,
                        "routes", List.of(map("service", "web")))),
                "tcp", List.of(map("bind", "127.0.0.1:" + TestHost.freePort(), "service", "web"))));
        base.put("dns", map("listen", "127.0.0.1:" + dnsPort, "zones", map("walk.test", map("records",
                List.of("@ SOA ns hostmaster 1 3600 900 604800 60", "@ NS ns", "ns A 192.0.2.7")))));
        base.put("metrics", map("listen", "127.0.0.1:" + TestHost.freePort()));
        base.put("replication", map("clusters", map("main", map("nodes", List.of(map("address", "127.0.0.1:" + TestHost.freePort())),
                "user", "cairn", "password", "walk"))));
        backupPort = TestHost.freePort();
        Files.writeString(dir.resolve("token"), "walk-token\n");
        Files.writeString(dir.resolve("passphrase"), "walk passphrase\n");
        Files.createDirectories(dir.resolve("src"));
        base.put("backup", map(
                "server", map("listen", "127.0.0.1:" + backupPort, "root", "served", "token_file", "token"),
                "repositories", map("local", map("path", "repo", "passphrase_file", "passphrase")),
                "jobs", map("files", map("source", map("directory", map("paths", List.of("src"))),
                        "schedule", "manual", "repository", "local"))));
        cairn = TestHost.start(dir, yaml(base));
    }

    @AfterAll
    static void stop() {
        if (cairn != null) cairn.close();
        if (backend != null) backend.stop(0);
    }

    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** One section per line, each written as JSON (which YAML reads). */
    static String yaml(Map<String, Object> cfg) throws IOException {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Object> e : cfg.entrySet()) {
            b.append(e.getKey()).append(": ").append(JSON.writeValueAsString(e.getValue())).append('\n');
        }
        return b.toString();
    }

    static List<Key> keys() throws IOException {
        String doc = Files.readString(Path.of(System.getProperty("cairn.repo", "..")).resolve("docs/config.md"));
        List<Key> out = new ArrayList<>();
        Matcher m = ROW.matcher(doc);
        while (m.find()) {
            String path = m.group(1);
            if (SECTIONS.stream().anyMatch(path::startsWith)) {
                out.add(new Key(path, m.group(2).replace("\\|", "|"), m.group(3), m.group(4).equals("restart")));
            }
        }
        return out;
    }

    /** A different valid value for a key of this type, or null when the walk does not change such keys. */
    static Object mutate(Key k) throws IOException {
        String t = k.type();
        String d = k.dflt().startsWith("`") ? k.dflt().substring(1, k.dflt().length() - 1) : null;
        if (t.equals("boolean")) return d == null || !Boolean.parseBoolean(d);
        if (t.equals("host:port")) return "127.0.0.1:" + TestHost.freePort();
        if (t.startsWith("integer")) {
            Matcher r = Pattern.compile("(\\d+)\\.\\.(\\d+)").matcher(t);
            long min = 0;
            long max = Long.MAX_VALUE;
            if (r.find()) {
                min = Long.parseLong(r.group(1));
                max = Long.parseLong(r.group(2));
            }
            long v = d == null ? min : Long.parseLong(d);
            return v + 1 <= max ? v + 1 : v - 1;
        }
        if (t.equals("duration") || t.equals("size")) {
            if (d == null) return null;
            Matcher n = Pattern.compile("^(\\d+)(\\D+)$").matcher(d);
            if (!n.matches()) return null;
            return (Long.parseLong(n.group(1)) + 1) + n.group(2);
        }
        if (t.contains(" | ")) {
            for (String option : t.split(" \\| ")) {
                if (!option.equals(d)) return option;
            }
        }
        return null;
    }

    /** The concrete path in the base config: list items are the first, map entries the one there is. */
    static String concrete(String path) {
        return path.replace("[]", "[0]").replace("dns.zones.NAME", "dns.zones.walk.test")
                .replace("replication.clusters.NAME", "replication.clusters.main")
                .replace("backup.repositories.NAME", "backup.repositories.local").replace("backup.jobs.NAME", "backup.jobs.files");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> with(String concretePath, Object value) throws IOException {
        Map<String, Object> cfg = JSON.readValue(JSON.writeValueAsString(base), Map.class);
        Object node = cfg;
        String[] parts = concretePath.replace("dns.zones.walk.test", "dns.zones.walk\u0000test").split("\\.");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].replace('\u0000', '.');
            int index = -1;
            if (part.endsWith("[0]")) {
                part = part.substring(0, part.length() - 3);
                index = 0;
            }
            Map<String, Object> m = (Map<String, Object>) node;
            if (i == parts.length - 1 && index < 0) {
                m.put(part, value);
                return cfg;
            }
            Object next = m.get(part);
            if (next == null) {
                next = new LinkedHashMap<String, Object>();
                m.put(part, next);
            }
            node = index >= 0 ? ((List<Object>) next).get(0) : next;
        }
        return cfg;
    }

    @Test
    void everyScalarKeyAppliesAsDocsConfigMdSays() throws Exception {
        List<String> failures = new ArrayList<>();
        List<String> walked = new ArrayList<>();
        List<String> notWalked = new ArrayList<>();
        for (Key k : keys()) {
            Object value = mutate(k);
            if (value == null || NOT_IN_BASE.stream().anyMatch(k.path()::contains)) {
                notWalked.add(k.path() + " (" + k.type() + ")");
                continue;
            }
            String path = concrete(k.path());
            walked.add(path + " = " + value + (k.restart() ? " [restart]" : " [live]"));
            try (Socket http = keepAlive(); Socket dns = dnsTcp(); Socket backup = backupKeepAlive()) {
                ReloadResult r = cairn.reload(yaml(with(path, value)));
                if (!r.ok()) {
                    failures.add(path + " = " + value + ": reload failed: " + r.errors());
                } else if (k.restart()) {
                    if (!r.restartKeys().contains(path)) {
                        failures.add(path + ": marked restart, but the reload reported " + r.restartKeys());
                    }
                } else {
                    if (!r.restartKeys().isEmpty()) failures.add(path + ": live, but reported restart keys " + r.restartKeys());
                    if (!answers(http)) failures.add(path + ": live, but the established proxy connection was dropped");
                    if (!dnsAnswers(dns)) failures.add(path + ": live, but the established DNS TCP connection was dropped");
                    if (!backupAnswers(backup)) failures.add(path + ": live, but the established backup server connection was dropped");
                }
            }
            ReloadResult back = cairn.reload(yaml(base));
            if (!back.ok()) failures.add(path + ": reloading the base config failed: " + back.errors());
        }
        System.out.println("ReloadWalkIT walked " + walked.size() + " keys:\n  " + String.join("\n  ", walked)
                + "\nnot walked " + notWalked.size() + ":\n  " + String.join("\n  ", notWalked));
        assertThat(walked).as("keys walked").hasSizeGreaterThan(40);
        assertThat(failures).isEmpty();
    }

    /** A client connection through the proxy that has had one answer and stays open. */
    static Socket keepAlive() throws IOException {
        Socket s = new Socket("127.0.0.1", proxyPort);
        s.setSoTimeout(5000);
        assertThat(answers(s)).as("proxy answers before the reload").isTrue();
        return s;
    }

    /** Sends one request on {@code s}; true when a whole response came back. */
    static boolean answers(Socket s) {
        try {
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: walk.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) return false;
                head.append((char) c);
            }
            Matcher len = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            int n = len.find() ? Integer.parseInt(len.group(1)) : 0;
            return in.readNBytes(n).length == n && head.toString().startsWith("HTTP/1.1 ");
        } catch (IOException e) {
            return false;
        }
    }

    /** A keep-alive connection to the backup server that has had one answer. */
    static Socket backupKeepAlive() throws IOException {
        Socket s = new Socket("127.0.0.1", backupPort);
        s.setSoTimeout(5000);
        assertThat(backupAnswers(s)).as("the backup server answers before the reload").isTrue();
        return s;
    }

    /** Lists an empty prefix on {@code s}: true when a whole 200 answer came back. */
    static boolean backupAnswers(Socket s) {
        try {
            s.getOutputStream().write("GET /list?prefix=none HTTP/1.1\r\nHost: walk.test\r\nAuthorization: Bearer walk-token\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) return false;
                head.append((char) c);
            }
            Matcher len = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            int n = len.find() ? Integer.parseInt(len.group(1)) : 0;
            return in.readNBytes(n).length == n && head.toString().startsWith("HTTP/1.1 200 ");
        } catch (IOException e) {
            return false;
        }
    }

    static Socket dnsTcp() throws IOException {
        Socket s = new Socket("127.0.0.1", dnsPort);
        s.setSoTimeout(5000);
        assertThat(dnsAnswers(s)).as("DNS answers before the reload").isTrue();
        return s;
    }

    static boolean dnsAnswers(Socket s) {
        try {
            byte[] q = Message.newQuery(Record.newRecord(Name.fromString("ns.walk.test."), Type.A, DClass.IN)).toWire();
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(q.length);
            out.write(q);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            return new Message(answer).getRcode() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
