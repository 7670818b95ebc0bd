package dev.cairn.core.config;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.nodes.ScalarNode;

/** {@code ${env:NAME}} in any scalar of the file, from the process environment (or a test's map). */
final class EnvSubstitution {

    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

    private final Map<String, String> env;

    EnvSubstitution(Map<String, String> env) {
        this.env = env;
    }

    /** The node's text with every {@code ${env:NAME}} replaced; null (after reporting) when one is not set. */
    String apply(ScalarNode s, String path, ConfigProblemList problems) {
        String text = s.getValue();
        Matcher m = ENV.matcher(text);
        StringBuilder sb = new StringBuilder();
        boolean ok = true;
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null) {
                problems.error(s, path, "environment variable " + m.group(1) + " is not set");
                ok = false;
                value = "";
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return ok ? sb.toString() : null;
    }
}
