package org.caretrail.events.serde;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

/**
 * A registry in memory, for unit tests and {@code TopologyTestDriver}: same ids-per-schema
 * behaviour and the same compatibility rules, no server. Never used by the running platform.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {

    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<Schema, Integer> idBySchema = new HashMap<>();
    private final Map<String, List<Schema>> versions = new HashMap<>();
    private final Map<String, String> compatibility = new HashMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        List<Schema> history = versions.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!history.contains(schema)) {
            if (!isCompatible(subject, schema)) {
                throw new SchemaRegistryException("schema for " + subject + " is incompatible with "
                        + compatibility.getOrDefault(subject, "BACKWARD"), 409);
            }
            history.add(schema);
        }
        return idBySchema.computeIfAbsent(schema, s -> {
            int id = byId.size() + 1;
            byId.put(id, s);
            return id;
        });
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException("schema " + id + " not found", 404);
        }
        return schema;
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        List<Schema> history = versions.getOrDefault(subject, List.of());
        if (history.isEmpty()) {
            return true;
        }
        String level = compatibility.getOrDefault(subject, "BACKWARD");
        boolean transitive = level.endsWith("_TRANSITIVE");
        List<Schema> against = transitive ? history : List.of(history.get(history.size() - 1));
        for (Schema old : against) {
            boolean backward = SchemaCompatibility.checkReaderWriterCompatibility(schema, old).getType()
                    == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
            boolean forward = SchemaCompatibility.checkReaderWriterCompatibility(old, schema).getType()
                    == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
            boolean ok = switch (level.replace("_TRANSITIVE", "")) {
                case "NONE" -> true;
                case "FORWARD" -> forward;
                case "FULL" -> forward && backward;
                default -> backward;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized void setCompatibility(String subject, String level) {
        compatibility.put(subject, level);
    }
}
