package org.caretrail.producers.files;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** The file formats {@link FileImporter} reads. */
public enum ImportFormat {
    /** One event per row, one column per field; the event type comes from {@code --kind}. See the README. */
    CSV("csv"),
    /** One JSON event per line in CareTrail's JSON form, each with {@code "type"}. */
    JSON_LINES("jsonl");

    private final String extension;

    ImportFormat(String extension) {
        this.extension = extension;
    }

    /** The extension rejected-row files get. */
    public String extension() {
        return extension;
    }

    /** The format a file name implies: {@code .csv}, or {@code .jsonl}/{@code .ndjson}/{@code .json}. */
    public static Optional<ImportFormat> forPath(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".csv")) {
            return Optional.of(CSV);
        }
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
            return Optional.of(JSON_LINES);
        }
        return Optional.empty();
    }
}
