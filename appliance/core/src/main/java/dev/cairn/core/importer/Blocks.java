package dev.cairn.core.importer;

import java.util.ArrayList;
import java.util.List;

/**
 * The brace-structured syntax of keepalived.conf and named.conf: statements of words, some with a
 * {@code { ... }} body. keepalived ends a statement at the end of the line; BIND at {@code ;}.
 */
final class Blocks {

    /** One statement: its words, the line it starts on, and its body (null when it has none). */
    record Stmt(List<String> words, int line, List<Stmt> body) {
        String kw() {
            return words.isEmpty() ? "" : words.get(0);
        }

        String arg(int i) {
            return i < words.size() ? words.get(i) : null;
        }
    }

    private record Tok(String text, int line, boolean eol) {
    }

    private Blocks() {
    }

    /** Parses {@code lines}; {@code semicolons} selects BIND's statement ends. */
    static List<Stmt> parse(List<String> lines, boolean semicolons) {
        List<Tok> toks = new ArrayList<>();
        boolean inComment = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (semicolons) {
                StringBuilder b = new StringBuilder();
                for (int j = 0; j < line.length(); j++) {
                    if (inComment) {
                        if (line.startsWith("*/", j)) {
                            inComment = false;
                            j++;
                        }
                        continue;
                    }
                    if (line.startsWith("/*", j)) {
                        inComment = true;
                        j++;
                        continue;
                    }
                    if (line.startsWith("//", j)) break;
                    b.append(line.charAt(j));
                }
                line = b.toString();
            } else {
                int bang = line.indexOf('!');
                if (bang >= 0 && (bang == 0 || line.substring(0, bang).isBlank())) line = "";
            }
            String spaced = line.replace("{", " { ").replace("}", " } ");
            if (semicolons) spaced = spaced.replace(";", " ; ");
            for (String w : Tokens.words(spaced)) toks.add(new Tok(w, i + 1, false));
            toks.add(new Tok("", i + 1, true));
        }
        int[] pos = {0};
        return body(toks, pos, semicolons);
    }

    private static List<Stmt> body(List<Tok> toks, int[] pos, boolean semicolons) {
        List<Stmt> out = new ArrayList<>();
        List<String> words = new ArrayList<>();
        int start = -1;
        while (pos[0] < toks.size()) {
            Tok t = toks.get(pos[0]++);
            if (t.eol) {
                if (!semicolons && !words.isEmpty()) {
                    out.add(new Stmt(List.copyOf(words), start, null));
                    words.clear();
                }
                continue;
            }
            switch (t.text) {
                case "{" -> {
                    if (start < 0) start = t.line;
                    List<Stmt> inner = body(toks, pos, semicolons);
                    out.add(new Stmt(List.copyOf(words), start, inner));
                    words.clear();
                    start = -1;
                    if (semicolons && pos[0] < toks.size()) {
                        // BIND: "};" ends the statement; skip the ';' if it follows.
                        int p = pos[0];
                        while (p < toks.size() && toks.get(p).eol) p++;
                        if (p < toks.size() && toks.get(p).text.equals(";")) pos[0] = p + 1;
                    }
                }
                case "}" -> {
                    if (!words.isEmpty()) out.add(new Stmt(List.copyOf(words), start, null));
                    return out;
                }
                case ";" -> {
                    if (semicolons) {
                        if (!words.isEmpty()) out.add(new Stmt(List.copyOf(words), start, null));
                        words.clear();
                        start = -1;
                    } else {
                        words.add(t.text);
                    }
                }
                default -> {
                    if (words.isEmpty()) start = t.line;
                    words.add(t.text);
                }
            }
            if (!semicolons && t.eol) start = -1;
        }
        if (!words.isEmpty()) out.add(new Stmt(List.copyOf(words), start, null));
        return out;
    }
}
