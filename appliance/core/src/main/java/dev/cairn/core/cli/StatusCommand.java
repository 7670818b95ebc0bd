package dev.cairn.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show a running Cairn's node, modules and service health (a client of the admin API).",
                "Exit 0: reachable and every module healthy; 1: unreachable or error; 2: some module unhealthy."})
final class StatusCommand implements Callable<Integer> {

    @Mixin
    AdminClient client;

    @Option(names = "--json", description = "Print the raw JSON of /api/status and /api/catalog.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        AdminClient.Response status;
        AdminClient.Response catalog;
        try {
            status = client.call("GET", "/api/status");
            if (status.status() != 200) {
                System.err.println("cairn status: HTTP " + status.status() + ": " + status.body().path("error").asText());
                return 1;
            }
            catalog = client.call("GET", "/api/catalog");
        } catch (java.io.IOException e) {
            System.err.println("cairn status: " + e.getMessage());
            return 1;
        }
        JsonNode s = status.body();
        if (json) {
            System.out.println(s.toPrettyString());
            System.out.println(catalog.body().toPrettyString());
        } else {
            print(s, catalog.body());
        }
        for (JsonNode m : s.path("modules")) {
            if (!m.path("healthy").asBoolean()) return 2;
        }
        return 0;
    }

    /** Prints module details as indented YAML-like lines. */
    private static void details(JsonNode n, String indent) {
        n.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            if (v.isObject()) {
                System.out.println(indent + e.getKey() + ":");
                details(v, indent + "  ");
            } else if (v.isArray() && v.size() > 0 && v.get(0).isObject()) {
                System.out.println(indent + e.getKey() + ":");
                for (JsonNode item : v) {
                    StringBuilder line = new StringBuilder(indent + "  -");
                    item.fields().forEachRemaining(f -> line.append(' ').append(f.getKey()).append('=')
                            .append(f.getValue().isValueNode() ? f.getValue().asText() : f.getValue().toString()));
                    System.out.println(line);
                }
            } else if (v.isArray()) {
                List<String> items = new ArrayList<>();
                v.forEach(x -> items.add(x.asText()));
                System.out.println(indent + e.getKey() + ": " + String.join(", ", items));
            } else {
                System.out.println(indent + e.getKey() + ": " + v.asText());
            }
        });
    }

    private static void print(JsonNode s, JsonNode c) {
        JsonNode cfg = s.path("config");
        JsonNode reload = cfg.path("last_reload");
        System.out.printf("node %s  version %s  up %ds%n", s.path("node").asText(), s.path("version").asText(),
                s.path("uptime_seconds").asLong());
        System.out.printf("config %s  hash %s  last reload %s at %s%n", cfg.path("file").asText(),
                cfg.path("hash").asText(), reload.path("ok").asBoolean() ? "ok" : "REJECTED", reload.path("at").asText());
        for (JsonNode e : reload.path("errors")) System.out.println("  " + e.asText());
        System.out.println();
        System.out.println("MODULE        STATE      SUMMARY");
        for (JsonNode m : s.path("modules")) {
            System.out.printf("%-13s %-10s %s%n", m.path("name").asText(),
                    m.path("healthy").asBoolean() ? "healthy" : "UNHEALTHY", m.path("summary").asText());
        }
        for (JsonNode m : s.path("modules")) {
            JsonNode d = m.path("details");
            if (d.isObject() && d.size() > 0) {
                System.out.println();
                System.out.println(m.path("name").asText() + ":");
                details(d, "  ");
            }
        }
        System.out.println();
        System.out.println("SERVICE       ENDPOINT                 HEALTH      WEIGHT  LAST CHECK");
        for (JsonNode svc : c.path("services")) {
            for (JsonNode e : svc.path("endpoints")) {
                String health = e.path("health").asText().toUpperCase() + (e.path("drained").asBoolean() ? ",DRAIN" : "");
                System.out.printf("%-13s %-24s %-11s %-7d %s%n", svc.path("name").asText(), e.path("name").asText(),
                        health, e.path("weight").asInt(), e.path("last_check").asText());
            }
        }
    }
}
