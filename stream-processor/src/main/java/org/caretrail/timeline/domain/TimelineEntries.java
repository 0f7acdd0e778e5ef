package org.caretrail.timeline.domain;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.TimelineEntry;

/**
 * Turns one care event into the timeline entry it states: header fields, a readable summary line
 * and the body fields as text ({@code details}), which is all the timeline and its derived views
 * need. Pure: no Kafka.
 *
 * <p>Details are flat and readable: a nested record becomes one key per part ({@code location.pointOfCare},
 * {@code location.room}, {@code location.bed}, {@code location.site}...), a code becomes
 * {@code system|code|display} ({@code medicationCode}), a list one key per item ({@code diagnoses.0},
 * {@code diagnoses.1}), a timestamp its ISO-8601 text.
 */
public final class TimelineEntries {

    /** Longest summary line kept (the details hold the full text, within the event's own limits). */
    public static final int MAX_SUMMARY_CHARS = 500;

    private static final Pattern ROOM_WORD = Pattern.compile("(?i)^(bay|room|side ?room|cubicle|cube|pod|area)\\b.*");
    private static final Pattern BED_WORD = Pattern.compile("(?i)^(bed|trolley|chair|cot)\\b.*");

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
        return fromEvent(event, null);
    }

    /**
     * As {@link #fromEvent(SpecificRecord)}, first placed for {@code nhs} (see {@link #placedFor}): the same as
     * {@code placedFor(fromEvent(event), nhs)} without a copy.
     */
    public static TimelineEntry fromEvent(SpecificRecord event, String nhs) {
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
                .setSupersedes(h.getSupersedes())
                .setOriginNhsNumber(nhs)
                .build();
    }

    /**
     * {@code entry} as first placed for {@code nhs}: its {@code originNhsNumber} is the NHS number it was
     * published for or linked to, before any merge redirects it (an unmerge moves it back there). An entry
     * that has one already (it is being moved) keeps it.
     */
    public static TimelineEntry placedFor(TimelineEntry entry, String nhs) {
        if (entry.getOriginNhsNumber() != null) {
            return entry;
        }
        return TimelineEntry.newBuilder(entry).setOriginNhsNumber(nhs).build();
    }

    /** The body fields (everything but the header) that have a value, flattened to readable text, in schema order. */
    static Map<String, String> details(SpecificRecord event) {
        Map<String, String> details = new LinkedHashMap<>();
        for (Schema.Field field : event.getSchema().getFields()) {
            if (field.name().equals("header")) {
                continue;
            }
            flatten(field.name(), event.get(field.pos()), details);
        }
        return details;
    }

    private static void flatten(String key, Object value, Map<String, String> details) {
        if (value == null) {
            return;
        }
        if (value instanceof Coding c) {
            details.put(key, coding(c));
        } else if (value instanceof IndexedRecord nested) {
            for (Schema.Field f : nested.getSchema().getFields()) {
                flatten(key + "." + f.name(), nested.get(f.pos()), details);
            }
        } else if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                flatten(key + "." + i++, item, details);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> flatten(key + "." + k, v, details));
        } else {
            details.put(key, value.toString());
        }
    }

    /** A code as text: {@code system|code|display} (display left out when not sent). */
    public static String coding(Coding c) {
        return c.getSystem() + "|" + c.getCode() + (c.getDisplay() == null ? "" : "|" + c.getDisplay());
    }

    /** A code read back from its text form; null for null. */
    public static Coding coding(String text) {
        if (text == null) {
            return null;
        }
        String[] parts = text.split("\\|", 3);
        return new Coding(parts[0], parts.length > 1 ? parts[1] : "", parts.length > 2 ? parts[2] : null);
    }

    /**
     * Where a patient is, as people say it, from the details {@code prefix.pointOfCare}, {@code .room},
     * {@code .bed} (and {@code .site} when nothing else is known), falling back to {@code fallbackWard}:
     * "AMU bay 2 bed 4", "Ward 12 bed 7".
     */
    public static String place(Map<String, String> d, String prefix, String fallbackWard) {
        String ward = blank(d.get(prefix + ".pointOfCare")) ? fallbackWard : d.get(prefix + ".pointOfCare");
        StringBuilder s = new StringBuilder(blank(ward) ? "" : ward);
        String room = d.get(prefix + ".room");
        if (!blank(room)) {
            s.append(s.isEmpty() ? "" : " ").append(ROOM_WORD.matcher(room).matches() ? room : "bay " + room);
        }
        String bed = d.get(prefix + ".bed");
        if (!blank(bed)) {
            s.append(s.isEmpty() ? "" : " ").append(BED_WORD.matcher(bed).matches() ? bed : "bed " + bed);
        }
        if (s.isEmpty() && !blank(d.get(prefix + ".site"))) {
            s.append(d.get(prefix + ".site"));
        }
        return s.isEmpty() ? null : s.toString();
    }

    private static String summaryLine(EventType type, EventHeader h, Map<String, String> d) {
        String where = h.getSource().getName() != null ? h.getSource().getName() : h.getSource().getOdsCode();
        String what = switch (type) {
            case ADMISSION -> "Admitted" + opt(" to ", place(d, "location", d.get("ward")))
                    + opt(" (", d.get("specialty"), ")");
            case TRANSFER -> transferLine(d);
            case DISCHARGE -> "Discharged" + opt(" to ", d.get("destination"))
                    + opt(" from ", place(d, "location", d.get("ward")));
            case ATTENDANCE -> "A&E attendance" + opt(": ", d.get("chiefComplaint"))
                    + opt(" (", lower(d.get("outcome")), ")");
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
        String line = what + cancelled + " - " + where;
        return line.length() <= MAX_SUMMARY_CHARS ? line : line.substring(0, MAX_SUMMARY_CHARS - 1) + "…";
    }

    private static String transferLine(Map<String, String> d) {
        String from = place(d, "fromLocation", d.get("fromWard"));
        String to = place(d, "toLocation", d.get("toWard"));
        String reason = switch (d.getOrDefault("reason", "")) {
            case "CHANGED_TO_INPATIENT" -> " (now an inpatient)";
            case "CHANGED_TO_OUTPATIENT" -> " (now an outpatient)";
            case "SWAPPED_BEDS" -> " (beds swapped)";
            default -> "";
        };
        return "Transferred" + opt(" from ", from) + opt(" to ", to) + reason;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }

    private static String opt(String prefix, String value) {
        return value == null || value.isBlank() ? "" : prefix + value;
    }

    private static String opt(String prefix, String value, String suffix) {
        return value == null || value.isBlank() ? "" : prefix + value + suffix;
    }
}
