package dev.cairn.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The Prometheus text format (0.0.4) parsed back into samples, so that tests can assert on series
 * by name and labels. Handles escaped label values ({@code \"}, {@code \\}, {@code \n}).
 */
final class Exposition {

    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final Map<String, String> types = new LinkedHashMap<>();
    private final Map<String, String> helps = new LinkedHashMap<>();
    private final String text;

    private Exposition(String text) {
        this.text = text;
    }

    static Exposition parse(String text) {
        Exposition e = new Exposition(text);
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            if (line.startsWith("# TYPE ")) {
                String[] t = line.substring(7).split(" ", 2);
                e.types.put(t[0], t[1]);
            } else if (line.startsWith("# HELP ")) {
                String[] t = line.substring(7).split(" ", 2);
                e.helps.put(t[0], t.length > 1 ? t[1] : "");
            } else if (!line.startsWith("#")) {
                e.samples.add(sample(line));
            }
        }
        return e;
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') i++;
        String name = line.substring(0, i);
        Map<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq).trim();
                i = eq + 2; // skip ="
                StringBuilder value = new StringBuilder();
                while (line.charAt(i) != '"') {
                    char c = line.charAt(i);
                    if (c == '\\') {
                        char n = line.charAt(++i);
                        value.append(n == 'n' ? '\n' : n);
                    } else {
                        value.append(c);
                    }
                    i++;
                }
                labels.put(label, value.toString());
                i++; // closing quote
                if (line.charAt(i) == ',') i++;
            }
            i++;
        }
        String[] rest = line.substring(i).trim().split(" ");
        return new Sample(name, labels, Double.parseDouble(rest[0]));
    }

    String text() {
        return text;
    }

    /** TYPE per family name as written ({@code node_cpu_seconds_total} -> counter). */
    Map<String, String> types() {
        return types;
    }

    Map<String, String> helps() {
        return helps;
    }

    List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The one sample of {@code name} whose labels include {@code labels} (name/value pairs). */
    Optional<Sample> find(String name, String... labels) {
        return samples(name).stream().filter(s -> {
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.labels().get(labels[i]))) return false;
            }
            return true;
        }).findFirst();
    }

    double value(String name, String... labels) {
        return find(name, labels).orElseThrow(() -> new AssertionError(
                "no sample " + name + " " + String.join(",", labels) + " in:\n" + text)).value();
    }
}
