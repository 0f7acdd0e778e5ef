package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Segment;
import java.time.Instant;
import java.util.Locale;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Transfer;

/**
 * The care events one patient group (PID, PV1, PV2, DG1...) of an ADT message states about a visit:
 * the admission, an A&amp;E attendance, an outpatient or planned-admission appointment, a transfer, a
 * discharge. Which of these a trigger makes, and with which action, is {@link AdtMapper}'s choice;
 * this class only reads the fields.
 *
 * <p>SubjectIds: the admission, attendance and outpatient appointment are the visit (PV1-19, else
 * PID-18); a planned admission is {@code visit/pre-admit}; the discharge {@code visit/discharge}; a
 * transfer {@code visit/transfer/<time>}, a leave of absence {@code visit/leave/<time>} and the return
 * {@code visit/return/<time>}, time = EVN-6, else EVN-2, else MSH-7 (for a cancel, EVN-6 is the time
 * of the event cancelled, so the cancel names the same item).
 */
final class AdtVisitEvents {

    static final String LEAVE_OF_ABSENCE = "LEAVE_OF_ABSENCE";

    private final AdtMessage m;
    private final AdtMessage.PatientGroup g;
    private final PatientRef patient;
    final String visit;

    AdtVisitEvents(AdtMessage m, AdtMessage.PatientGroup g, String needs) {
        this.m = m;
        this.g = g;
        this.patient = m.patientRef(g);
        this.visit = m.visit(g, needs);
    }

    PatientRef patient() {
        return patient;
    }

    private Segment pv1() {
        return g.pv1();
    }

    private EventHeader header(CareEventType type, Action action, String subject, Instant occurredAt) {
        return m.header(type, action, subject, occurredAt, patient, g.sensitivity());
    }

    // ---------------------------------------------------------------- subjects

    String preAdmitSubject() {
        return visit + "/pre-admit";
    }

    String dischargeSubject() {
        return dischargeSubject(visit);
    }

    static String dischargeSubject(String visit) {
        return visit + "/discharge";
    }

    static String transferSubject(String visit, Instant when) {
        return visit + "/transfer/" + when;
    }

    // ---------------------------------------------------------------- the events

    /** The admission (A01 NEW; A08 and A54 UPDATE; A11 CANCEL): PV1-44 admitted at, PV1-3, PV1-4, PV1-7, PV1-10, DG1. */
    Admission admission(Action action, Instant knownOccurredAt) {
        Instant admitted = m.time(pv1(), 44, "PV1-44 (admit date/time)");
        Instant when = admitted != null ? admitted : knownOccurredAt != null ? knownOccurredAt : m.occurredAt(null);
        Admission.Builder b = Admission.newBuilder().setHeader(header(CareEventType.ADMISSION, action, visit, when));
        if (action == Action.CANCEL) {
            return b.build();
        }
        String admissionType = Hl7Fields.get(pv1(), 4);
        String service = Hl7Fields.get(pv1(), 10);
        return b.setSite(Hl7Locations.site(pv1(), 3))
                .setWard(Hl7Locations.ward(pv1(), 3))
                .setLocation(Hl7Locations.of(pv1(), 3))
                .setSpecialty(service)
                .setTreatmentFunctionCode(Hl7Codes.treatmentFunction(service))
                .setAdmissionMethod(Hl7Codes.admissionMethod(admissionType))
                .setAdmissionMethodCode(Hl7Codes.admissionMethodCode(admissionType))
                .setConsultant(AdtMessage.person(pv1(), 7))
                .setDiagnoses(Hl7Codes.diagnoses(g.all("DG1")))
                .setPatientClass(Hl7Codes.patientClass(g.patientClass()))
                .build();
    }

