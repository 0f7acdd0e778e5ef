package org.caretrail.it.webview;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Transfer;

/**
 * Patients of issue 8, as a trust's ADT feed tells their stories and the HL7 adapter turns them
 * into care events (HL7 v2.5.1 chapter 3): subject id = the visit number (PV1-19), version = the
 * message time (MSH-7), the patient by NHS number and hospital number (PID-3), the whole location
 * (PV1-3: point of care ^ room ^ bed ^ facility), a cancel naming the event it cancels, death from
 * PID-29/30, a merge by hospital number alone (A40 with only MRG-1), and the GP, hospital and
 * pharmacy issuing one medicine.
 */
final class AdtPatients {

    static final Source TRUST = Source.newBuilder().setOdsCode("RX1").setName("Riverside University Hospitals NHS Trust")
            .setKind(ProviderKind.ACUTE).setSystem("HL7v2").build();
    static final Source SURGERY = Source.newBuilder().setOdsCode("A81001").setName("The Synthetic Street Surgery")
            .setKind(ProviderKind.GP).setSystem("EPR").build();
    static final Source PHARMACY = Source.newBuilder().setOdsCode("FA123").setName("Synthetic Pharmacy")
            .setKind(ProviderKind.PHARMACY).setSystem("PMR").build();
    static final String SITE = "RX1-GEN";
    static final Coding METFORMIN = Coding.newBuilder().setSystem("https://dmd.nhs.uk").setCode("325278002")
            .setDisplay("Metformin 500mg tablets").build();
    static final Coding ATORVASTATIN = Coding.newBuilder().setSystem("https://dmd.nhs.uk").setCode("320000009")
            .setDisplay("Atorvastatin 20mg tablets").build();

    /** A03 with PID-29/30 = Y: discharged, and died. */
    static final String DIED = nhs("999000201");
    /** A01 then A11 (whose PV1-2 says outpatient, as Epic sends it). */
    static final String CANCELLED = nhs("999000211");
    /** A04 in ED, then A06: became an inpatient on a ward. */
    static final String ED_TO_WARD = nhs("999000221");
    /** The hospital number merged away by an A40 with MRG-1 only... */
    static final String MERGED_AWAY = nhs("999000231");
    /** ...into this patient. */
    static final String SURVIVOR = nhs("999000241");
    /** Metformin issued by the GP three times, by the hospital, and dispensed by a pharmacy; and atorvastatin. */
    static final String MEDICINES = nhs("999000251");
    /** An A02 for a visit whose A01 never arrived. */
    static final String MID_STAY = nhs("999000261");

    private AdtPatients() {
    }

    static List<SpecificRecord> all() {
        List<SpecificRecord> events = new ArrayList<>();
        events.addAll(died());
        events.addAll(cancelled());
        events.addAll(edToWard());
        events.addAll(merged());
        events.addAll(medicines());
        events.addAll(midStay());
        return events;
    }

    /** How many timeline entries (withdrawn ones included) each patient ends with, to wait for (not the merged pair). */
    static List<Object[]> expectedEntries() {
        return List.of(new Object[] {DIED, 3}, new Object[] {CANCELLED, 1}, new Object[] {ED_TO_WARD, 2},
                new Object[] {MEDICINES, 6}, new Object[] {MID_STAY, 1});
    }

    static List<SpecificRecord> died() {
        Instant admitted = Instant.parse("2026-11-12T10:00:00Z");
        Instant died = Instant.parse("2026-11-14T03:20:00Z");
        Instant discharged = Instant.parse("2026-11-14T03:30:00Z");
        Location bed = location("Ward 9", "Bay 1", "Bed 2");
        return List.of(
                admission(DIED, "RX1-V-2001", admitted, bed, "INPATIENT", Action.NEW, null),
                Discharge.newBuilder().setHeader(header(DIED, "RX1-V-2001/D", discharged, Action.NEW, TRUST, null))
                        .setSpellId("RX1-V-2001").setDestination("DIED").setDischargeMethod("DIED").setWard("Ward 9")
                        .setLocation(bed).build(),
                Death.newBuilder().setHeader(header(DIED, "DEATH-RX1-" + DIED, died, Action.NEW, TRUST, null))
                        .setPlaceOfDeath("Riverside General").setCause(null).setVerified(true)
                        .setRecordedBy("Dr C Synthetic").build());
    }

