package org.caretrail.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.junit.jupiter.api.Test;

/**
 * Every schema change must be BACKWARD and FORWARD compatible with every earlier version (the
 * registry enforces FULL_TRANSITIVE too, but this fails in the build, before anything is deployed).
 * Earlier versions live in {@code events-schema/schema-history/<subject>/vN.avsc}; the newest must
 * equal the current schema. To record a compatible change: {@code mvn -pl events-schema test
 * -Dtest=SchemaHistoryTest -Dschema.history.record=true}, then commit the new file.
 */
class SchemaHistoryTest {

    private static final Path HISTORY = Path.of("schema-history");

    static Map<String, Schema> currentSchemas() {
        Map<String, Schema> current = new LinkedHashMap<>();
        for (CareEventType type : CareEventType.values()) {
            current.put(type.topic() + "-value", type.schema());
        }
        current.put("care.timelines-value", Timeline.getClassSchema());
        current.put("care.timeline-changes-value", TimelineChange.getClassSchema());
        return current;
    }

    @Test
    void everySchemaIsFullyCompatibleWithItsWholeHistory() throws IOException {
        boolean record = Boolean.getBoolean("schema.history.record");
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, Schema> entry : currentSchemas().entrySet()) {
            String subject = entry.getKey();
            Schema current = entry.getValue();
            List<Path> versions = versions(subject);
            for (Path version : versions) {
                Schema old = new Schema.Parser().parse(version.toFile());
                failures.addAll(incompatibilities(subject + " " + version.getFileName(), old, current));
            }
            boolean recorded = !versions.isEmpty() && fingerprint(new Schema.Parser()
                    .parse(versions.get(versions.size() - 1).toFile())) == fingerprint(current);
            if (!recorded) {
                if (record) {
                    Path next = HISTORY.resolve(subject).resolve("v" + (versions.size() + 1) + ".avsc");
                    Files.createDirectories(next.getParent());
                    Files.writeString(next, current.toString(true) + "\n");
                } else {
                    failures.add(subject + ": the current schema is not in schema-history; record it with "
                            + "-Dschema.history.record=true once it is compatible");
                }
            }
        }
        assertThat(failures).as("schema evolution problems").isEmpty();
    }

    @Test
    void theCheckCatchesAnIncompatibleChange() {
        Schema current = Timeline.getClassSchema();
        // a new required field without a default: old records cannot be read by the new schema
        List<Schema.Field> fields = new ArrayList<>(current.getFields().stream()
                .map(f -> new Schema.Field(f, f.schema())).toList());
        fields.add(new Schema.Field("ward", Schema.create(Schema.Type.STRING), "new, no default"));
        Schema changed = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        assertThat(incompatibilities("Timeline", current, changed)).singleElement().asString().contains("BACKWARD");

        // removing a field that has no default: new records cannot be read by old readers
        Schema removed = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false,
                current.getFields().stream().filter(f -> !f.name().equals("nhsNumber"))
                        .map(f -> new Schema.Field(f, f.schema())).toList());
        assertThat(incompatibilities("Timeline", current, removed)).singleElement().asString().contains("FORWARD");
    }

    static List<String> incompatibilities(String what, Schema old, Schema current) {
        List<String> problems = new ArrayList<>();
        var backward = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
        if (backward.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            problems.add(what + ": not BACKWARD compatible (new readers cannot read old data): "
                    + backward.getResult().getIncompatibilities());
        }
        var forward = SchemaCompatibility.checkReaderWriterCompatibility(old, current);
        if (forward.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            problems.add(what + ": not FORWARD compatible (old readers cannot read new data): "
                    + forward.getResult().getIncompatibilities());
        }
        return problems;
    }

    private static List<Path> versions(String subject) throws IOException {
        Path dir = HISTORY.resolve(subject);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("v\\d+\\.avsc"))
                    .sorted(Comparator.comparingInt(f -> Integer.parseInt(f.getFileName().toString().replaceAll("\\D", ""))))
                    .toList();
        }
    }

    private static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }
}