    /**
     * An A&amp;E attendance (A04 NEW; A03/A08/A13 UPDATE; A11 CANCEL): arrival PV1-44, department
     * PV1-3, chief complaint PV2-3, mode of arrival PV2-38, departure PV1-45.
     */
    Attendance attendance(Action action, Instant knownArrival, String outcome, Instant departedAt) {
        Instant arrived = m.time(pv1(), 44, "PV1-44 (admit date/time)");
        Instant when = arrived != null ? arrived : knownArrival != null ? knownArrival : m.occurredAt(null);
        Attendance.Builder b = Attendance.newBuilder()
                .setHeader(header(CareEventType.ATTENDANCE, action, visit, when));
        if (action == Action.CANCEL) {
            return b.build();
        }
        Segment pv2 = g.first("PV2");
        return b.setDepartment(Hl7Locations.ward(pv1(), 3))
                .setLocation(Hl7Locations.of(pv1(), 3))
                .setChiefComplaint(Hl7Fields.firstNonNull(Hl7Fields.get(pv2, 3, 2), Hl7Fields.get(pv2, 3, 1)))
                .setChiefComplaintCode(Hl7Codes.clinicalCode(pv2, 3, 0))
                .setArrivalMode(arrivalMode(Hl7Fields.get(pv2, 38)))
                .setOutcome(outcome)
                .setDepartedAt(departedAt)
                .setDiagnoses(Hl7Codes.diagnoses(g.all("DG1")))
                .build();
    }

    /** The attendance as the prior location (PV1-6) shows it: an A06 ends it with outcome ADMITTED. */
    Attendance attendanceEnded(String subject, Instant arrivedAt, Instant departedAt) {
        return Attendance.newBuilder()
                .setHeader(m.header(CareEventType.ATTENDANCE, Action.UPDATE, subject, arrivedAt, patient,
                        g.sensitivity()))
                .setDepartment(Hl7Locations.ward(pv1(), 6))
                .setLocation(Hl7Locations.of(pv1(), 6))
                .setOutcome("ADMITTED")
                .setDepartedAt(departedAt)
                .build();
    }

    /** PV1-45 discharge date/time, or null. */
    Instant departedAt() {
        return m.time(pv1(), 45, "PV1-45 (discharge date/time)");
    }

    /** An outpatient visit (A04 NEW, ATTENDED; A08 UPDATE; A11 CANCEL): starts at PV1-44, service PV1-10. */
    Appointment outpatientVisit(Action action, Instant knownStart) {
        Instant started = m.time(pv1(), 44, "PV1-44 (admit date/time)");
        Instant when = started != null ? started : knownStart != null ? knownStart : m.occurredAt(null);
        return Appointment.newBuilder()
                .setHeader(header(CareEventType.APPOINTMENT, action, visit, when))
                .setStartsAt(when)
                .setService(Hl7Fields.get(pv1(), 10))
                .setPractitioner(AdtMessage.person(pv1(), 7))
                .setStatus(action == Action.CANCEL ? "CANCELLED" : "ATTENDED")
                .build();
    }

    /**
     * A planned admission (A05, A14 NEW; A08 UPDATE; A27, A38 CANCEL): an appointment BOOKED at
     * PV2-8 expected admit date/time (else EVN-3), recorded when booked; not yet a spell.
     */
    Appointment plannedAdmission(Action action, Instant knownStart) {
        Instant expected = m.time(g.first("PV2"), 8, "PV2-8 (expected admit date/time)");
        if (expected == null) {
            expected = m.plannedEvent();
        }
        if (expected == null) {
            expected = knownStart;
        }
        if (expected == null && action == Action.CANCEL) {
            expected = m.occurredAt(null);
        }
        if (expected == null) {
            throw Hl7Rejection.error("ADT^" + m.trigger + ": neither PV2-8 (expected admit date/time) nor EVN-3 "
                    + "(date/time planned event) says when the admission is planned");
        }
        String specialty = Hl7Fields.get(pv1(), 10);
        return Appointment.newBuilder()
                .setHeader(header(CareEventType.APPOINTMENT, action, preAdmitSubject(), m.recordedAt()))
                .setStartsAt(expected)
                .setService(specialty == null ? "planned admission" : "planned admission: " + specialty)
                .setPractitioner(AdtMessage.person(pv1(), 7))
                .setStatus(action == Action.CANCEL ? "CANCELLED" : "BOOKED")
                .build();
    }

    /** Whether the message says when the planned admission is: PV2-8 or EVN-3. */
    boolean statesPlannedTime() {
        return Hl7Fields.get(g.first("PV2"), 8) != null || m.plannedEvent() != null;
    }