    static List<SpecificRecord> cancelled() {
        Instant at = Instant.parse("2026-11-20T09:00:00Z");
        Admission admitted = admission(CANCELLED, "RX1-V-2101", at, location("Ward 5", "Bay 3", "Bed 1"),
                "INPATIENT", Action.NEW, null);
        // A11: the cancel names what it cancels; its PV1-2 is the class after the cancel
        Admission cancel = admission(CANCELLED, "RX1-V-2101", at.plus(Duration.ofMinutes(40)),
                location("Ward 5", "Bay 3", "Bed 1"), "OUTPATIENT", Action.CANCEL, admitted.getHeader().getEventId());
        cancel.getHeader().setOccurredAt(at);
        return List.of(admitted, cancel);
    }

    static List<SpecificRecord> edToWard() {
        Instant arrived = Instant.parse("2026-11-26T06:40:00Z");
        Instant moved = Instant.parse("2026-11-26T09:15:00Z");
        Location cubicle = location("Emergency Department", "Majors", "Cubicle 3");
        return List.of(
                Attendance.newBuilder().setHeader(header(ED_TO_WARD, "RX1-V-2201", arrived, Action.NEW, TRUST, null))
                        .setDepartment("Emergency Department").setArrivalMode("AMBULANCE")
                        .setChiefComplaint("Chest pain").setOutcome(null).setDepartedAt(null).setLocation(cubicle)
                        .build(),
                Transfer.newBuilder().setHeader(header(ED_TO_WARD, "RX1-V-2201/A06", moved, Action.NEW, TRUST, null))
                        .setSpellId("RX1-V-2201").setFromWard("Emergency Department").setToWard("Ward 7")
                        .setToSite(SITE).setFromLocation(cubicle).setToLocation(location("Ward 7", "Bay 2", "Bed 4"))
                        .setReason("CHANGED_TO_INPATIENT").build());
    }

    static List<SpecificRecord> merged() {
        Instant at = Instant.parse("2026-11-02T11:00:00Z");
        Admission admission = admission(MERGED_AWAY, "RX1-V-2301", at, location("Ward 2", "Bay 4", "Bed 9"),
                "INPATIENT", Action.NEW, null);
        admission.getHeader().getPatient().setLocalId(mrn("M-231"));
        return List.of(
                link(MERGED_AWAY, "M-231", at.minusSeconds(60)),
                admission,
                link(SURVIVOR, "M-241", at.plus(Duration.ofDays(3))),
                // A40: MRG-1 carries only the retiring hospital number, as NHS trusts send it
                PatientIdentity.newBuilder()
                        .setHeader(header(SURVIVOR, "A40-M-231", at.plus(Duration.ofDays(4)), Action.NEW, TRUST, null))
                        .setKind(IdentityKind.MERGE).setNhsNumber(SURVIVOR).setLocalId(mrn("M-231"))
                        .setSupersededNhsNumber(null).setFamilyName(null).setGivenName(null).setBirthDate(null)
                        .setPostcode(null).build());
    }

