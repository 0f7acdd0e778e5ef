package org.caretrail.it.faults;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;

/** Synthetic events for the fault tests: A&E attendances of patients from the 999 test range. */
final class FaultEvents {

    private FaultEvents() {
    }

    /** {@code count} valid NHS numbers (Modulus 11) from the 999 range, starting the search at {@code from}. */
    static List<String> patients(int count, int from) {
        List<String> patients = new ArrayList<>();
        for (int i = 0; patients.size() < count; i++) {
            NhsNumber.withCheckDigit(String.format("999%06d", from + i)).ifPresent(n -> patients.add(n.value()));
        }
        return patients;
    }

    /** One attendance at ED, its own care item (each one a new timeline entry). */
    static Attendance attendance(String nhs, Instant at) {
        EventHeader header = EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString()).setAction(Action.NEW)
                .setSubjectId("ae-" + UUID.randomUUID()).setVersion(1)
                .setOccurredAt(at).setRecordedAt(at.plusSeconds(5))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, "fault-test"))
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL).build();
        return Attendance.newBuilder().setHeader(header).setDepartment("ED").build();
    }
}
