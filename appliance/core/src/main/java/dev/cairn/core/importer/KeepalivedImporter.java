package dev.cairn.core.importer;

import dev.cairn.core.importer.Blocks.Stmt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Translates keepalived.conf files (one per node, as keepalived has them) into Cairn's
 * {@code cluster:} section: each file's {@code unicast_src_ip} and {@code priority} make a node,
 * {@code unicast_peer}s the others, {@code virtual_ipaddress} the VIPs, {@code advert_int},
 * {@code nopreempt}/{@code preempt_delay} the election timing, and a {@code track_script} that
 * checks HAProxy becomes tracking of Cairn's own proxy module.
 */
final class KeepalivedImporter {

    private static final Set<String> HARMLESS_INSTANCE = Set.of("state", "virtual_router_id", "smtp_alert",
            "garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_lower_prio_repeat",
            "garp_lower_prio_delay", "dont_track_primary", "version", "debug", "lvs_sync_daemon_interface",
            "notify_stop", "notify_fault", "skip_check_adv_addr", "accept", "no_accept", "strict_mode");

    /** Every directive this importer translates or knowingly sets aside (docs/migrating.md lists each). */
    static final Set<String> KNOWN = HaproxyImporter.union(HARMLESS_INSTANCE, Set.of("global_defs", "vrrp_script",
            "vrrp_instance", "virtual_server", "virtual_server_group", "vrrp_sync_group", "include", "interface",
            "priority", "advert_int", "nopreempt", "preempt_delay", "unicast_src_ip", "unicast_peer", "authentication",
            "virtual_ipaddress", "track_script", "notify_master", "notify_backup", "notify", "track_interface",
            "virtual_ipaddress_excluded", "virtual_routes", "virtual_rules"), Set.of());

    private record Node(String name, String address, Integer priority, Path file, int line) {
    }

    private final List<Path> files;
    private final YamlTree out;
    private final ImportNotes notes;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, Map<String, Object>> vips = new LinkedHashMap<>();
    private final List<Object> track = new ArrayList<>();
    private final List<String> hooks = new ArrayList<>();
    private String advert;
    private Boolean preempt;
    private String preemptDelay;
    private Path authFile;
    private int authLine;

    KeepalivedImporter(List<Path> files, YamlTree out, ImportNotes notes) {
        this.files = files;
        this.out = out;
        this.notes = notes;
    }

    void run() throws IOException {
        List<String> peers = new ArrayList<>();
        for (Path f : files) file(f, peers);
        for (String p : peers) {
            if (!nodes.containsKey(p)) {
                String name = "node-" + p.replace('.', '-').replace(':', '-');
                nodes.put(p, new Node(name, p, null, null, 0));
                notes.unsupported(files.get(0), 0, "unicast_peer " + p, "its priority is unknown (100 assumed): "
                        + "import that node's keepalived.conf too (--keepalived FILE once per node)");
            }
        }
        if (nodes.isEmpty()) {
            nodes.put("127.0.0.1", new Node("node1", "127.0.0.1", null, null, 0));
            notes.unsupported(files.get(0), 0, "vrrp_instance", "multicast VRRP: Cairn's adverts go between the "
                    + "nodes listed in cluster.nodes; put every node's name and address there (127.0.0.1 written)");
        }
        Map<String, Object> cluster = out.map("cluster");
        cluster.put("name", "cairn");
        List<Object> list = new ArrayList<>();
        for (Node n : nodes.values()) {
            list.add(YamlTree.entry("name", n.name, "address", n.address, "priority", n.priority == null ? 100 : n.priority));
        }
        cluster.put("nodes", list);
        if (nodes.size() > 1) {
            cluster.put("secret_file", "cluster.secret");
            notes.ignored(authFile != null ? authFile : files.get(0), authLine, "authentication", "Cairn signs adverts with HMAC-SHA256: create the same "
                    + "secret on every node: head -c 32 /dev/urandom | base64 > /etc/cairn/cluster.secret");
        }
        if (advert != null) cluster.put("advert_interval", advert);
        if (preempt != null) cluster.put("preempt", preempt);
        if (preemptDelay != null) cluster.put("preempt_delay", preemptDelay);
        cluster.put("vips", new ArrayList<>(vips.values()));
        if (!track.isEmpty() && out.root.containsKey("proxy")) {
            cluster.put("track", track);
        } else if (!track.isEmpty()) {
            notes.unsupported(files.get(0), 0, "track_script", "the script checks the load balancer: import the "
                    + "HAProxy config too (--haproxy) so that Cairn's proxy exists to be tracked");
        }
        if (!hooks.isEmpty()) cluster.put("notify_hooks", hooks);
    }

