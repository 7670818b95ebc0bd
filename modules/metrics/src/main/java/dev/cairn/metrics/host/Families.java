package dev.cairn.metrics.host;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot;
import io.prometheus.metrics.model.snapshots.UnknownSnapshot.UnknownDataPointSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the samples of one scrape, family by family, and turns them into snapshots. Names are
 * written as exposed ({@code node_cpu_seconds_total}, {@code node_uname_info}) so that the code
 * can be searched for the names dashboards use; the {@code _total} / {@code _info} suffix that the
 * client library adds itself is stripped here. Not thread-safe: one instance per scrape.
 */
final class Families {

    private enum Type { GAUGE, COUNTER, INFO, UNTYPED }

    private static final class Family {
        final Type type;
        final String help;
        final String[] labelNames;
        // Keyed by label values: a repeated series keeps its first value, as node_exporter does.
        final Map<List<String>, Double> samples = new LinkedHashMap<>();

        Family(Type type, String help, String[] labelNames) {
            this.type = type;
            this.help = help;
            this.labelNames = labelNames;
        }
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** Adds one gauge sample; {@code labels} alternates names and values. */
    void gauge(String name, String help, double value, String... labels) {
        add(Type.GAUGE, name, help, value, labels);
    }

    /** Adds one counter sample; {@code name} ends with {@code _total}. */
    void counter(String name, String help, double value, String... labels) {
        add(Type.COUNTER, name, help, value, labels);
    }

    /** Adds one untyped sample, as node_exporter's vmstat and netstat fields. */
    void untyped(String name, String help, double value, String... labels) {
        add(Type.UNTYPED, name, help, value, labels);
    }

    /** Adds one info series (value 1); {@code name} ends with {@code _info}. */
    void info(String name, String help, String... labels) {
        add(Type.INFO, name, help, 1, labels);
    }

    /** Moves every family of {@code other} into this one. */
    void addAll(Families other) {
        other.families.forEach((name, family) -> {
            Family mine = families.computeIfAbsent(name, n -> new Family(family.type, family.help, family.labelNames));
            family.samples.forEach(mine.samples::putIfAbsent);
        });
    }

    boolean isEmpty() {
        return families.isEmpty();
    }

    List<MetricSnapshot> snapshots() {
        List<MetricSnapshot> out = new ArrayList<>(families.size());
        families.forEach((name, f) -> out.add(snapshot(name, f)));
        return out;
    }

    /**
     * The name the client library registers: without the {@code _total} of a counter or the
     * {@code _info} of an info metric.
     */
    static String registeredName(String exposedName) {
        if (exposedName.endsWith("_total")) return exposedName.substring(0, exposedName.length() - 6);
        if (exposedName.endsWith("_info")) return exposedName.substring(0, exposedName.length() - 5);
        return exposedName;
    }

    private void add(Type type, String name, String help, double value, String[] labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException(name + ": labels must be name/value pairs");
        }
        String[] labelNames = new String[labels.length / 2];
        List<String> labelValues = new ArrayList<>(labels.length / 2);
        for (int i = 0; i < labels.length; i += 2) {
            labelNames[i / 2] = labels[i];
            labelValues.add(labels[i + 1]);
        }
        Family family = families.computeIfAbsent(name, n -> new Family(type, help, labelNames));
        if (family.type != type || !Arrays.equals(family.labelNames, labelNames)) {
            throw new IllegalStateException(name + ": inconsistent type or label names");
        }
        family.samples.putIfAbsent(List.copyOf(labelValues), value);
    }

    private static MetricSnapshot snapshot(String exposedName, Family f) {
        String name = registeredName(exposedName);
        switch (f.type) {
            case COUNTER: {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(f.help);
                f.samples.forEach((values, v) -> b.dataPoint(
                        CounterDataPointSnapshot.builder().labels(labels(f.labelNames, values)).value(v).build()));
                return b.build();
            }
            case INFO: {
                InfoSnapshot.Builder b = InfoSnapshot.builder().name(name).help(f.help);
                f.samples.forEach((values, v) -> b.dataPoint(
                        InfoDataPointSnapshot.builder().labels(labels(f.labelNames, values)).build()));
                return b.build();
            }
            case UNTYPED: {
                UnknownSnapshot.Builder b = UnknownSnapshot.builder().name(name).help(f.help);
                f.samples.forEach((values, v) -> b.dataPoint(
                        UnknownDataPointSnapshot.builder().labels(labels(f.labelNames, values)).value(v).build()));
                return b.build();
            }
            default: {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(f.help);
                f.samples.forEach((values, v) -> b.dataPoint(
                        GaugeDataPointSnapshot.builder().labels(labels(f.labelNames, values)).value(v).build()));
                return b.build();
            }
        }
    }

    private static Labels labels(String[] names, List<String> values) {
        return names.length == 0 ? Labels.EMPTY : Labels.of(Arrays.asList(names), values);
    }
}