    /** A transfer within the spell (A02; A12 CANCEL; A17 with a reason): from PV1-6, to PV1-3. */
    Transfer transfer(Action action, String subject, Instant when, String reason) {
        return transfer(action, subject, when, reason, null);
    }

    /** As {@link #transfer(Action, String, Instant, String)}, with the prior location another segment's PV1-3 (A17). */
    Transfer transfer(Action action, String subject, Instant when, String reason, Segment otherPv1) {
        Segment fromSegment = Hl7Locations.of(pv1(), 6) != null || otherPv1 == null ? pv1() : otherPv1;
        int fromField = fromSegment == pv1() ? 6 : 3;
        return Transfer.newBuilder()
                .setHeader(header(CareEventType.TRANSFER, action, subject, when))
                .setSpellId(visit)
                .setFromWard(Hl7Locations.ward(fromSegment, fromField))
                .setFromLocation(Hl7Locations.of(fromSegment, fromField))
                .setToWard(Hl7Locations.ward(pv1(), 3))
                .setToSite(Hl7Locations.site(pv1(), 3))
                .setToLocation(Hl7Locations.of(pv1(), 3))
                .setReason(reason)
                .build();
    }

    /** A21 (out) and A22 (back): a transfer to or from the ward {@value #LEAVE_OF_ABSENCE}; the spell stays open. */
    Transfer leave(boolean out, Action action, String subject, Instant when) {
        String ward = Hl7Locations.ward(pv1(), 3);
        return Transfer.newBuilder()
                .setHeader(header(CareEventType.TRANSFER, action, subject, when))
                .setSpellId(visit)
                .setFromWard(out ? ward : LEAVE_OF_ABSENCE)
                .setFromLocation(out ? Hl7Locations.of(pv1(), 3) : null)
                .setToWard(out ? LEAVE_OF_ABSENCE : ward)
                .setToSite(out ? null : Hl7Locations.site(pv1(), 3))
                .setToLocation(out ? null : Hl7Locations.of(pv1(), 3))
                .build();
    }

    /**
     * The discharge (A03 NEW, A07 NEW, A13 CANCEL): PV1-45 discharged at, PV1-36 discharge method,
     * PV1-37 destination (a two-digit PV1-36 is read as the destination), DIED when either says so
     * or the patient's death is given on the message.
     */
    Discharge discharge(Action action, String spell, Instant when, boolean patientDied, String method) {
        Discharge.Builder b = Discharge.newBuilder()
                .setHeader(header(CareEventType.DISCHARGE, action, dischargeSubject(spell), when))
                .setSpellId(spell);
        if (action == Action.CANCEL) {
            return b.build();
        }
        String pv1_36 = Hl7Fields.get(pv1(), 36);
        String pv1_37 = Hl7Fields.get(pv1(), 37);
        String destinationCode = Hl7Codes.dischargeDestinationCodeValue(pv1_36, pv1_37);
        boolean died = patientDied || Hl7Codes.died(pv1_36, pv1_37);
        return b.setDestination(died ? "DIED" : Hl7Codes.destination(destinationCode))
                .setDischargeMethod(method != null ? method : Hl7Codes.dischargeMethod(pv1_36))
                .setDischargeMethodCode(Hl7Codes.dischargeMethodCode(pv1_36))
                .setDischargeDestinationCode(Hl7Codes.dischargeDestinationCode(pv1_36, pv1_37))
                .setWard(Hl7Locations.ward(pv1(), 3))
                .setLocation(Hl7Locations.of(pv1(), 3))
                .build();
    }

    /** PV2-38 mode of arrival (HL7 table 0430): A ambulance, H helicopter → AMBULANCE; C car, F on foot, P public transport → WALK_IN. */
    private static String arrivalMode(String code) {
        if (code == null) {
            return null;
        }
        return switch (code.toUpperCase(Locale.ROOT)) {
            case "A", "H" -> "AMBULANCE";
            case "C", "F", "P" -> "WALK_IN";
            default -> null;
        };
    }

    /** The patient class of this group's PV1 (I, E, O...). */
    String patientClass() {
        return g.patientClass();
    }

}
