package dev.cairn.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.testing.TestHost;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status console in a real browser (Debian's chromium through chromedriver, headless), as an
 * operator uses it: an endpoint goes DOWN after its backend is killed, drain on another is
 * clicked and confirmed, and the proxy stops sending it traffic. The browser's console shows no
 * error (a CSP violation would be one). Screenshots at desktop and phone width go to
 * target/screenshots (copies are in docs/images).
 */
class ConsoleBrowserIT {

    @TempDir
    static Path dir;
    static TestHost cairn;
    static WebDriver browser;
    static HttpServer a;
    static HttpServer b;
    static HttpServer c;
    static int proxyPort;

    static HttpServer backend(String name) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", TestHost.freePort()), 16);
        s.createContext("/", ex -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        s.start();
        return s;
    }

    @BeforeAll
    static void start() throws Exception {
        a = backend("a");
        b = backend("b");
        c = backend("c");
        proxyPort = TestHost.freePort();
        cairn = TestHost.start(dir, """
                services:
                  web:
                    endpoints:
                      - { address: 127.0.0.1:%d, name: a }
                      - { address: 127.0.0.1:%d, name: b }
                      - { address: 127.0.0.1:%d, name: c }
                    check: { type: http, path: /, interval: 300ms, timeout: 2s, rise: 1, fall: 2 }
                proxy:
                  listeners:
                    - name: web
                      bind: 127.0.0.1:%d
                      routes:
                        - { service: web, balance: roundrobin }
                """.formatted(a.getAddress().getPort(), b.getAddress().getPort(), c.getAddress().getPort(), proxyPort));

        // The driver and the browser are Debian's, named here; Selenium Manager stays offline (images/pom.xml sets it).
        assertThat(System.getenv("SE_OFFLINE")).as("SE_OFFLINE: Selenium Manager must not download anything").isEqualTo("true");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium")));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
        if (cairn != null) cairn.close();
        for (HttpServer s : new HttpServer[] {a, b, c}) if (s != null) s.stop(0);
    }

    private static WebElement row(String endpoint) {
        return browser.findElement(By.cssSelector("tr[data-endpoint='web/" + endpoint + "']"));
    }

    private static String cell(String endpoint, String cls) {
        return row(endpoint).findElement(By.cssSelector("td." + cls)).getText();
    }

    private static void screenshot(String name) throws Exception {
        Path out = Path.of("target/screenshots");
        Files.createDirectories(out);
        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(out.resolve(name), png);
    }

    @Test
    void anOperatorSeesAnEndpointGoDownDrainsAnotherAndTheProxyStopsSendingItTraffic() throws Exception {
        browser.manage().window().setSize(new Dimension(1280, 1000));
        browser.get(cairn.adminUrl() + "/?refresh=0");
        assertThat(browser.getTitle()).startsWith("Cairn ");
        assertThat(cell("a", "health")).isEqualTo("UP");

        a.stop(0); // the backend is killed
        new WebDriverWait(browser, Duration.ofSeconds(15)).pollingEvery(Duration.ofMillis(300)).until(d -> {
            d.navigate().refresh();
            return cell("a", "health").equals("DOWN");
        });
        assertThat(row("a").getAttribute("class")).contains("alarm");
        screenshot("console-desktop.png");

        row("b").findElement(By.cssSelector("button[value='drain']")).click();
        // A click starts a navigation: read the next page once it is there, not the one it replaces.
        WebDriverWait navigation = new WebDriverWait(browser, Duration.ofSeconds(15));
        navigation.until(d -> !d.findElements(By.id("confirm")).isEmpty());
        assertThat(browser.findElement(By.tagName("body")).getText()).contains("Drain endpoint b of service web?");
        browser.findElement(By.id("confirm")).click();
        navigation.until(d -> !d.findElements(By.cssSelector(".flash")).isEmpty());
        assertThat(browser.findElement(By.cssSelector(".flash")).getText()).contains("endpoint web/b drained");
        assertThat(cell("b", "traffic")).isEqualTo("drained");

        // Every request now goes to c: a is down, b drained.
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            seen.merge(r.statusCode() + " " + r.body(), 1, Integer::sum);
        }
        assertThat(seen).containsOnlyKeys("200 c");

        browser.manage().window().setSize(new Dimension(390, 844));
        browser.get(cairn.adminUrl() + "/?refresh=0");
        screenshot("console-phone.png");

        List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertThat(errors).as("browser console").isEmpty();
    }
}
