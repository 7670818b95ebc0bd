package dev.cairn.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
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

    @Option(names = "--json", description = "Print the JSON of /api/status and /api/catalog (for scripts) instead of the tables.")
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
            System.out.print(StatusText.render(s, catalog.body()));
        }
        for (JsonNode m : s.path("modules")) {
            if (!m.path("healthy").asBoolean()) return 2;
        }
        return 0;
    }

}
