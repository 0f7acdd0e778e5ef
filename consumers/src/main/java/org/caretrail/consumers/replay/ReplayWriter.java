package org.caretrail.consumers.replay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** Where replayed records go. */
interface ReplayWriter extends AutoCloseable {

    /** Writes one record: its flat {@code row}, and its JSON {@code line} (pseudonymised already if asked). */
    void write(ReplayRow row, ObjectNode line) throws IOException;

    /** Completes the output file; called once, after the last row. */
    void finish() throws IOException;

    @Override
    void close() throws IOException;

    static ReplayWriter open(ReplayFormat format, java.nio.file.Path out) throws IOException {
        return switch (format) {
            case JSONL -> new JsonLinesWriter(out);
            case CSV, PARQUET -> new DuckDbWriter(format, out);
        };
    }
}
