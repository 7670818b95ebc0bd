package dev.cairn.replication.failover;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timestamped steps of one failover or switchover, in order, for {@code cairn replication
 * status} and the log (logger {@code cairn.replication.failover}). Thread-safe.
 */
public final class AuditLog {

    private static final Logger LOG = LoggerFactory.getLogger("cairn.replication.failover");

    /** One step: when, which step, and what happened. */
    public record Entry(Instant at, String step, String detail) {
        @Override
        public String toString() {
            return at + " " + step + ": " + detail;
        }
    }

    private final String cluster;
    private final Clock clock;
    private final List<Entry> entries = new ArrayList<>();

    public AuditLog(String cluster, Clock clock) {
        this.cluster = cluster;
        this.clock = clock;
    }

    public synchronized Entry add(String step, String detail) {
        Entry e = new Entry(clock.instant(), step, detail);
        entries.add(e);
        LOG.info("replication cluster {}: {}: {}", cluster, step, detail);
        return e;
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** True when some entry is of {@code step}. */
    public synchronized boolean has(String step) {
        return entries.stream().anyMatch(e -> e.step().equals(step));
    }
}
