package dev.cairn.replication.failover;

import java.util.Optional;

/**
 * What one cluster's failover remembers across config reloads: the decision's {@link
 * FailoverDecision.Control} (block period, {@code max_per_hour} counts, automation disabled until
 * ack) and the last failover's result with its audit log. The module owns one per cluster name
 * and hands it to every {@link FailoverController} it creates for that cluster, so a reload that
 * restarts the cluster (its section changed) keeps them. A restart of the process starts empty:
 * the SPI gives a module no state directory to persist them in.
 *
 * <p>Thread-safe: during a reload the old controller (finishing a promotion) and the new one may
 * both read and write it; each reads it before a decision step and writes it after.
 */
public final class FailoverHistory {

    private FailoverDecision.Control control = FailoverDecision.Control.NONE;
    private Promotion.Result lastResult;

    public synchronized FailoverDecision.Control control() {
        return control;
    }

    public synchronized void control(FailoverDecision.Control c) {
        control = c;
    }

    public synchronized Optional<Promotion.Result> lastResult() {
        return Optional.ofNullable(lastResult);
    }

    public synchronized void lastResult(Promotion.Result r) {
        lastResult = r;
    }
}
