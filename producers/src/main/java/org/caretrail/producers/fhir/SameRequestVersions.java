package org.caretrail.producers.fhir;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.EventHeader;

/**
 * Sets {@code header.supersedes} where the gateway truly knows it: when one request (a Bundle) holds
 * two or more versions of the same care item (same event type, organisation and subjectId), each
 * later version names the eventId of the one before it, so the correction or cancel wins whatever
 * clocks stamped their versions.
 *
 * <p>"Later" is by meta.versionId when every version of the item in the request has a numeric one
 * (FHIR servers count versions 1, 2, 3...), else by the event's version (meta.lastUpdated), then by the
 * order of the entries. Across requests the gateway does not know which event an earlier version of a
 * resource gave (a FHIR Encounter's versions may be an admission, a transfer and a discharge, which are
 * different items), so it names none: the items are then ordered by version alone, as the contract says.
 */
final class SameRequestVersions {

    private SameRequestVersions() {
    }

    /** One entry's events and its resource's meta.versionId (null when it has none). */
    record Entry(List<SpecificRecord> events, String versionId) {
    }

    static void link(List<Entry> entries) {
        Map<String, List<Candidate>> items = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            Long versionId = numeric(entry.versionId());
            for (SpecificRecord event : entry.events()) {
                EventHeader h = CareEvents.header(event);
                String item = CareEventType.of(event).name() + "|" + h.getSource().getOdsCode() + "|" + h.getSubjectId();
                items.computeIfAbsent(item, k -> new ArrayList<>()).add(new Candidate(h, i, versionId));
            }
        }
        for (List<Candidate> versions : items.values()) {
            if (versions.size() < 2) {
                continue;
            }
            boolean counted = versions.stream().allMatch(c -> c.versionId() != null);
            versions.sort(counted
                    ? Comparator.comparingLong(Candidate::versionId).thenComparingInt(Candidate::entry)
                    : Comparator.comparingLong((Candidate c) -> c.header().getVersion())
                            .thenComparingInt(Candidate::entry));
            for (int i = 1; i < versions.size(); i++) {
                EventHeader before = versions.get(i - 1).header();
                EventHeader later = versions.get(i).header();
                if (later.getSupersedes() == null && !later.getEventId().equals(before.getEventId())) {
                    later.setSupersedes(before.getEventId());
                }
            }
        }
    }

    private record Candidate(EventHeader header, int entry, Long versionId) {
    }

    private static Long numeric(String versionId) {
        if (versionId == null) {
            return null;
        }
        try {
            return Long.parseLong(versionId.trim());
        } catch (NumberFormatException e) {
            return null; // an opaque version id: not counted
        }
    }
}
