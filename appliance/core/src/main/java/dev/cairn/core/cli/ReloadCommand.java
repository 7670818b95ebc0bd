package dev.cairn.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "reload", mixinStandardHelpOptions = true,
        description = {"Ask a running Cairn to reload its config file (same as SIGHUP).",
                "Exit 0: applied. Exit 1: rejected (the old config keeps running) or unreachable."})
final class ReloadCommand implements Callable<Integer> {

    @Mixin
    AdminClient client;

    @picocli.CommandLine.Option(names = "--dry-run",
            description = "Print what the reload would change (keys live or restart, services, endpoints, zones, listeners) and apply nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        try {
            if (dryRun) {
                AdminClient.Response r = client.call("GET", "/api/reload/plan");
                JsonNode b = r.body();
                if (r.status() == 200) {
                    System.out.println("a reload (config hash " + b.path("hash").asText() + ") would change:");
                    for (JsonNode a : b.path("applied")) System.out.println("  " + a.asText());
                    return 0;
                }
                System.err.println("the config file would be rejected (HTTP " + r.status() + "):");
                for (JsonNode e : b.path("errors")) System.err.println("  " + e.asText());
                if (b.has("error")) System.err.println("  " + b.path("error").asText());
                return 1;
            }
            AdminClient.Response r = client.call("POST", "/api/reload");
            JsonNode b = r.body();
            if (r.status() == 200) {
                System.out.println("reloaded, config hash " + b.path("hash").asText());
                for (JsonNode a : b.path("applied")) System.out.println("  " + a.asText());
                for (JsonNode k : b.path("restart_keys")) {
                    System.out.println("  restart-marked: " + k.asText() + " (its listener re-opened, or it applies at the next start)");
                }
                return 0;
            }
            System.err.println("reload rejected (HTTP " + r.status() + "); the previous config is still running:");
            for (JsonNode e : b.path("errors")) System.err.println("  " + e.asText());
            if (b.has("error")) System.err.println("  " + b.path("error").asText());
            return 1;
        } catch (java.io.IOException e) {
            System.err.println("cairn reload: " + e.getMessage());
            return 1;
        }
    }
}
