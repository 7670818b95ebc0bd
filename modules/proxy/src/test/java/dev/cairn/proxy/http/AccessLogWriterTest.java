package dev.cairn.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.core.testing.TestHost;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The access log's writer: order kept, everything written at stop, drops counted instead of waiting. */
class AccessLogWriterTest {

    /** An output that collects what was written, thread-safe. */
    private static final class Collected extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int writes;

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes++;
            bytes.write(b, off, len);
        }

        /** The lines written, each without the process log's prefix (checked: time, INFO, module). */
        synchronized List<String> lines() {
            return raw().stream().map(l -> {
                assertThat(l).matches("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]{3})?Z INFO  proxy: .*");
                return l.substring(l.indexOf(" INFO  proxy: ") + 14);
            }).toList();
        }

        synchronized List<String> raw() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            return s.isEmpty() ? List.of() : List.of(s.split("\n", -1)).subList(0, s.split("\n", -1).length - 1);
        }
    }

    @Test
    void linesOfEachConnectionComeOutInTheOrderTheyWereOffered() throws Exception {
        Collected out = new Collected();
        int threads = 4;
        int perConnection = 3_000;
        try (AccessLogWriter w = new AccessLogWriter(() -> out, AccessLogWriter.Envelope.HUMAN, 1_000_000)) {
            List<Thread> ts = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int conn = t;
                ts.add(new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < perConnection; i++) w.offer("conn=" + conn + " req=" + i + " é");
                }));
            }
            ts.forEach(Thread::start);
            go.countDown();
            for (Thread t : ts) t.join();
            TestHost.await(Duration.ofSeconds(10), "every line written", () -> out.lines().size() == threads * perConnection);
            assertThat(w.dropped()).isZero();
        }
        Map<String, Integer> next = new HashMap<>();
        for (String line : out.lines()) {
            assertThat(line).endsWith(" é");
            String[] f = line.split(" ");
            int req = Integer.parseInt(f[1].substring(4));
            assertThat(req).as(line).isEqualTo(next.getOrDefault(f[0], 0));
            next.put(f[0], req + 1);
        }
        assertThat(next).hasSize(threads).allSatisfy((conn, n) -> assertThat(n).isEqualTo(perConnection));
        // Batched: far fewer writes than lines.
        assertThat(out.writes).isLessThan(threads * perConnection / 10);
    }

    @Test
    void aLineIsWrittenWithinTheFlushIntervalWithoutMoreTraffic() throws Exception {
        Collected out = new Collected();
        try (AccessLogWriter w = new AccessLogWriter(() -> out, AccessLogWriter.Envelope.HUMAN, 100)) {
            w.offer("one");
            TestHost.await(Duration.ofSeconds(5), "the line written", () -> out.lines().equals(List.of("one")));
        }
    }

    @Test
    void withTheJsonProcessLogEachLineIsOneObjectOfTheHostsShape() throws Exception {
        Collected out = new Collected();
        String line = "{\"time\":\"x\",\"uri\":\"/a\\\"b\"}";
        try (AccessLogWriter w = new AccessLogWriter(() -> out, AccessLogWriter.Envelope.JSON, 100)) {
            Thread io = new Thread(() -> w.offer(line), "cairn-proxy I/O-1");
            io.start();
            io.join();
            TestHost.await(Duration.ofSeconds(5), "the line written", () -> out.raw().size() == 1);
        }
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.raw().get(0));
        assertThat(j.path("ts").asText()).matches("20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\\.[0-9]{3})?Z");
        assertThat(j.path("level").asText()).isEqualTo("INFO");
        assertThat(j.path("module").asText()).isEqualTo("proxy");
        assertThat(j.path("logger").asText()).isEqualTo("cairn.proxy.access");
        assertThat(j.path("thread").asText()).isEqualTo("cairn-proxy I/O-1");
        assertThat(j.path("msg").asText()).isEqualTo(line);
    }

    @Test
    void aLineIsCopiedWhenOfferedSoItsBufferCanBeReusedForTheNext() throws Exception {
        Collected out = new Collected();
        StringBuilder b = new StringBuilder();
        try (AccessLogWriter w = new AccessLogWriter(() -> out, AccessLogWriter.Envelope.HUMAN, 100)) {
            for (String l : List.of("GET /first 200", "POST /sécond 201", "GET /third 404")) {
                b.setLength(0);
                w.offer(b.append(l));
            }
            b.setLength(0);
            b.append("overwritten");
            TestHost.await(Duration.ofSeconds(5), "three lines written", () -> out.raw().size() == 3);
        }
        assertThat(out.lines()).containsExactly("GET /first 200", "POST /sécond 201", "GET /third 404");
    }

    @Test
    void aLineLongerThanABatchIsWrittenWholeBetweenItsNeighbours() throws Exception {
        Collected out = new Collected();
        String longLine = "ü".repeat(30_000) + "x".repeat(20_000);
        try (AccessLogWriter w = new AccessLogWriter(() -> out, AccessLogWriter.Envelope.HUMAN, 100)) {
            w.offer("before");
            w.offer(longLine);
            w.offer("after");
            TestHost.await(Duration.ofSeconds(5), "three lines written", () -> out.raw().size() == 3);
        }
        assertThat(out.lines()).containsExactly("before", longLine, "after");
    }

    @Test
    void stopWritesEverythingStillQueued() {
        Collected out = new Collected();
        AccessLogWriter w = new AccessLogWriter(() -> out, AccessLogWriter.Envelope.HUMAN, 100_000);
        for (int i = 0; i < 400; i++) w.offer("line " + i); // under the wake-up mark: the writer sleeps on
        w.close();
        List<String> lines = out.lines();
        assertThat(lines).hasSize(400);
        assertThat(lines.get(0)).isEqualTo("line 0");
        assertThat(lines.get(399)).isEqualTo("line 399");
        assertThat(w.offer("late")).isFalse();
    }

    @Test
    void aStuckOutputDropsAndCountsLinesInsteadOfBlockingTheCaller() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        Collected collected = new Collected();
        OutputStream stuck = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writing.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                collected.write(b, off, len);
            }
        };
        int capacity = 1_000;
        try (AccessLogWriter w = new AccessLogWriter(() -> stuck, AccessLogWriter.Envelope.HUMAN, capacity)) {
            w.offer("first"); // the writer takes it and blocks in write()
            assertThat(writing.await(5, java.util.concurrent.TimeUnit.SECONDS)).as("the writer blocked in write").isTrue();
            int accepted = 0;
            for (int i = 0; i < 3 * capacity; i++) if (w.offer("more " + i)) accepted++;
            assertThat(accepted).isEqualTo(capacity);
            assertThat(w.dropped()).isEqualTo(2L * capacity);
            release.countDown();
            TestHost.await(Duration.ofSeconds(10), "the queued lines written", () -> collected.lines().size() == capacity + 1);
        }
        assertThat(collected.lines().get(1)).isEqualTo("more 0");
    }
}
