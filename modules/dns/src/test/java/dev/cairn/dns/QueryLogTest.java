package dev.cairn.dns;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cairn.core.testing.TestHost;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Type;

/** query_log: true writes one JSON line per query on the cairn.dns.query logger. */
class QueryLogTest {

    @TempDir
    Path dir;

    @Test
    void eachQueryIsOneJsonLine() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("cairn.dns.query");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try (DnsFixture dns = DnsFixture.start(dir, DnsFixture.basicYaml().replace("  zones:", "  query_log: true\n  zones:"))) {
            dns.query("www.example.test", Type.AAAA);
            dns.query("nope.example.test", Type.A, true);
            TestHost.await(Duration.ofSeconds(3), "two query log lines", () -> lines.list.size() >= 2);
            assertThat(lines.list.get(0).getFormattedMessage())
                    .startsWith("{\"client\":\"127.0.0.1\",\"proto\":\"udp\",\"id\":")
                    .contains("\"name\":\"www.example.test.\",\"type\":\"AAAA\",\"class\":\"IN\",\"rcode\":\"NOERROR\"")
                    .endsWith("}");
            assertThat(lines.list.get(1).getFormattedMessage()).contains("\"proto\":\"tcp\"").contains("\"rcode\":\"NXDOMAIN\"");
        } finally {
            logger.detachAppender(lines);
        }
    }

    @Test
    void queryLogIsOffByDefault() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger("cairn.dns.query");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.addAppender(lines);
        try (DnsFixture dns = DnsFixture.start(dir, DnsFixture.basicYaml())) {
            dns.query("www.example.test", Type.A);
            assertThat(lines.list).isEmpty();
        } finally {
            logger.detachAppender(lines);
        }
    }
}
