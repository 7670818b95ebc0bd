package dev.cairn.core.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cairn.core.config.AdminConfig;
import dev.cairn.core.config.CairnConfig;
import dev.cairn.core.config.ConfigException;
import dev.cairn.core.config.ConfigLoader;
import dev.cairn.core.config.ModuleRegistry;
import dev.cairn.spi.config.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Options and calls shared by the CLI commands that talk to a running Cairn's admin API. */
final class AdminClient {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "Read admin.listen and admin.token_file from this config (default: /etc/cairn/cairn.yml if present).")
    Path configFile;

    @Option(names = "--url", paramLabel = "URL", description = "Admin API base URL (default: from the config, else http://127.0.0.1:9000).")
    String url;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the admin bearer token.")
    Path tokenFile;

    /** The modules the config is read with (null: every module on the class path). */
    ModuleRegistry registry;

    /** How long one call may take; module actions (a backup run, a switchover) take longer. */
    Duration timeout = Duration.ofSeconds(15);

    record Response(int status, JsonNode body) {
    }

    /** Made on the first answer read, not when picocli builds the command tree of every command. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    Response call(String method, String path) throws IOException, InterruptedException {
        String base = url;
        Path token = tokenFile;
        Path cfgPath = configFile != null ? configFile : Path.of(ConfigOption.DEFAULT);
        if ((base == null || token == null) && Files.exists(cfgPath)) {
            try {
                CairnConfig cfg = new ConfigLoader(registry != null ? registry : ModuleRegistry.discover()).load(cfgPath, null);
                AdminConfig a = cfg.admin();
                if (base == null) base = baseUrl(a.listen());
                if (token == null && a.tokenFile() != null) token = cfg.dir().resolve(a.tokenFile());
            } catch (ConfigException e) {
                if (configFile != null) throw new IOException("cannot read " + configFile + ":\n" + e.getMessage());
            }
        }
        if (base == null) base = baseUrl(AdminConfig.DEFAULT_LISTEN);
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) req.header("Authorization", "Bearer " + Files.readString(token).trim());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        try {
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), Json.MAPPER.readTree(r.body().isEmpty() ? "{}" : r.body()));
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot reach the admin API at " + base + " (is cairn running?)");
        }
    }

    static String baseUrl(HostPort listen) {
        String host = listen.isWildcard() ? "127.0.0.1" : listen.host();
        if (host.contains(":")) host = "[" + host + "]";
        return "http://" + host + ":" + listen.port();
    }
}
