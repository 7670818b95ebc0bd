package dev.cairn.core.config;

import dev.cairn.spi.config.ConfigProblems;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/**
 * The problems of one load, each with file, line, column and key path; it remembers which YAML
 * node each bound record came from, so a validator that reports against a record points at the
 * right line. Not thread-safe: one per load.
 */
final class ConfigProblemList implements ConfigProblems {

    private final String file;
    private final List<ConfigError> errors = new ArrayList<>();
    private final Map<Object, Located> locations = new IdentityHashMap<>();

    private record Located(String path, Node node) {
    }

    ConfigProblemList(String file) {
        this.file = file;
    }

    /** Remembers where a bound record came from, so later checks can point at its line. */
    void located(Object instance, String path, Node node) {
        locations.put(instance, new Located(path, node));
    }

    public List<ConfigError> errors() {
        List<ConfigError> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.comparingInt(ConfigError::line).thenComparingInt(ConfigError::column));
        return sorted;
    }

    @Override
    public boolean hasErrors() {
        return !errors.isEmpty();
    }

    @Override
    public void error(Object record, String key, String message) {
        Located loc = record == null ? null : locations.get(record);
        if (loc == null) {
            errors.add(new ConfigError(file, 0, 0, key == null ? "" : key, message));
            return;
        }
        String path = key == null ? loc.path : ConfigBinder.join(loc.path, key);
        Node at = loc.node;
        if (key != null && loc.node instanceof MappingNode mapping) {
            for (NodeTuple t : mapping.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    at = t.getValueNode();
                }
            }
        }
        error(at, path, message);
    }

    @Override
    public void error(String path, String message) {
        errors.add(new ConfigError(file, 0, 0, path, message));
    }

    /** Reports a problem at a node. */
    public void error(Node node, String path, String message) {
        int line = 0;
        int col = 0;
        if (node != null) {
            Optional<Mark> mark = node.getStartMark();
            if (mark.isPresent()) {
                line = mark.get().getLine() + 1;
                col = mark.get().getColumn() + 1;
            }
        }
        errors.add(new ConfigError(file, line, col, path, message));
    }

    /** The node a bound record came from, for callers that report their own errors. */
    public Optional<Node> nodeOf(Object record) {
        Located l = locations.get(record);
        return l == null ? Optional.empty() : Optional.ofNullable(l.node);
    }

}
