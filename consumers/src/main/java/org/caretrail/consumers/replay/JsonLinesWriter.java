package org.caretrail.consumers.replay;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * JSON lines in CareTrail's one JSON form: identifiable care events exactly as {@code caretrail publish}
 * reads them; timeline changes with {@code "type": "timeline-change"}. Pseudonymised lines keep the form
 * but are no longer valid events (pseudonyms are not NHS numbers; {@code birthDate} is {@code ageBand}).
 */
final class JsonLinesWriter implements ReplayWriter {

    private final BufferedWriter out;

    JsonLinesWriter(Path path) throws IOException {
        this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
    }

    @Override
    public void write(ReplayRow row, ObjectNode line) throws IOException {
        out.write(line.toString());
        out.write('\n');
    }

    @Override
    public void finish() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