    static List<SpecificRecord> medicines() {
        List<SpecificRecord> events = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            events.add(prescription(MEDICINES, "EPS-GP-METF-" + i, Instant.parse("2026-08-01T09:00:00Z")
                    .plus(Duration.ofDays(30L * i)), SURGERY, "Metformin 500mg tablets", METFORMIN, true));
        }
        events.add(prescription(MEDICINES, "RX1-TTO-551", Instant.parse("2026-10-15T16:00:00Z"), TRUST,
                "Metformin 500mg tablets", METFORMIN, false));
        events.add(prescription(MEDICINES, "FA123-DISP-88", Instant.parse("2026-10-16T11:30:00Z"), PHARMACY,
                "Metformin 500mg tablets", METFORMIN, false));
        events.add(prescription(MEDICINES, "EPS-GP-ATOR-1", Instant.parse("2026-10-01T09:05:00Z"), SURGERY,
                "Atorvastatin 20mg tablets", ATORVASTATIN, true));
        return events;
    }

    static List<SpecificRecord> midStay() {
        // the A02 is the first the platform hears of visit RX1-V-2601: its A01 never arrived
        return List.of(Transfer.newBuilder()
                .setHeader(header(MID_STAY, "RX1-V-2601/T1", Instant.parse("2026-11-25T14:00:00Z"), Action.NEW, TRUST,
                        null))
                .setSpellId("RX1-V-2601").setFromWard("Ward 3").setToWard("Ward 4").setToSite(SITE)
                .setFromLocation(location("Ward 3", "Bay 2", "Bed 1")).setToLocation(location("Ward 4", "Bay 1", "Bed 6"))
                .setReason(null).build());
    }

    private static Admission admission(String nhs, String visit, Instant at, Location where, String patientClass,
            Action action, String supersedes) {
        return Admission.newBuilder().setHeader(header(nhs, visit, at, action, TRUST, supersedes))
                .setSite(SITE).setWard(where.getPointOfCare()).setSpecialty("General Medicine")
                .setAdmissionMethod("EMERGENCY").setConsultant("Dr A Synthetic").setLocation(where)
                .setPatientClass(patientClass).build();
    }

    private static Prescription prescription(String nhs, String subject, Instant at, Source source, String medicine,
            Coding code, boolean repeat) {
        return Prescription.newBuilder().setHeader(header(nhs, subject, at, Action.NEW, source, null))
                .setMedication(medicine).setDose("One tablet twice a day").setRoute("oral").setRepeat(repeat)
                .setEndsAt(null).setMedicationCode(code).build();
    }

    private static PatientIdentity link(String nhs, String mrn, Instant at) {
        return PatientIdentity.newBuilder().setHeader(header(nhs, "LINK-RX1-MRN-" + mrn, at, Action.NEW, TRUST, null))
                .setKind(IdentityKind.LINK).setNhsNumber(nhs).setLocalId(mrn(mrn)).setSupersededNhsNumber(null)
                .setFamilyName(null).setGivenName(null).setBirthDate(null).setPostcode(null).build();
    }

    private static Location location(String ward, String room, String bed) {
        return Location.newBuilder().setPointOfCare(ward).setRoom(room).setBed(bed).setSite(SITE).build();
    }

    private static LocalIdentifier mrn(String value) {
        return LocalIdentifier.newBuilder().setSystem("RX1-MRN").setValue(value).build();
    }

    private static EventHeader header(String nhs, String subject, Instant at, Action action, Source source,
            String supersedes) {
        Instant recorded = at.plusSeconds(30);
        return EventHeader.newBuilder().setEventId(UUID.randomUUID().toString()).setAction(action)
                .setSubjectId(subject).setVersion(recorded.toEpochMilli()).setOccurredAt(at).setRecordedAt(recorded)
                .setSource(source)
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).setLocalId(null).build())
                .setSensitivity(Sensitivity.NORMAL).setSupersedes(supersedes).build();
    }

    static String nhs(String nineDigits) {
        for (int i = 0; i < 100; i++) {
            Optional<NhsNumber> nhs = NhsNumber.withCheckDigit(String.valueOf(Long.parseLong(nineDigits) + i));
            if (nhs.isPresent()) {
                return nhs.get().value();
            }
        }
        throw new AssertionError("no valid NHS number near " + nineDigits);
    }
}
