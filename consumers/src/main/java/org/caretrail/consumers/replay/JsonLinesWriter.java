package org.caretrail.consumers.replay;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.TimelineChange;

/** JSON lines in CareTrail's one JSON form: care events as {@code caretrail publish} reads them. */
final class JsonLinesWriter implements ReplayWriter {

    private final BufferedWriter out;

    JsonLinesWriter(Path path) throws IOException {
        this.out = Files.newBufferedWriter(path, StandardCharsets.UTF_8);
    }

    @Override
    public void write(ReplayRow row, SpecificRecord record) throws IOException {
        if (record instanceof TimelineChange change) {
            var node = CareEventJson.mapper().createObjectNode();
            node.put("type", "timeline-change");
            node.setAll(CareEventJson.toJson(change));
            out.write(node.toString());
        } else {
            out.write(CareEventJson.toEventJsonLine(record));
        }
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
