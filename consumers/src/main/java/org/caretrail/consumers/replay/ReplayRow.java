package org.caretrail.consumers.replay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/**
 * One replayed record as a flat row: the columns of the CSV and Parquet output, in order.
 * {@code body} is the event's own fields (everything but the header) as JSON; for a timeline
 * change it is the entry's details, status and the registered practice.
 */
public record ReplayRow(String topic, int partition, long offset, Instant kafkaTimestamp, String eventType,
        String eventId, String action, String subjectId, long version, Instant occurredAt, Instant recordedAt,
        String sourceOdsCode, String sourceName, String providerKind, String sourceSystem, String nhsNumber,
        String localIdSystem, String localIdValue, String sensitivity, String changeKind, String summary,
        String body) {

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

    /** The row of a (possibly pseudonymised) care event or timeline change. */
    public static ReplayRow of(String topic, int partition, long offset, Instant timestamp, SpecificRecord record) {
        if (record instanceof TimelineChange change) {
            TimelineEntry entry = change.getEntry();
            LocalIdentifier local = entry.getLocalId();
            ObjectNode body = CareEventJson.mapper().createObjectNode();
            body.put("status", entry.getStatus().name());
            body.put("registeredPracticeOdsCode", change.getRegisteredPracticeOdsCode());
            body.put("changeId", change.getChangeId());
            body.put("changedAt", change.getChangedAt().toString());
            body.set("details", CareEventJson.mapper().valueToTree(entry.getDetails()));
            return new ReplayRow(topic, partition, offset, timestamp,
                    CareEventType.of(entry.getType()).jsonName(), entry.getEventId(), entry.getAction().name(),
                    entry.getSubjectId(), entry.getVersion(), entry.getOccurredAt(), entry.getRecordedAt(),
                    entry.getSource().getOdsCode(), entry.getSource().getName(), entry.getSource().getKind().name(),
                    entry.getSource().getSystem(), change.getNhsNumber(), local == null ? null : local.getSystem(),
                    local == null ? null : local.getValue(), entry.getSensitivity().name(), change.getKind().name(),
                    entry.getSummary(), body.toString());
        }
        EventHeader header = CareEvents.header(record);
        LocalIdentifier local = header.getPatient().getLocalId();
        ObjectNode body = CareEventJson.toJson(record);
        body.remove("header");
        return new ReplayRow(topic, partition, offset, timestamp, CareEventType.of(record).jsonName(),
                header.getEventId(), header.getAction().name(), header.getSubjectId(), header.getVersion(),
                header.getOccurredAt(), header.getRecordedAt(), header.getSource().getOdsCode(),
                header.getSource().getName(), header.getSource().getKind().name(), header.getSource().getSystem(),
                header.getPatient().getNhsNumber(), local == null ? null : local.getSystem(),
                local == null ? null : local.getValue(), header.getSensitivity().name(), null, null, body.toString());
    }
}
