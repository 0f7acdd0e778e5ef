package org.caretrail.timeline;

import java.time.Instant;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.GpRegistration;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Transfer;

/** Synthetic care events for tests: NHS numbers from the 999 range, fixed clinical times. */
public final class CareEventFixtures {

    public static final Instant T0 = Instant.parse("2026-11-01T08:00:00Z");
    public static final String ACUTE = "RJ1";
    public static final String GP_PRACTICE = "A81001";

    static {
        org.caretrail.events.AvroTrust.install(); // events are built here before any serde has loaded
    }

    private CareEventFixtures() {
    }

    /** A valid NHS number 999xxxxxx + check digit, one per seed (seeds with check digit 10 are skipped). */
    public static String nhs(int seed) {
        for (int s = seed; ; s++) {
            var n = NhsNumber.withCheckDigit(String.format("999%06d", s % 1_000_000));
            if (n.isPresent()) {
                return n.get().value();
            }
        }
    }

    /** A deterministic event id, so tests can name and order events. */
    public static String id(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes()).toString();
    }

    public static EventHeader header(String nhs, String ods, ProviderKind kind, String subjectId, Action action,
            long version, Instant occurredAt, String eventName) {
        return EventHeader.newBuilder()
                .setEventId(id(eventName))
                .setAction(action)
                .setSubjectId(subjectId)
                .setVersion(version)
                .setOccurredAt(occurredAt)
                .setRecordedAt(occurredAt.plusSeconds(60))
                .setSource(Source.newBuilder().setOdsCode(ods).setName(null).setKind(kind).setSystem("test").build())
                .setPatient(PatientRef.newBuilder().setNhsNumber(nhs).build())
                .setSensitivity(Sensitivity.NORMAL)
                .build();
    }

    public static Admission admission(String nhs, String spell, Action action, long version, Instant at,
            String ward, String eventName) {
        return Admission.newBuilder()
                .setHeader(header(nhs, ACUTE, ProviderKind.ACUTE, spell, action, version, at, eventName))
                .setSite("Main site").setWard(ward).setSpecialty("General medicine")
                .build();
    }

    public static Transfer transfer(String nhs, String transferId, String spell, Action action, long version,
            Instant at, String fromWard, String toWard, String eventName) {
        return Transfer.newBuilder()
                .setHeader(header(nhs, ACUTE, ProviderKind.ACUTE, transferId, action, version, at, eventName))
                .setSpellId(spell).setFromWard(fromWard).setToWard(toWard)
                .build();
    }

    public static Discharge discharge(String nhs, String dischargeId, String spell, Action action, long version,
            Instant at, String destination, String eventName) {
        return Discharge.newBuilder()
                .setHeader(header(nhs, ACUTE, ProviderKind.ACUTE, dischargeId, action, version, at, eventName))
                .setSpellId(spell).setDestination(destination)
                .build();
    }

    public static Attendance attendance(String nhs, String subject, Instant at, String eventName) {
        return Attendance.newBuilder()
                .setHeader(header(nhs, ACUTE, ProviderKind.ACUTE, subject, Action.NEW, 1, at, eventName))
                .setDepartment("ED").setChiefComplaint("chest pain")
                .build();
    }

    public static Appointment appointment(String nhs, String ods, ProviderKind kind, String subject, Action action,
            long version, Instant at, String eventName) {
        return Appointment.newBuilder()
                .setHeader(header(nhs, ods, kind, subject, action, version, at, eventName))
                .setStartsAt(at).setService("Diabetes clinic").setStatus("booked")
                .build();
    }

    public static Referral referral(String nhs, String subject, Action action, long version, Instant at,
            String status, String eventName) {
        return Referral.newBuilder()
                .setHeader(header(nhs, GP_PRACTICE, ProviderKind.GP, subject, action, version, at, eventName))
                .setToOdsCode(ACUTE).setSpecialty("Cardiology").setPriority("routine").setStatus(status)
                .build();
    }

    public static Prescription prescription(String nhs, String subject, Action action, long version, Instant at,
            Instant endsAt, String eventName) {
        return Prescription.newBuilder()
                .setHeader(header(nhs, "FA123", ProviderKind.PHARMACY, subject, action, version, at, eventName))
                .setMedication("Metformin 500mg").setDose("1 tablet twice daily").setRepeat(true).setEndsAt(endsAt)
                .build();
    }

    public static GpRegistration registration(String nhs, String practice, Instant at, String status,
            String eventName) {
        return GpRegistration.newBuilder()
                .setHeader(header(nhs, practice, ProviderKind.GP, "reg-" + practice, Action.NEW, 1, at, eventName))
                .setPracticeOdsCode(practice).setPracticeName("Practice " + practice).setStatus(status)
                .build();
    }

    public static Death death(String nhs, Instant at, String eventName) {
        return Death.newBuilder()
                .setHeader(header(nhs, GP_PRACTICE, ProviderKind.GP, "death", Action.NEW, 1, at, eventName))
                .setPlaceOfDeath("Home").setVerified(true)
                .build();
    }

    /** A location as HL7 PV1-3 gives it: point of care ^ room ^ bed ^ facility. */
    public static org.caretrail.events.model.Location location(String pointOfCare, String room, String bed,
            String site) {
        return new org.caretrail.events.model.Location(pointOfCare, room, bed, site, null, null);
    }

    /** A dm+d code. */
    public static org.caretrail.events.model.Coding dmd(String code, String display) {
        return new org.caretrail.events.model.Coding("https://dmd.nhs.uk", code, display);
    }

    /**
     * {@code event} as an adapter sends it after an earlier message about the same item: its version is the
     * message time (HL7 MSH-7, in epoch milliseconds, as the HL7 adapter sets it) and it names the event it
     * follows ({@code supersedes}); null leaves it unlinked.
     */
    public static <T extends SpecificRecord> T sentAt(T event, Instant messageTime, String follows) {
        org.caretrail.events.model.EventHeader h = org.caretrail.events.CareEvents.header(event);
        h.setVersion(messageTime.toEpochMilli());
        h.setRecordedAt(messageTime);
        h.setSupersedes(follows == null ? null : id(follows));
        return event;
    }

    /** A copy of {@code event} for another patient (same event id: ids are per patient in these tests). */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> T forPatient(T event, String nhs) {
        T copy = (T) org.apache.avro.specific.SpecificData.get().deepCopy(event.getSchema(), event);
        org.caretrail.events.CareEvents.header(copy).getPatient().setNhsNumber(nhs);
        return copy;
    }

    /** A copy of {@code event} known only by a local identifier. */
    @SuppressWarnings("unchecked")
    public static <T extends SpecificRecord> T localOnly(T event, String system, String value) {
        T copy = (T) org.apache.avro.specific.SpecificData.get().deepCopy(event.getSchema(), event);
        org.caretrail.events.CareEvents.header(copy).setPatient(PatientRef.newBuilder()
                .setLocalId(new LocalIdentifier(system, value)).build());
        return copy;
    }
}
