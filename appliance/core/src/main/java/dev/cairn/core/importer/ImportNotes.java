package dev.cairn.core.importer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an import could not translate, each note naming the source file and line. A note is
 * either harmless (the directive has no effect Cairn would need: logging, chroot, daemon) or
 * changes behaviour (Cairn would serve differently): the latter makes {@code cairn import} exit 1.
 */
final class ImportNotes {

    /** One note. */
    record Note(Path file, int line, String directive, String message, boolean changesBehaviour) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + directive + ": " + message
                    + (changesBehaviour ? " [changes behaviour]" : "");
        }
    }

    private final List<Note> notes = new ArrayList<>();

    /** Not translated, and Cairn behaves the same without it. */
    void ignored(Path file, int line, String directive, String message) {
        notes.add(new Note(file, line, directive, message, false));
    }

    /** Not translated (or only partly), and Cairn behaves differently because of it. */
    void unsupported(Path file, int line, String directive, String message) {
        notes.add(new Note(file, line, directive, message, true));
    }

    List<Note> all() {
        return List.copyOf(notes);
    }

    boolean behaviourChanges() {
        return notes.stream().anyMatch(Note::changesBehaviour);
    }
}
