package org.caretrail.it.consumers;

import java.time.Instant;
import java.util.Map;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/** Synthetic timeline changes, as the stream processor writes them, for the consumers' integration tests. */
final class TestChanges {

    private TestChanges() {
    }

    /** The i-th synthetic patient: NHS numbers 999 000 1xx with a valid check digit. */
    static String patient(int i) {
        for (int n = i; ; n += 100) {
            var nhs = NhsNumber.withCheckDigit(String.format("9990%05d", 100 + n));
            if (nhs.isPresent()) {
                return nhs.get().value();
            }
        }
    }

    static TimelineChange change(String nhsNumber, int seq, EventType type, String sourceOds, String practice,
            Sensitivity sensitivity) {
        Instant at = Instant.parse("2026-11-20T09:00:00Z").plusSeconds(seq * 60L);
        String eventId = nhsNumber + "-" + seq;
        TimelineEntry entry = TimelineEntry.newBuilder()
                .setEntryId(type + "|" + sourceOds + "|S" + eventId)
                .setEventId(eventId)
                .setType(type)
                .setAction(Action.NEW)
                .setSubjectId("S" + eventId)
                .setVersion(1)
                .setOccurredAt(at)
                .setRecordedAt(at)
                .setSource(Source.newBuilder().setOdsCode(sourceOds).setName("Org " + sourceOds)
                        .setKind(ProviderKind.ACUTE).setSystem("it").build())
                .setSensitivity(sensitivity)
                .setStatus(EntryStatus.CURRENT)
                .setSummary(type + " #" + seq)
                .setDetails(Map.of("seq", Integer.toString(seq)))
                .setLocalId(null)
                .build();
        return TimelineChange.newBuilder()
                .setChangeId(eventId + ":ADDED")
                .setNhsNumber(nhsNumber)
                .setKind(ChangeKind.ADDED)
                .setEntry(entry)
                .setChangedAt(at)
                .setRegisteredPracticeOdsCode(practice)
                .build();
    }
}
