package org.caretrail.consumers.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.TimelineChange;

/**
 * One replayed record as a flat row: the columns of the CSV and Parquet output, in order, read from
 * the record's JSON line (after pseudonymisation, when asked for). {@code body} is the event's own
 * fields (everything but the header) as JSON; for a timeline change it is the entry's details,
 * status and the registered practice.
 */
public record ReplayRow(String topic, int partition, long offset, Instant kafkaTimestamp, String eventType,
        String eventId, String action, String subjectId, long version, Instant occurredAt, Instant recordedAt,
        String sourceOdsCode, String sourceName, String providerKind, String sourceSystem, String nhsNumber,
        String localIdSystem, String localIdValue, String sensitivity, String changeKind, String summary,
        String body) {

    /** The {@code "type"} of a timeline change's JSON line. */
    public static final String TIMELINE_CHANGE = "timeline-change";

    /** Column names and DuckDB types, in row order. */
    public static final String[][] COLUMNS = {
        {"topic", "VARCHAR"}, {"partition", "INTEGER"}, {"offset", "BIGINT"}, {"kafka_timestamp", "TIMESTAMPTZ"},
        {"event_type", "VARCHAR"}, {"event_id", "VARCHAR"}, {"action", "VARCHAR"}, {"subject_id", "VARCHAR"},
        {"version", "BIGINT"}, {"occurred_at", "TIMESTAMPTZ"}, {"recorded_at", "TIMESTAMPTZ"},
        {"source_ods_code", "VARCHAR"}, {"source_name", "VARCHAR"}, {"provider_kind", "VARCHAR"},
        {"source_system", "VARCHAR"}, {"nhs_number", "VARCHAR"}, {"local_id_system", "VARCHAR"},
        {"local_id_value", "VARCHAR"}, {"sensitivity", "VARCHAR"}, {"change_kind", "VARCHAR"},
        {"summary", "VARCHAR"}, {"body", "JSON"},
    };

    /**
     * The JSON line of a care event or timeline change: CareEventJson's form with its {@code "type"}
     * ({@code "admission"}, ..., or {@value #TIMELINE_CHANGE}).
     */
    public static ObjectNode line(SpecificRecord record) {
        if (record instanceof TimelineChange change) {
            ObjectNode node = CareEventJson.mapper().createObjectNode();
            node.put("type", TIMELINE_CHANGE);
            node.setAll(CareEventJson.toJson(change));
            return node;
        }
        return CareEventJson.toEventJson(record);
    }

    /** The row of a record's JSON {@link #line}. */
    public static ReplayRow of(String topic, int partition, long offset, Instant timestamp, ObjectNode line) {
        if (TIMELINE_CHANGE.equals(line.path("type").asText())) {
            JsonNode entry = line.path("entry");
            ObjectNode body = CareEventJson.mapper().createObjectNode();
            body.put("status", text(entry, "status"));
            body.put("registeredPracticeOdsCode", text(line, "registeredPracticeOdsCode"));
            body.put("changeId", text(line, "changeId"));
            body.put("changedAt", text(line, "changedAt"));
            body.set("details", entry.path("details").isObject() ? entry.get("details")
                    : CareEventJson.mapper().createObjectNode());
            String type = text(entry, "type");
            return new ReplayRow(topic, partition, offset, timestamp,
                    type == null ? null : CareEventType.of(EventType.valueOf(type)).jsonName(), text(entry, "eventId"),
                    text(entry, "action"), text(entry, "subjectId"), entry.path("version").asLong(),
                    instant(entry, "occurredAt"), instant(entry, "recordedAt"), text(entry.path("source"), "odsCode"),
                    text(entry.path("source"), "name"), text(entry.path("source"), "kind"),
                    text(entry.path("source"), "system"), text(line, "nhsNumber"), text(entry.path("localId"), "system"),
                    text(entry.path("localId"), "value"), text(entry, "sensitivity"), text(line, "kind"),
                    text(entry, "summary"), body.toString());
        }
        JsonNode header = line.path("header");
        ObjectNode body = line.deepCopy();
        body.remove("type");
        body.remove("header");
        JsonNode patient = header.path("patient");
        return new ReplayRow(topic, partition, offset, timestamp, text(line, "type"), text(header, "eventId"),
                text(header, "action"), text(header, "subjectId"), header.path("version").asLong(),
                instant(header, "occurredAt"), instant(header, "recordedAt"), text(header.path("source"), "odsCode"),
                text(header.path("source"), "name"), text(header.path("source"), "kind"),
                text(header.path("source"), "system"), text(patient, "nhsNumber"),
                text(patient.path("localId"), "system"), text(patient.path("localId"), "value"),
                text(header, "sensitivity"), null, null, body.toString());
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isMissingNode() || value.isNull() ? null : value.asText();
    }

    private static Instant instant(JsonNode node, String field) {
        String text = text(node, field);
        return text == null ? null : Instant.parse(text);
    }
}
