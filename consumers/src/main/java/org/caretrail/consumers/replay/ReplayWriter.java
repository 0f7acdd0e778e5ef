package org.caretrail.consumers.replay;

import java.io.IOException;
import org.apache.avro.specific.SpecificRecord;

/** Where replayed records go. */
interface ReplayWriter extends AutoCloseable {

    void write(ReplayRow row, SpecificRecord record) throws IOException;

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
