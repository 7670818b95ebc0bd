package dev.cairn.core.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code cairn drain|enable SERVICE ENDPOINT}. */
abstract class EndpointCommand implements Callable<Integer> {

    @Mixin
    AdminClient client;

    @Parameters(index = "0", paramLabel = "SERVICE", description = "Service name.")
    String service;

    @Parameters(index = "1", paramLabel = "ENDPOINT", description = "Endpoint name (host:port unless named).")
    String endpoint;

    abstract String action();

    @Override
    public Integer call() throws Exception {
        String path = "/api/services/" + enc(service) + "/endpoints/" + enc(endpoint) + "/" + action();
        try {
            AdminClient.Response r = client.call("POST", path);
            if (r.status() != 200) {
                System.err.println("cairn " + action() + ": " + r.body().path("error").asText("HTTP " + r.status()));
                return 1;
            }
            System.out.println(service + "/" + endpoint + ": " + (r.body().path("drained").asBoolean() ? "drained" : "enabled")
                    + ", health " + r.body().path("health").asText());
            return 0;
        } catch (java.io.IOException e) {
            System.err.println("cairn " + action() + ": " + e.getMessage());
            return 1;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Command(name = "drain", mixinStandardHelpOptions = true,
            description = "Stop sending new traffic to an endpoint; in-flight requests finish. Survives reloads.")
    static final class Drain extends EndpointCommand {
        @Override
        String action() {
            return "drain";
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Undo drain: the endpoint takes traffic again when healthy.")
    static final class Enable extends EndpointCommand {
        @Override
        String action() {
            return "enable";
        }
    }
}
