package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.parser.PipeParser;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Transfer;
import org.junit.jupiter.api.Test;

class AdtMapperTest {

    static final String NHS = NhsNumber.withCheckDigit("999000001").orElseThrow().value();
    static final String NHS_2 = NhsNumber.withCheckDigit("999000002").orElseThrow().value();
    static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private final PipeParser parser = Hl7Processor.newParser();
    private final AdtMapper mapper = new AdtMapper(Hl7Settings.defaults());
    private final CareEventValidator validator = new CareEventValidator();

    private AdtMessageBuilder inpatient(String trigger, String id, Instant at) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(NHS).localId("40800000", "MRENTR")
                .patientClass("I").location("WARD 7", "ST THOMAS").visitNumber("V100");
    }

    private List<SpecificRecord> map(String message) {
        return map(message, Optional.empty());
    }

    private List<SpecificRecord> map(String message, Optional<String> lastTransfer) {
        try {
            Message parsed = parser.parse(message);
            List<SpecificRecord> events = mapper.map(parsed, spell -> lastTransfer).events();
            events.forEach(e -> assertThat(validator.problems(e)).as("contract problems of %s", e).isEmpty());
            return events;
        } catch (ca.uhn.hl7v2.HL7Exception e) {
            throw new AssertionError(e);
        }
    }

    private static EventHeader header(SpecificRecord event) {
        return CareEvents.header(event);
    }

    @Test
    void a01_is_an_admission_whose_subject_is_the_visit_number_and_version_the_message_time() {
        SpecificRecord event = map(inpatient("A01", "M1", T0).admissionType("21").admitTime(T0.minusSeconds(600))
                .build()).get(0);

        Admission admission = (Admission) event;
        EventHeader h = admission.getHeader();
        assertThat(h.getAction()).isEqualTo(Action.NEW);
        assertThat(h.getSubjectId()).isEqualTo("V100");
        assertThat(h.getVersion()).isEqualTo(T0.toEpochMilli());
        assertThat(h.getOccurredAt()).isEqualTo(T0.minusSeconds(600));
        assertThat(h.getRecordedAt()).isEqualTo(T0);
        assertThat(h.getSource().getOdsCode()).isEqualTo("RJ1");
        assertThat(h.getSource().getSystem()).isEqualTo("PAS");
        assertThat(h.getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(h.getPatient().getLocalId()).isEqualTo(new LocalIdentifier("MRENTR", "40800000"));
        assertThat(admission.getWard()).isEqualTo("WARD 7");
        assertThat(admission.getSite()).isEqualTo("ST THOMAS");
        assertThat(admission.getAdmissionMethod()).isEqualTo("EMERGENCY");
        assertThat(admission.getConsultant()).isEqualTo("ALAN JONES");
    }

    @Test
    void the_same_message_always_gives_the_same_event_id_and_another_control_id_another() {
        String a01 = inpatient("A01", "M1", T0).build();
        String first = header(map(a01).get(0)).getEventId();
        assertThat(header(map(a01).get(0)).getEventId()).isEqualTo(first);
        assertThat(header(map(inpatient("A01", "M2", T0).build()).get(0)).getEventId()).isNotEqualTo(first);
    }

    @Test
    void messages_of_older_and_newer_2x_versions_are_read_alike() {
        for (String version : List.of("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6")) {
            Admission a = (Admission) map(inpatient("A01", "M1", T0).version(version).build()).get(0);
            assertThat(a.getHeader().getSubjectId()).as(version).isEqualTo("V100");
            assertThat(a.getHeader().getPatient().getNhsNumber()).as(version).isEqualTo(NHS);
        }
    }

    @Test
    void a02_transfer_has_its_own_subject_and_a12_with_evn6_cancels_exactly_that_transfer() {
        Instant moved = T0.plusSeconds(3600);
        Transfer transfer = (Transfer) map(inpatient("A02", "M2", moved).location("WARD 9", "ST THOMAS")
                .priorWard("WARD 7").build()).get(0);
        assertThat(transfer.getHeader().getSubjectId()).isEqualTo("V100/transfer/" + moved);
        assertThat(transfer.getSpellId()).isEqualTo("V100");
        assertThat(transfer.getFromWard()).isEqualTo("WARD 7");
        assertThat(transfer.getToWard()).isEqualTo("WARD 9");

        Instant cancelledAt = moved.plusSeconds(600);
        Transfer cancel = (Transfer) map(inpatient("A12", "M3", cancelledAt).eventOccurred(moved)
                .location("WARD 7", "ST THOMAS").priorWard("WARD 9").build()).get(0);
        assertThat(cancel.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(cancel.getHeader().getSubjectId()).isEqualTo(transfer.getHeader().getSubjectId());
        assertThat(cancel.getHeader().getVersion()).isGreaterThan(transfer.getHeader().getVersion());
    }

    @Test
    void a12_without_evn6_cancels_the_last_transfer_published_for_the_spell_or_is_refused() {
        String a12 = inpatient("A12", "M3", T0.plusSeconds(60)).build();
        Transfer cancel = (Transfer) map(a12, Optional.of("V100/transfer/x")).get(0);
        assertThat(cancel.getHeader().getSubjectId()).isEqualTo("V100/transfer/x");

        assertRejected(a12, AcknowledgmentCode.AE, "EVN-6");
    }

    @Test
    void a03_discharges_the_spell_and_a13_cancels_that_discharge_and_a_later_a03_discharges_again() {
        Discharge discharge = (Discharge) map(inpatient("A03", "M4", T0).dischargeDisposition("19")
                .dischargeTime(T0.minusSeconds(60)).build()).get(0);
        assertThat(discharge.getHeader().getSubjectId()).isEqualTo("V100/discharge");
        assertThat(discharge.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(discharge.getSpellId()).isEqualTo("V100");
        assertThat(discharge.getDestination()).isEqualTo("HOME");
        assertThat(discharge.getHeader().getOccurredAt()).isEqualTo(T0.minusSeconds(60));

        Discharge cancel = (Discharge) map(inpatient("A13", "M5", T0.plusSeconds(60)).build()).get(0);
        assertThat(cancel.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(cancel.getHeader().getSubjectId()).isEqualTo("V100/discharge");

        Discharge again = (Discharge) map(inpatient("A03", "M6", T0.plusSeconds(120)).build()).get(0);
        assertThat(again.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(again.getHeader().getVersion()).isGreaterThan(cancel.getHeader().getVersion());
    }

    @Test
    void a04_is_an_ae_attendance_for_emergency_patients_and_an_attended_appointment_otherwise() {
        Attendance attendance = (Attendance) map(inpatient("A04", "M7", T0).patientClass("E")
                .location("ED MAJORS", "ST THOMAS").visitNumber("AE55").build()).get(0);
        assertThat(attendance.getHeader().getSubjectId()).isEqualTo("AE55");
        assertThat(attendance.getDepartment()).isEqualTo("ED MAJORS");

        Appointment outpatient = (Appointment) map(inpatient("A04", "M8", T0).patientClass("O")
                .visitNumber("OP1").build()).get(0);
        assertThat(outpatient.getStatus()).isEqualTo("ATTENDED");
        assertThat(outpatient.getStartsAt()).isEqualTo(T0);

        Attendance departed = (Attendance) map(inpatient("A03", "M9", T0.plusSeconds(7200)).patientClass("E")
                .visitNumber("AE55").dischargeTime(T0.plusSeconds(7000)).build()).get(0);
        assertThat(departed.getHeader().getAction()).isEqualTo(Action.UPDATE);
        assertThat(departed.getHeader().getSubjectId()).isEqualTo("AE55");
        assertThat(departed.getDepartedAt()).isEqualTo(T0.plusSeconds(7000));
        assertThat(departed.getOutcome()).isEqualTo("DISCHARGED");
    }

    @Test
    void a05_pre_admission_is_a_booked_appointment_at_the_expected_admission_time() {
        Instant planned = T0.plusSeconds(86400 * 7);
        Appointment booked = (Appointment) map(inpatient("A05", "M10", T0).patientClass("P").expectedAdmit(planned)
                .build()).get(0);
        assertThat(booked.getStatus()).isEqualTo("BOOKED");
        assertThat(booked.getStartsAt()).isEqualTo(planned);
        assertThat(booked.getHeader().getSubjectId()).isEqualTo("V100/pre-admit");
        assertThat(booked.getHeader().getOccurredAt()).as("booked when the message was sent").isEqualTo(T0);

        assertRejected(inpatient("A05", "M11", T0).build(), AcknowledgmentCode.AE, "PV2-8");
    }

    @Test
    void a08_updates_with_a_higher_version_and_a11_cancels_the_admission() {
        Admission update = (Admission) map(inpatient("A08", "M12", T0.plusSeconds(10)).location("WARD 8", null)
                .build()).get(0);
        assertThat(update.getHeader().getAction()).isEqualTo(Action.UPDATE);
        assertThat(update.getHeader().getSubjectId()).isEqualTo("V100");
        assertThat(update.getHeader().getVersion()).isEqualTo(T0.plusSeconds(10).toEpochMilli());
        assertThat(update.getWard()).isEqualTo("WARD 8");

        Admission cancel = (Admission) map(inpatient("A11", "M13", T0.plusSeconds(20)).build()).get(0);
        assertThat(cancel.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(cancel.getHeader().getSubjectId()).isEqualTo("V100");
    }

    @Test
    void a21_and_a22_are_transfers_to_and_from_leave_of_absence_within_the_open_spell() {
        Transfer out = (Transfer) map(inpatient("A21", "M14", T0).build()).get(0);
        Transfer back = (Transfer) map(inpatient("A22", "M15", T0.plusSeconds(3600)).build()).get(0);
        assertThat(out.getToWard()).isEqualTo(AdtMapper.LEAVE_OF_ABSENCE);
        assertThat(out.getFromWard()).isEqualTo("WARD 7");
        assertThat(back.getFromWard()).isEqualTo(AdtMapper.LEAVE_OF_ABSENCE);
        assertThat(back.getToWard()).isEqualTo("WARD 7");
        assertThat(out.getHeader().getSubjectId()).isNotEqualTo(back.getHeader().getSubjectId());
        assertThat(out.getSpellId()).isEqualTo("V100");
    }

    @Test
    void a28_and_a31_link_the_local_id_to_the_nhs_number_when_both_are_present() {
        PatientIdentity link = (PatientIdentity) map(inpatient("A31", "M16", T0).withoutPv1().postcode("LS1 4AP")
                .build()).get(0);
        assertThat(link.getKind()).isEqualTo(IdentityKind.LINK);
        assertThat(link.getNhsNumber()).isEqualTo(NHS);
        assertThat(link.getLocalId()).isEqualTo(new LocalIdentifier("MRENTR", "40800000"));
        assertThat(link.getFamilyName()).isEqualTo("SMITH");
        assertThat(link.getBirthDate()).isEqualTo(LocalDate.of(1980, 1, 1));
        assertThat(link.getPostcode()).isEqualTo("LS1 4AP");

        assertThat(map(adt("A28", "M17", T0).localId("1", "MRENTR").withoutPv1().build())).isEmpty();
    }

    @Test
    void a40_merges_the_mrg_identity_into_the_surviving_nhs_number() {
        List<SpecificRecord> events = map(adt("A40", "M18", T0).nhsNumber(NHS).localId("40800000", "MRENTR")
                .merged("40899999^^^MRENTR^MEDREC").merged(NHS_2 + "^^^NHS^NH").build());
        PatientIdentity merge = (PatientIdentity) events.get(0);
        assertThat(merge.getKind()).isEqualTo(IdentityKind.MERGE);
        assertThat(merge.getNhsNumber()).isEqualTo(NHS);
        assertThat(merge.getLocalId()).isEqualTo(new LocalIdentifier("MRENTR", "40899999"));
        assertThat(merge.getSupersededNhsNumber()).isEqualTo(NHS_2);
        PatientIdentity link = (PatientIdentity) events.get(1);
        assertThat(link.getKind()).isEqualTo(IdentityKind.LINK);
        assertThat(link.getHeader().getEventId()).isNotEqualTo(merge.getHeader().getEventId());

        assertRejected(adt("A40", "M19", T0).nhsNumber(NHS).build(), AcknowledgmentCode.AE, "MRG");
    }

    @Test
    void invalid_content_is_an_application_error_naming_the_field() {
        assertRejected(inpatient("A01", "E1", T0).nhsNumber("9990000019").build(), AcknowledgmentCode.AE,
                "PID-3 repetition 1: NHS number '9990000019' fails the Modulus 11 check");
        assertRejected(inpatient("A01", "E2", T0).withoutPv1().build(), AcknowledgmentCode.AE,
                "ADT^A01 has no PV1 segment");
        assertRejected(inpatient("A01", "E3", T0).visitNumber(null).build(), AcknowledgmentCode.AE,
                "PV1-19 (visit number)");
        assertRejected(inpatient("A01", "E4", T0).build().replaceFirst("EVN\\|A01\\|[^|]*", "EVN|A01|2026-11-20"),
                AcknowledgmentCode.AE, "EVN-2");
        assertRejected(inpatient("A01", "E5", T0).build().replaceFirst("EVN\\|A01\\|[^|]*",
                "EVN|A01|20261340"), AcknowledgmentCode.AE, "not a real date/time");
        assertRejected(adt("A01", "E6", T0).facility("St Elsewhere").nhsNumber(NHS).visitNumber("V1").build(),
                AcknowledgmentCode.AE, "MSH-4");
        assertRejected(adt("A01", "E7", T0).visitNumber("V1").build(), AcknowledgmentCode.AE, "PID-3");
    }

    @Test
    void a_configured_organisation_stands_in_for_a_facility_that_is_not_an_ods_code() {
        AdtMapper configured = new AdtMapper(Hl7Settings.defaults().withOrganisation("RJ1", "Guy's and St Thomas'"));
        Message parsed = parse(adt("A01", "O1", T0).facility("St Thomas").nhsNumber(NHS).visitNumber("V1").build());
        Admission a = (Admission) configured.map(parsed, s -> Optional.empty()).events().get(0);
        assertThat(a.getHeader().getSource().getOdsCode()).isEqualTo("RJ1");
        assertThat(a.getHeader().getSource().getName()).isEqualTo("Guy's and St Thomas'");
    }

    @Test
    void message_types_not_handled_are_rejected() {
        assertRejected(inpatient("A01", "R1", T0).build().replace("ADT^A01^ADT_A01", "ORU^R01^ORU_R01"),
                AcknowledgmentCode.AR, "ORU^R01 is not handled");
        assertRejected(inpatient("A01", "R2", T0).build().replace("ADT^A01^ADT_A01", "ADT^A17^ADT_A17"),
                AcknowledgmentCode.AR, "ADT^A17 is not handled");
    }

    private Message parse(String text) {
        try {
            return parser.parse(text);
        } catch (ca.uhn.hl7v2.HL7Exception e) {
            throw new AssertionError(e);
        }
    }

    private void assertRejected(String message, AcknowledgmentCode code, String reasonPart) {
        Message parsed = parse(message);
        assertThatThrownBy(() -> mapper.map(parsed, s -> Optional.empty()))
                .isInstanceOfSatisfying(Hl7Rejection.class, r -> {
                    assertThat(r.code()).isEqualTo(code);
                    assertThat(r.reason()).contains(reasonPart);
                });
    }
}
