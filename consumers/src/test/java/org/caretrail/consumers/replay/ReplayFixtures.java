package org.caretrail.consumers.replay;

import java.time.Instant;
import java.util.UUID;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Consent;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;

/** Synthetic care events for replay tests. */
final class ReplayFixtures {

    static {
        AvroTrust.install();
    }

    static final String ALICE = NhsNumber.withCheckDigit("999000001").orElseThrow().value();
    static final String BOB = NhsNumber.withCheckDigit("999000002").orElseThrow().value();

    private ReplayFixtures() {
    }

    static EventHeader header(String nhsNumber, ProviderKind kind, String ods, Instant at) {
        return EventHeader.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAction(Action.NEW)
                .setSubjectId("S-" + UUID.randomUUID())
                .setVersion(1)
                .setOccurredAt(at)
                .setRecordedAt(at)
                .setSource(Source.newBuilder().setOdsCode(ods).setName("Org " + ods).setKind(kind).setSystem("test")
                        .build())
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhsNumber)
                        .setLocalId(LocalIdentifier.newBuilder().setSystem(ods + "-MRN").setValue("MRN-" + nhsNumber)
                                .build())
                        .build())
                .setSensitivity(Sensitivity.NORMAL)
                .build();
    }

    static Admission admission(String nhsNumber, Instant at) {
        return Admission.newBuilder()
                .setHeader(header(nhsNumber, ProviderKind.ACUTE, "RJ1", at))
                .setSite("St Thomas'").setWard("7B").setSpecialty("Cardiology").setAdmissionMethod("EMERGENCY")
                .setConsultant("Dr Who")
                .build();
    }

    static PatientIdentity identity(String nhsNumber, Instant at) {
        return PatientIdentity.newBuilder()
                .setHeader(header(nhsNumber, ProviderKind.GP, "A81001", at))
                .setKind(IdentityKind.LINK)
                .setNhsNumber(nhsNumber)
                .setLocalId(LocalIdentifier.newBuilder().setSystem("RJ1-MRN").setValue("12345").build())
                .setSupersededNhsNumber(null)
                .setFamilyName("Smith").setGivenName("Alice").setPostcode("SE1 7EH")
                .setBirthDate(java.time.LocalDate.of(1950, 3, 1))
                .build();
    }

    static Consent consent(String nhsNumber, boolean optOut, Instant at) {
        return Consent.newBuilder()
                .setHeader(header(nhsNumber, ProviderKind.GP, "A81001", at))
                .setNationalDataOptOut(optOut)
                .setPreferences(java.util.Map.of())
                .build();
    }
}
