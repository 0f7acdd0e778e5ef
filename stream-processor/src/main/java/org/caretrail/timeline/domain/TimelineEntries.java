package org.caretrail.timeline.domain;

import org.caretrail.events.AvroTrust;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.TimelineEntry;

/**
 * Turns one care event into the timeline entry it states: header fields, a readable summary line
 * and the body fields as text ({@code details}), which is all the timeline and its derived views
 * need. Pure: no Kafka.
 */
public final class TimelineEntries {

    static {
        AvroTrust.install(); // the generated model classes are used here before any serde
    }

    private TimelineEntries() {
    }

    /** The stable id of the care item an event is about: {@code TYPE|odsCode|subjectId}. */
    public static String entryId(EventType type, String odsCode, String subjectId) {
        return type.name() + "|" + odsCode + "|" + subjectId;
    }

    /** The entry {@code event} states, status {@code CURRENT}; throws for identity and consent events. */
    public static TimelineEntry fromEvent(SpecificRecord event) {
        CareEventType careType = CareEventType.of(event);
        EventType type = careType.timelineType().orElseThrow(() -> new IllegalArgumentException(
                careType.jsonName() + " events are not timeline entries"));
        EventHeader h = CareEvents.header(event);
        Map<String, String> details = details(event);
        return TimelineEntry.newBuilder()
                .setEntryId(entryId(type, h.getSource().getOdsCode(), h.getSubjectId()))
                .setEventId(h.getEventId())
                .setType(type)
                .setAction(h.getAction())
                .setSubjectId(h.getSubjectId())
                .setVersion(h.getVersion())
                .setOccurredAt(h.getOccurredAt())
                .setRecordedAt(h.getRecordedAt())
                .setSource(h.getSource())
                .setSensitivity(h.getSensitivity())
                .setStatus(EntryStatus.CURRENT)
                .setSummary(summaryLine(type, h, details))
                .setDetails(details)
                .setLocalId(h.getPatient().getLocalId())
                .build();
    }

    /** The body fields (everything but the header) that have a value, as text in schema order. */
    static Map<String, String> details(SpecificRecord event) {
        Map<String, String> details = new LinkedHashMap<>();
        for (Schema.Field field : event.getSchema().getFields()) {
            if (field.name().equals("header")) {
                continue;
            }
            Object value = event.get(field.pos());
            if (value != null) {
                details.put(field.name(), value.toString());
            }
        }
        return details;
    }

    private static String summaryLine(EventType type, EventHeader h, Map<String, String> d) {
        String where = h.getSource().getName() != null ? h.getSource().getName() : h.getSource().getOdsCode();
        String what = switch (type) {
            case ADMISSION -> "Admitted" + opt(" to ward ", d.get("ward")) + opt(" (", d.get("specialty"), ")");
            case TRANSFER -> "Transferred" + opt(" from ", d.get("fromWard")) + opt(" to ", d.get("toWard"));
            case DISCHARGE -> "Discharged" + opt(" to ", d.get("destination"));
            case ATTENDANCE -> "A&E attendance" + opt(": ", d.get("chiefComplaint"));
            case REFERRAL -> "Referral" + opt(" to ", d.get("specialty")) + opt(" (", d.get("priority"), ")");
            case PRESCRIPTION -> "Prescribed " + d.get("medication") + opt(" ", d.get("dose"));
            case APPOINTMENT -> "Appointment" + opt(" with ", d.get("service")) + opt(" (", d.get("status"), ")");
            case AMBULANCE_CONVEYANCE -> "Ambulance conveyance" + opt(" category ", d.get("category"))
                    + opt(" to ", d.get("destinationOdsCode"));
            case SOCIAL_CARE -> "Social care: " + d.get("kind") + opt(" - ", d.get("description"));
            case GP_REGISTRATION -> "GP registration with " + d.getOrDefault("practiceName", d.get("practiceOdsCode"))
                    + opt(" (", d.get("status"), ")");
            case DEATH -> "Died" + opt(" at ", d.get("placeOfDeath"));
        };
        String cancelled = h.getAction() == Action.CANCEL ? " [cancellation]" : "";
        return what + cancelled + " - " + where;
    }

    private static String opt(String prefix, String value) {
        return value == null || value.isBlank() ? "" : prefix + value;
    }

    private static String opt(String prefix, String value, String suffix) {
        return value == null || value.isBlank() ? "" : prefix + value + suffix;
    }
}
