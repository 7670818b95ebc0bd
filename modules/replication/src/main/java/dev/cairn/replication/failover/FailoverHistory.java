package dev.cairn.replication.failover;

import java.util.Optional;

/**
 * What one cluster's failover remembers: the decision's {@link FailoverDecision.Control} (block
 * period, {@code max_per_hour} counts, automation disabled until ack) as a {@link ControlRecord},
 * and the last failover's result with its audit log. The module owns one per cluster name and
 * hands it to every {@link FailoverController} it creates for that cluster, so a reload that
 * restarts the cluster keeps both. The control part is also stored on the database servers (the
 * controller reads and merges every server's copy each round and writes its changes there), so a
 * restarted process and every other Cairn node agree on it; the last result is this process's.
 *
 * <p>Thread-safe: during a reload the old controller (finishing a promotion) and the new one may
 * both read and write it; each reads it before a decision step and writes it after.
 */
public final class FailoverHistory {

    private ControlRecord record = ControlRecord.NONE;
    private Promotion.Result lastResult;

    public synchronized FailoverDecision.Control control() {
        return record.control();
    }

    /** The control part with the time it last changed. */
    public synchronized ControlRecord record() {
        return record;
    }

    /**
     * The decision's control part after a step at {@code at}: returns the new record when it
     * changed (the caller stores it on the servers), else empty.
     */
    public synchronized Optional<ControlRecord> update(FailoverDecision.Control c, long at) {
        ControlRecord next = ControlRecord.of(c, Math.max(at, record.changedAt() + 1));
        if (next.control().equals(record.control())) {
            return Optional.empty();
        }
        record = next;
        return Optional.of(next);
    }

    /** Merges a copy read from the servers; returns the merged record. */
    public synchronized ControlRecord merge(ControlRecord stored) {
        record = record.merge(stored);
        return record;
    }

    /**
     * An operator's ack at {@code at}: the control part {@code c} counts as changed then even when
     * it is the same, so it wins over any older copy another node wrote.
     */
    public synchronized ControlRecord assertAt(FailoverDecision.Control c, long at) {
        record = ControlRecord.of(c, Math.max(at, record.changedAt() + 1));
        return record;
    }

    public synchronized Optional<Promotion.Result> lastResult() {
        return Optional.ofNullable(lastResult);
    }

    public synchronized void lastResult(Promotion.Result r) {
        lastResult = r;
    }
}