    private void file(Path f, List<String> peers) throws IOException {
        List<Stmt> top = Blocks.parse(Files.readAllLines(f), false);
        String routerId = null;
        Map<String, Stmt> scripts = new LinkedHashMap<>();
        for (Stmt s : top) {
            switch (s.kw()) {
                case "global_defs" -> {
                    for (Stmt g : body(s)) {
                        if (g.kw().equals("router_id")) routerId = g.arg(1);
                    }
                    notes.ignored(f, s.line(), "global_defs", "notification e-mail and router_id are not needed "
                            + "(Cairn alerts through Prometheus)");
                }
                case "vrrp_script" -> scripts.put(s.arg(1), s);
                case "vrrp_instance", "virtual_server", "virtual_server_group", "vrrp_sync_group", "include" -> { }
                default -> notes.unsupported(f, s.line(), s.kw(), "not translated");
            }
        }
        for (Stmt s : top) {
            switch (s.kw()) {
                case "vrrp_instance" -> instance(f, s, routerId, scripts, peers);
                case "virtual_server", "virtual_server_group" -> notes.unsupported(f, s.line(), s.kw() + " " + s.arg(1),
                        "LVS load balancing: use Cairn's proxy (proxy.tcp or proxy.listeners) instead");
                case "vrrp_sync_group" -> notes.ignored(f, s.line(), "vrrp_sync_group " + s.arg(1),
                        "Cairn elects one master per VIP on the same priorities, so VIPs of one node move together");
                case "include" -> notes.unsupported(f, s.line(), "include " + s.arg(1), "import the included file too");
                default -> { }
            }
        }
    }

    private static List<Stmt> body(Stmt s) {
        return s.body() == null ? List.of() : s.body();
    }

    private void instance(Path f, Stmt s, String routerId, Map<String, Stmt> scripts, List<String> peers) {
        String dev = "eth0";
        Integer priority = null;
        String src = null;
        for (Stmt st : body(s)) {
            switch (st.kw()) {
                case "interface" -> dev = st.arg(1);
                case "priority" -> priority = Integer.valueOf(st.arg(1));
                case "advert_int" -> {
                    String d = Tokens.duration(st.arg(1), "s");
                    if (st.arg(1).matches("[0-9.]+") && Double.parseDouble(st.arg(1)) > 10) {
                        notes.unsupported(f, st.line(), "advert_int " + st.arg(1), "Cairn's longest advert interval is 10s");
                        d = "10s";
                    }
                    once(f, st, "advert_int", d, true);
                }
                case "nopreempt" -> preempt = false;
                case "preempt_delay" -> preemptDelay = Tokens.duration(st.arg(1), "s");
                case "unicast_src_ip" -> src = st.arg(1);
                case "unicast_peer" -> {
                    for (Stmt p : body(st)) if (!peers.contains(p.kw())) peers.add(p.kw());
                }
                case "authentication" -> {
                    if (authFile == null) {
                        authFile = f;
                        authLine = st.line();
                    }
                }
                case "virtual_ipaddress" -> { }
                case "track_script" -> {
                    for (Stmt t : body(st)) trackScript(f, t, scripts.get(t.kw()));
                }
                case "notify_master", "notify_backup", "notify" -> {
                    String cmd = String.join(" ", st.words().subList(1, st.words().size()));
                    if (!hooks.contains(cmd)) hooks.add(cmd);
                    notes.unsupported(f, st.line(), st.kw(), "run as a Cairn notify hook after every transition, with "
                            + "the state in CAIRN_* environment variables instead of keepalived's arguments");
                }
                case "track_interface" -> notes.unsupported(f, st.line(), "track_interface",
                        "Cairn tracks services and modules: track the service behind that interface");
                case "virtual_ipaddress_excluded", "virtual_routes", "virtual_rules" -> notes.unsupported(f, st.line(),
                        st.kw(), "not translated");
                default -> {
                    if (HARMLESS_INSTANCE.contains(st.kw())) notes.ignored(f, st.line(), st.kw(), "not needed by Cairn");
                    else notes.unsupported(f, st.line(), st.kw(), "not translated");
                }
            }
        }
        for (Stmt st : body(s)) {
            if (!st.kw().equals("virtual_ipaddress")) continue;
            for (Stmt a : body(st)) vip(f, a, dev);
        }
        if (src != null) {
            Node old = nodes.get(src);
            String name = routerId != null ? nodeName(routerId) : "node-" + src.replace('.', '-').replace(':', '-');
            if (old != null && old.priority != null && priority != null && !old.priority.equals(priority)) {
                notes.unsupported(f, s.line(), "vrrp_instance " + s.arg(1) + " priority " + priority,
                        "Cairn has one priority per node (" + old.priority + " kept)");
            } else if (old == null || old.priority == null) {
                nodes.put(src, new Node(name, src, priority, f, s.line()));
            }
        } else if (priority != null && nodes.isEmpty()) {
            nodes.put("127.0.0.1", new Node(routerId != null ? nodeName(routerId) : "node1", "127.0.0.1", priority, f, s.line()));
            notes.unsupported(f, s.line(), "vrrp_instance " + s.arg(1), "no unicast_src_ip: multicast VRRP. Cairn's "
                    + "adverts go between the nodes in cluster.nodes: put this node's real address there (127.0.0.1 written)");
        }
    }

