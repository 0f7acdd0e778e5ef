package org.caretrail.consumers.subscriptions;

import java.time.Instant;
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

/** Synthetic timeline changes for tests. */
final class Changes {

    static final String PATIENT = NhsNumber.withCheckDigit("999000001").orElseThrow().value();

    static {
        org.caretrail.events.AvroTrust.install();
    }

    private Changes() {
    }

    static TimelineChange change(String changeId, EventType type, ChangeKind kind, String sourceOds,
            String practice, Sensitivity sensitivity) {
        return change(changeId, PATIENT, type, kind, sourceOds, practice, sensitivity);
    }

    static TimelineChange change(String changeId, String nhsNumber, EventType type, ChangeKind kind, String sourceOds,
            String practice, Sensitivity sensitivity) {
        Instant at = Instant.parse("2026-11-20T09:15:00Z");
        TimelineEntry entry = TimelineEntry.newBuilder()
                .setEntryId(type + "|" + sourceOds + "|" + changeId)
                .setEventId(changeId)
                .setType(type)
                .setAction(Action.NEW)
                .setSubjectId("S-" + changeId)
                .setVersion(1)
                .setOccurredAt(at)
                .setRecordedAt(at)
                .setSource(Source.newBuilder().setOdsCode(sourceOds).setName("Test Trust")
                        .setKind(ProviderKind.ACUTE).build())
                .setSensitivity(sensitivity)
                .setStatus(EntryStatus.CURRENT)
                .setDetails(java.util.Map.of("ward", "7B"))
                .setLocalId(null)
                .setSummary(type + " at " + sourceOds)
                .build();
        return TimelineChange.newBuilder()
                .setChangeId(changeId)
                .setNhsNumber(nhsNumber)
                .setKind(kind)
                .setEntry(entry)
                .setChangedAt(at)
                .setRegisteredPracticeOdsCode(practice)
                .build();
    }
}