    private void once(Path f, Stmt st, String what, String value, boolean advertInterval) {
        if (advert != null && !advert.equals(value)) {
            notes.unsupported(f, st.line(), what + " " + st.arg(1), "Cairn has one advert interval (" + advert + " kept)");
            return;
        }
        if (advertInterval) advert = value;
    }

    private void vip(Path f, Stmt a, String instanceDev) {
        String addr = a.kw();
        String dev = instanceDev;
        String label = null;
        for (int i = 1; i < a.words().size(); i++) {
            String w = a.words().get(i);
            String v = a.arg(i + 1);
            if (w.equals("dev") && v != null) { dev = v; i++; }
            else if (w.equals("label") && v != null) { label = v.contains(":") ? v.substring(v.indexOf(':') + 1) : v; i++; }
            else if (w.equals("brd") || w.equals("scope")) i++;
            else notes.unsupported(f, a.line(), "virtual_ipaddress " + addr + " " + w, "not translated");
        }
        if (!addr.contains("/")) addr += addr.contains(":") ? "/128" : "/32";
        Map<String, Object> old = vips.get(addr);
        if (old != null) {
            if (label != null && !old.containsKey("label")) old.put("label", label);
            return;
        }
        vips.put(addr, YamlTree.entry("address", addr, "dev", dev, "label", label));
    }

    private void trackScript(Path f, Stmt ref, Stmt script) {
        if (script == null) {
            notes.unsupported(f, ref.line(), "track_script " + ref.kw(), "no vrrp_script of that name");
            return;
        }
        String command = "";
        Integer weight = null;
        Integer rise = null;
        Integer fall = null;
        for (Stmt st : body(script)) {
            switch (st.kw()) {
                case "script" -> command = String.join(" ", st.words().subList(1, st.words().size()));
                case "weight" -> weight = Integer.valueOf(st.arg(1));
                case "rise" -> rise = Integer.valueOf(st.arg(1));
                case "fall" -> fall = Integer.valueOf(st.arg(1));
                default -> { }
            }
        }
        String c = command.toLowerCase(Locale.ROOT);
        if (!(c.contains("haproxy") || c.contains("nginx"))) {
            notes.unsupported(f, script.line(), "vrrp_script " + script.arg(1) + " (" + command + ")",
                    "Cairn tracks services and modules, not scripts: track the service the script checks");
            return;
        }
        int w = weight == null ? 0 : weight > 0 ? -weight : weight;
        if (weight != null && weight > 0) {
            notes.ignored(f, script.line(), "vrrp_script " + script.arg(1) + " weight " + weight,
                    "a positive weight (added while healthy) is written as " + w + " (added while unhealthy): the same ordering");
        }
        Map<String, Object> t = YamlTree.entry("module", "proxy", "weight", w, "rise", rise, "fall", fall);
        if (!track.contains(t)) track.add(t);
        notes.ignored(f, script.line(), "vrrp_script " + script.arg(1), "the script checked the load balancer; "
                + "Cairn tracks its own proxy module instead");
    }

    private static String nodeName(String routerId) {
        String n = routerId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        return n.isEmpty() ? "node1" : n;
    }
}
