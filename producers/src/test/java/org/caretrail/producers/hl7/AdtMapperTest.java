package org.caretrail.producers.hl7;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.producers.hl7.AdtMessageBuilder.adt;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.parser.PipeParser;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Transfer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The ADT mapping, trigger by trigger, as given/when/then sequences. The expectations come from HL7
 * v2.5.1 chapter 3 (what each trigger event means, which fields carry what) and the NHS's ADT
 * guidance (NHS numbers in PID-3 with assigning authority NHS, hospital numbers as local ids, MRG-1
 * carrying only the retiring hospital number in a merge, NHS Data Dictionary codes in PV1-4, PV1-10,
 * PV1-36 and PV1-37), never from this mapper's output. Each message is "sent" as the processor sends
 * it: mapped knowing what was published before, then remembered.
 */
class AdtMapperTest {

    static final String NHS = NhsNumber.withCheckDigit("999000001").orElseThrow().value();
    static final String NHS_2 = NhsNumber.withCheckDigit("999000002").orElseThrow().value();
    static final String NHS_3 = NhsNumber.withCheckDigit("999000003").orElseThrow().value();
    static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private final PipeParser parser = Hl7Processor.newParser();
    private final AdtMapper mapper = new AdtMapper(Hl7Settings.defaults());
    private final CareEventValidator validator = new CareEventValidator();
    private final MessageLogIndex memory = new MessageLogIndex(10_000, Duration.ofDays(30), Clock.systemUTC());
    private Instant publishedAt = Instant.now();

    private static AdtMessageBuilder inpatient(String trigger, String id, Instant at) {
        return adt(trigger, id, at).facility("RJ1").nhsNumber(NHS).localId("40800000", "MRENTR")
                .patientClass("I").location("WARD 7", "ST THOMAS").visitNumber("V100");
    }

    /** Maps {@code er7} as the processor does (knowing what was published), remembers what it publishes. */
    private AdtMapper.Result result(String er7) {
        AdtMapper.Result r = mapper.map(parse(er7), ContentHash.of(er7), memory);
        for (AdtMapper.Mapped m : r.mapped()) {
            assertThat(validator.problems(m.event())).as("contract problems of %s", m.event()).isEmpty();
            publishedAt = publishedAt.plusMillis(1);
            memory.item(PublishedItem.of(m.event(), m.visit(), m.fingerprint(), publishedAt));
        }
        return r;
    }

    private List<SpecificRecord> send(String er7) {
        return result(er7).events();
    }

    private List<SpecificRecord> send(AdtMessageBuilder b) {
        return send(b.build());
    }

    /** The events of a message other than the identity links every PID-3 pair gives. */
    private List<SpecificRecord> own(List<SpecificRecord> events) {
        return events.stream().filter(e -> !(e instanceof PatientIdentity p && p.getKind() == IdentityKind.LINK))
                .toList();
    }

    private static EventHeader header(SpecificRecord event) {
        return CareEvents.header(event);
    }

    private static String describe(SpecificRecord e) {
        EventHeader h = header(e);
        return e.getSchema().getName() + " " + h.getAction() + " " + h.getSubjectId();
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
        assertThatThrownBy(() -> mapper.map(parsed, ContentHash.of(message), memory))
                .isInstanceOfSatisfying(Hl7Rejection.class, r -> {
                    assertThat(r.code()).isEqualTo(code);
                    assertThat(r.reason()).contains(reasonPart);
                });
    }

    /** An ER7 segment from numbered fields (already escaped). */
    static String segment(String name, Map<Integer, String> fields) {
        int last = fields.keySet().stream().max(Integer::compare).orElse(0);
        String[] f = new String[last + 1];
        Arrays.fill(f, "");
        f[0] = name;
        fields.forEach((i, v) -> f[i] = v);
        return String.join("|", f);
    }

    // =====================================================================================
    @Nested
    class Admissions {

        @Test
        void a01_is_an_admission_of_the_visit_with_its_whole_location_and_nhs_codes() {
            // HL7 v2.5.1 3.4.7: PV1-3 assigned patient location is PL: point of care ^ room ^ bed ^ facility
            // ^ status ^ type ^ building ^ floor; PV1-4 admission type (NHS feeds: the NHS Data Dictionary
            // admission method, 21 = emergency via the Emergency Care Department); PV1-10 hospital service
            // (NHS: the treatment function, 300 = general internal medicine); DG1-3 diagnosis as CE.
            String a01 = inpatient("A01", "M1", T0).admitTime(T0.minusSeconds(600))
                    .pv1(3, "WARD 7^BAY 2^BED 4^RJ100^^^NORTH WING^3").pv1(4, "21").pv1(10, "300")
                    .segment("DG1|1||22298006^Myocardial infarction^SCT")
                    .segment("DG1|2||I21.9^Acute myocardial infarction, unspecified^I10")
                    .segment("DG1|3||X99^A local code^99LOCAL")
                    .build();

            List<SpecificRecord> events = send(a01);

            Admission admission = (Admission) own(events).get(0);
            EventHeader h = admission.getHeader();
            assertThat(h.getAction()).isEqualTo(Action.NEW);
            assertThat(h.getSubjectId()).isEqualTo("V100");
            assertThat(h.getVersion()).isEqualTo(T0.toEpochMilli());
            assertThat(h.getOccurredAt()).isEqualTo(T0.minusSeconds(600));
            assertThat(h.getRecordedAt()).isEqualTo(T0);
            assertThat(h.getSupersedes()).as("a new item follows nothing").isNull();
            assertThat(h.getSensitivity()).isEqualTo(Sensitivity.NORMAL);
            assertThat(h.getPatient().getLocalId()).isEqualTo(new LocalIdentifier("MRENTR", "40800000"));
            assertThat(admission.getLocation()).isEqualTo(new Location("WARD 7", "BAY 2", "BED 4", "RJ100",
                    "NORTH WING", "3"));
            assertThat(admission.getWard()).isEqualTo("WARD 7");
            assertThat(admission.getSite()).isEqualTo("RJ100");
            assertThat(admission.getPatientClass()).isEqualTo("INPATIENT");
            assertThat(admission.getAdmissionMethod()).isEqualTo("EMERGENCY");
            assertThat(admission.getAdmissionMethodCode().getSystem())
                    .isEqualTo("https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland");
            assertThat(admission.getAdmissionMethodCode().getCode()).isEqualTo("21");
            assertThat(admission.getTreatmentFunctionCode()).isEqualTo(new Coding(
                    "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function", "300", null));
            assertThat(admission.getDiagnoses()).containsExactly(
                    new Coding("http://snomed.info/sct", "22298006", "Myocardial infarction"),
                    new Coding("http://hl7.org/fhir/sid/icd-10", "I21.9", "Acute myocardial infarction, unspecified"));
            assertThat(admission.getConsultant()).isEqualTo("ALAN JONES");
        }

        @Test
        void an_hl7_table_0007_admission_type_is_coded_in_hl7s_own_code_system() {
            Admission a = (Admission) own(send(inpatient("A01", "M1", T0).admissionType("E"))).get(0);
            assertThat(a.getAdmissionMethod()).isEqualTo("EMERGENCY");
            assertThat(a.getAdmissionMethodCode()).isEqualTo(new Coding(
                    "http://terminology.hl7.org/CodeSystem/v2-0007", "E", "Emergency"));
            assertThat(a.getTreatmentFunctionCode()).as("GENMED is no treatment function code").isNull();
        }

        @Test
        void the_same_message_gives_the_same_event_ids_and_another_message_under_the_same_control_id_others() {
            String a01 = inpatient("A01", "M1", T0).build();
            String first = header(mapper.map(parse(a01), ContentHash.of(a01), PublishedItems.none()).events().get(1))
                    .getEventId();
            assertThat(header(mapper.map(parse(a01), ContentHash.of(a01), PublishedItems.none()).events().get(1))
                    .getEventId()).isEqualTo(first);
            String otherPatient = inpatient("A01", "M1", T0).nhsNumber(NHS_2).localId("40800002", "MRENTR")
                    .visitNumber("V200").build();
            assertThat(mapper.map(parse(otherPatient), ContentHash.of(otherPatient), PublishedItems.none()).events())
                    .extracting(e -> header(e).getEventId()).doesNotContain(first);
        }

        @Test
        void messages_of_older_and_newer_2x_versions_are_read_alike() {
            for (String version : List.of("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6")) {
                Admission a = (Admission) own(mapper.map(parse(inpatient("A01", "M" + version, T0).version(version)
                        .build())).events()).get(0);
                assertThat(a.getHeader().getSubjectId()).as(version).isEqualTo("V100");
                assertThat(a.getHeader().getPatient().getNhsNumber()).as(version).isEqualTo(NHS);
            }
        }

        @Test
        void a_configured_organisation_stands_in_for_a_facility_that_is_not_an_ods_code() {
            AdtMapper configured = new AdtMapper(Hl7Settings.defaults().withOrganisation("RJ1", "Guy's and St Thomas'"));
            Admission a = (Admission) configured.map(parse(adt("A01", "O1", T0).facility("St Thomas").nhsNumber(NHS)
                    .visitNumber("V1").build())).events().get(0);
            assertThat(a.getHeader().getSource().getOdsCode()).isEqualTo("RJ1");
            assertThat(a.getHeader().getSource().getName()).isEqualTo("Guy's and St Thomas'");
        }
    }

    // =====================================================================================
    @Nested
    class Cancels {

        @Test
        void given_an_inpatient_a01_when_epic_sends_a11_with_pv1_2_outpatient_then_the_admission_is_withdrawn() {
            // Issue 8 item 1: Epic sends the cancel's PV1-2 as the class after the cancel.
            SpecificRecord a01 = own(send(inpatient("A01", "E1", T0))).get(0);

            List<SpecificRecord> cancel = own(send(inpatient("A11", "E2", T0.plusSeconds(900)).patientClass("O")));

            assertThat(cancel).extracting(AdtMapperTest::describe).containsExactly("Admission CANCEL V100");
            assertThat(header(cancel.get(0)).getSupersedes()).isEqualTo(header(a01).getEventId());
        }

        @Test
        void given_nothing_known_of_the_visit_when_a11_arrives_then_each_candidate_item_of_the_visit_is_cancelled() {
            List<SpecificRecord> cancel = own(send(inpatient("A11", "E3", T0).patientClass("O")));
            assertThat(cancel).extracting(AdtMapperTest::describe).containsExactlyInAnyOrder(
                    "Admission CANCEL V100", "Attendance CANCEL V100", "Appointment CANCEL V100");
            assertThat(cancel).allSatisfy(e -> assertThat(header(e).getSupersedes()).isNull());
        }

        @Test
        void given_an_ae_attendance_when_a11_arrives_then_the_attendance_is_withdrawn_not_an_admission() {
            SpecificRecord a04 = own(send(inpatient("A04", "E4", T0).patientClass("E").visitNumber("AE1"))).get(0);
            List<SpecificRecord> cancel = own(send(inpatient("A11", "E5", T0.plusSeconds(60)).patientClass("I")
                    .visitNumber("AE1")));
            assertThat(cancel).extracting(AdtMapperTest::describe).containsExactly("Attendance CANCEL AE1");
            assertThat(header(cancel.get(0)).getSupersedes()).isEqualTo(header(a04).getEventId());
        }

        @Test
        void given_a02_at_13_30_when_a12_is_stamped_12_45_then_the_cancel_names_the_transfer_it_withdraws() {
            // Issue 8 item 2: clocks differ; the cancel has the lower version but supersedes the transfer.
            Instant t1330 = Instant.parse("2026-11-20T13:30:00Z");
            Instant t1245 = Instant.parse("2026-11-20T12:45:00Z");
            send(inpatient("A01", "S1", T0));
            Transfer moved = (Transfer) own(send(inpatient("A02", "S2", t1330).location("WARD 9", "ST THOMAS")
                    .priorWard("WARD 7"))).get(0);

            Transfer cancel = (Transfer) own(send(inpatient("A12", "S3", t1245).location("WARD 7", "ST THOMAS")
                    .priorWard("WARD 9"))).get(0);

            assertThat(cancel.getHeader().getAction()).isEqualTo(Action.CANCEL);
            assertThat(cancel.getHeader().getSubjectId()).isEqualTo(moved.getHeader().getSubjectId());
            assertThat(cancel.getHeader().getVersion()).as("MSH-7 of the cancel is earlier")
                    .isLessThan(moved.getHeader().getVersion());
            assertThat(cancel.getHeader().getSupersedes()).isEqualTo(moved.getHeader().getEventId());
        }

        @Test
        void a12_with_evn6_cancels_the_transfer_that_happened_then_even_when_this_adapter_never_saw_it() {
            Instant moved = T0.plusSeconds(3600);
            Transfer cancel = (Transfer) own(send(inpatient("A12", "S4", moved.plusSeconds(600)).eventOccurred(moved)))
                    .get(0);
            assertThat(cancel.getHeader().getSubjectId()).isEqualTo("V100/transfer/" + moved);
            assertThat(cancel.getHeader().getSupersedes()).isNull();
        }

        @Test
        void a12_without_evn6_for_a_spell_without_a_known_transfer_is_an_application_error() {
            assertRejected(inpatient("A12", "S5", T0).build(), AcknowledgmentCode.AE, "EVN-6");
        }

        @Test
        void given_a03_a13_a03_then_each_names_the_one_before_and_the_second_discharge_reinstates_the_spell_end() {
            send(inpatient("A01", "D0", T0));
            Discharge first = (Discharge) own(send(inpatient("A03", "D1", T0.plusSeconds(7200))
                    .dischargeDisposition("1").pv1(37, "19"))).get(0);
            Discharge cancel = (Discharge) own(send(inpatient("A13", "D2", T0.plusSeconds(7300)))).get(0);
            Discharge again = (Discharge) own(send(inpatient("A03", "D3", T0.plusSeconds(9000))
                    .dischargeDisposition("1").pv1(37, "54"))).get(0);

            assertThat(List.of(first, cancel, again)).extracting(AdtMapperTest::describe).containsExactly(
                    "Discharge NEW V100/discharge", "Discharge CANCEL V100/discharge", "Discharge NEW V100/discharge");
            assertThat(cancel.getHeader().getSupersedes()).isEqualTo(first.getHeader().getEventId());
            assertThat(again.getHeader().getSupersedes()).isEqualTo(cancel.getHeader().getEventId());
            assertThat(again.getDestination()).isEqualTo("CARE_HOME");
        }

        @Test
        void a13_of_an_ae_visit_reopens_the_attendance_instead() {
            send(inpatient("A04", "AE1", T0).patientClass("E").visitNumber("AE9"));
            send(inpatient("A03", "AE2", T0.plusSeconds(3600)).patientClass("E").visitNumber("AE9")
                    .dischargeTime(T0.plusSeconds(3600)));
            Attendance reopened = (Attendance) own(send(inpatient("A13", "AE3", T0.plusSeconds(4000))
                    .patientClass("E").visitNumber("AE9"))).get(0);
            assertThat(reopened.getHeader().getAction()).isEqualTo(Action.UPDATE);
            assertThat(reopened.getDepartedAt()).isNull();
            assertThat(reopened.getHeader().getOccurredAt()).as("still the arrival").isEqualTo(T0);
        }

        @Test
        void a23_deletes_every_item_of_the_visit_this_adapter_published() {
            send(inpatient("A01", "X1", T0));
            Instant moved = T0.plusSeconds(3600);
            send(inpatient("A02", "X2", moved).location("WARD 9", null));
            send(inpatient("A03", "X3", T0.plusSeconds(7200)));
            List<SpecificRecord> deleted = own(send(inpatient("A23", "X4", T0.plusSeconds(8000))));
            assertThat(deleted).extracting(AdtMapperTest::describe).containsExactlyInAnyOrder(
                    "Admission CANCEL V100", "Transfer CANCEL V100/transfer/" + moved, "Discharge CANCEL V100/discharge");
            assertThat(deleted).allSatisfy(e -> assertThat(header(e).getSupersedes()).isNotNull());
        }

        @Test
        void a21_a22_are_leave_transfers_and_a52_cancels_the_leave() {
            Transfer out = (Transfer) own(send(inpatient("A21", "L1", T0))).get(0);
            Transfer back = (Transfer) own(send(inpatient("A22", "L2", T0.plusSeconds(3600)))).get(0);
            assertThat(out.getToWard()).isEqualTo(AdtMapper.LEAVE_OF_ABSENCE);
            assertThat(out.getFromWard()).isEqualTo("WARD 7");
            assertThat(back.getFromWard()).isEqualTo(AdtMapper.LEAVE_OF_ABSENCE);
            assertThat(out.getSpellId()).isEqualTo("V100");

            Transfer cancelled = (Transfer) own(send(inpatient("A52", "L3", T0.plusSeconds(7200)))).get(0);
            assertThat(cancelled.getHeader().getAction()).isEqualTo(Action.CANCEL);
            assertThat(cancelled.getHeader().getSubjectId()).isEqualTo(out.getHeader().getSubjectId());
            assertThat(cancelled.getHeader().getSupersedes()).isEqualTo(out.getHeader().getEventId());
        }
    }

    // =====================================================================================
    @Nested
    class ChangesOfClassAndPlannedEvents {

        @Test
        void given_an_ae_attendance_when_a06_admits_the_patient_then_the_attendance_ends_admitted_and_the_spell_starts() {
            // HL7 v2.5.1 3.3.6: A06 "change an outpatient to an inpatient" (Epic sends it when an ED patient is admitted).
            Instant arrived = T0;
            Attendance a04 = (Attendance) own(send(inpatient("A04", "ED1", T0).patientClass("E").visitNumber("V300")
                    .admitTime(arrived).location("ED MAJORS", "ST THOMAS"))).get(0);
            Instant admittedAt = T0.plusSeconds(4 * 3600);

            List<SpecificRecord> a06 = own(send(inpatient("A06", "ED2", admittedAt).eventOccurred(admittedAt)
                    .visitNumber("V300").patientClass("I").location("AMU", "ST THOMAS").priorWard("ED MAJORS")));

            assertThat(a06).extracting(AdtMapperTest::describe).containsExactly("Attendance UPDATE V300",
                    "Admission NEW V300");
            Attendance ended = (Attendance) a06.get(0);
            assertThat(ended.getOutcome()).isEqualTo("ADMITTED");
            assertThat(ended.getDepartedAt()).isEqualTo(admittedAt);
            assertThat(ended.getHeader().getOccurredAt()).as("the attendance still starts at arrival").isEqualTo(arrived);
            assertThat(ended.getHeader().getSupersedes()).isEqualTo(a04.getHeader().getEventId());
            Admission admission = (Admission) a06.get(1);
            assertThat(admission.getWard()).isEqualTo("AMU");
            assertThat(admission.getHeader().getOccurredAt()).isEqualTo(admittedAt);
        }

        @Test
        void a06_with_a_new_visit_number_ends_the_prior_visit_named_in_mrg_5() {
            send(inpatient("A04", "ED3", T0).patientClass("E").visitNumber("AE77"));
            List<SpecificRecord> a06 = own(send(inpatient("A06", "ED4", T0.plusSeconds(3600)).visitNumber("IP77")
                    .mrg(5, "AE77")));
            assertThat(a06).extracting(AdtMapperTest::describe).containsExactly("Attendance UPDATE AE77",
                    "Admission NEW IP77");
        }

        @Test
        void a07_ends_the_spell_and_the_visit_goes_on_as_an_outpatient_visit() {
            send(inpatient("A01", "C1", T0));
            List<SpecificRecord> a07 = own(send(inpatient("A07", "C2", T0.plusSeconds(3600)).patientClass("O")));
            assertThat(a07).extracting(AdtMapperTest::describe).containsExactly("Discharge NEW V100/discharge",
                    "Appointment NEW V100");
            assertThat(((Discharge) a07.get(0)).getDischargeMethod()).isEqualTo("CHANGED_TO_OUTPATIENT");
            assertThat(((Appointment) a07.get(1)).getStatus()).isEqualTo("ATTENDED");
        }

        @Test
        void a14_is_a_planned_admission_like_a05_and_a27_cancels_it() {
            Instant planned = T0.plusSeconds(7 * 86400);
            Appointment booked = (Appointment) own(send(inpatient("A14", "P1", T0).patientClass("P")
                    .expectedAdmit(planned))).get(0);
            assertThat(booked.getStatus()).isEqualTo("BOOKED");
            assertThat(booked.getStartsAt()).isEqualTo(planned);
            assertThat(booked.getHeader().getSubjectId()).isEqualTo("V100/pre-admit");

            Appointment cancelled = (Appointment) own(send(inpatient("A27", "P2", T0.plusSeconds(60)))).get(0);
            assertThat(cancelled.getHeader().getAction()).isEqualTo(Action.CANCEL);
            assertThat(cancelled.getHeader().getSubjectId()).isEqualTo("V100/pre-admit");
            assertThat(cancelled.getHeader().getSupersedes()).isEqualTo(booked.getHeader().getEventId());
        }

        @Test
        void a05_without_an_expected_date_is_an_error_and_a38_cancels_a_pre_admission() {
            assertRejected(inpatient("A05", "P3", T0).build(), AcknowledgmentCode.AE, "PV2-8");
            send(inpatient("A05", "P4", T0).expectedAdmit(T0.plusSeconds(86400)));
            assertThat(own(send(inpatient("A38", "P5", T0.plusSeconds(60))))).extracting(AdtMapperTest::describe)
                    .containsExactly("Appointment CANCEL V100/pre-admit");
        }

        @Test
        void an_a08_of_a_planned_admission_updates_it_only_when_it_says_when() {
            Instant planned = T0.plusSeconds(7 * 86400);
            Appointment booked = (Appointment) own(send(inpatient("A05", "P6", T0).patientClass("P")
                    .expectedAdmit(planned))).get(0);
            Appointment moved = (Appointment) own(send(inpatient("A08", "P7", T0.plusSeconds(60)).patientClass("P")
                    .expectedAdmit(planned.plusSeconds(86400)))).get(0);
            assertThat(moved.getHeader().getAction()).isEqualTo(Action.UPDATE);
            assertThat(moved.getStartsAt()).isEqualTo(planned.plusSeconds(86400));
            assertThat(moved.getHeader().getSupersedes()).isEqualTo(booked.getHeader().getEventId());

            AdtMapper.Result silent = result(inpatient("A08", "P8", T0.plusSeconds(120)).patientClass("P").build());
            assertThat(own(silent.events())).isEmpty();
            assertThat(silent.note()).contains("says nothing of when");
        }

        @Test
        void pending_transfer_and_discharge_and_their_cancels_carry_nothing_of_their_own() {
            // HL7 v2.5.1 3.3.15/16/25/26: pending events are plans, not what happened.
            for (String trigger : List.of("A15", "A16", "A25", "A26", "A09", "A10", "A32", "A33", "A60")) {
                AdtMapper.Result r = result(inpatient(trigger, "Q" + trigger, T0).nhsNumber(null).build());
                assertThat(r.events()).as(trigger).isEmpty();
                assertThat(r.note()).as(trigger).contains("nothing for the timeline");
            }
        }

        @Test
        void a17_swaps_two_patients_beds_as_two_transfers() {
            // HL7 v2.5.1 3.3.17: the patient ID and visit data are repeated for the two patients
            // changing places; as for A02, PV1-3 is the new location and PV1-6 the prior one.
            String a17 = String.join("\r",
                    "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|20261120100000||ADT^A17^ADT_A17|SWAP1|P|2.5.1",
                    "EVN|A17|20261120100000",
                    "PID|||" + NHS + "^^^NHS^NH~40800000^^^MRENTR^MEDREC||SMITH^JANE||19400101|F",
                    segment("PV1", Map.of(2, "I", 3, "WARD 7^BAY 1^BED 2^RJ100", 6, "WARD 7^BAY 1^BED 1^RJ100",
                            19, "V100")),
                    "PID|||" + NHS_2 + "^^^NHS^NH~40800002^^^MRENTR^MEDREC||JONES^ALAN||19500101|M",
                    segment("PV1", Map.of(2, "I", 3, "WARD 7^BAY 1^BED 1^RJ100", 19, "V200"))) + "\r";

            List<SpecificRecord> swap = own(send(a17));

            assertThat(swap).hasSize(2);
            Transfer first = (Transfer) swap.get(0);
            Transfer second = (Transfer) swap.get(1);
            assertThat(first.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
            assertThat(first.getSpellId()).isEqualTo("V100");
            assertThat(first.getFromLocation().getBed()).isEqualTo("BED 1");
            assertThat(first.getToLocation().getBed()).isEqualTo("BED 2");
            assertThat(first.getReason()).isEqualTo("SWAPPED_BEDS");
            assertThat(second.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS_2);
            assertThat(second.getSpellId()).isEqualTo("V200");
            assertThat(second.getToLocation().getBed()).isEqualTo("BED 1");
            assertThat(second.getFromLocation().getBed()).as("no PV1-6: the other patient's new bed")
                    .isEqualTo("BED 2");
        }
    }

    // =====================================================================================
    @Nested
    class FirstSeenMidSpell {

        @Test
        void an_a02_for_a_visit_whose_a01_never_arrived_is_a_transfer_of_that_spell() {
            Transfer t = (Transfer) own(send(inpatient("A02", "MS1", T0).location("WARD 9", "ST THOMAS")
                    .priorWard("WARD 7"))).get(0);
            assertThat(t.getSpellId()).isEqualTo("V100");
            assertThat(t.getToWard()).isEqualTo("WARD 9");
            assertThat(t.getFromWard()).isEqualTo("WARD 7");
        }

        @Test
        void an_a08_of_an_unknown_inpatient_visit_is_an_admission_update_and_an_a03_a_discharge() {
            assertThat(own(send(inpatient("A08", "MS2", T0)))).extracting(AdtMapperTest::describe)
                    .containsExactly("Admission UPDATE V100");
            assertThat(own(send(inpatient("A03", "MS3", T0.plusSeconds(60)).visitNumber("V101"))))
                    .extracting(AdtMapperTest::describe).containsExactly("Discharge NEW V101/discharge");
        }

        @Test
        void an_a08_of_a_known_admission_updates_it_whatever_its_class_and_keeps_its_admission_time() {
            Admission a01 = (Admission) own(send(inpatient("A01", "U1", T0).admitTime(T0))).get(0);
            Admission update = (Admission) own(send(inpatient("A08", "U2", T0.plusSeconds(60)).patientClass("O")
                    .location("WARD 8", null))).get(0);
            assertThat(update.getHeader().getAction()).isEqualTo(Action.UPDATE);
            assertThat(update.getWard()).isEqualTo("WARD 8");
            assertThat(update.getHeader().getOccurredAt()).isEqualTo(T0);
            assertThat(update.getHeader().getSupersedes()).isEqualTo(a01.getHeader().getEventId());
        }

        @Test
        void a04_is_an_ae_attendance_for_emergency_patients_and_an_attended_outpatient_visit_otherwise() {
            Attendance attendance = (Attendance) own(send(inpatient("A04", "R1", T0).patientClass("E")
                    .location("ED MAJORS", "ST THOMAS").visitNumber("AE55").segment("PV2|||^Chest pain"))).get(0);
            assertThat(attendance.getDepartment()).isEqualTo("ED MAJORS");
            assertThat(attendance.getChiefComplaint()).isEqualTo("Chest pain");
            Appointment outpatient = (Appointment) own(send(inpatient("A04", "R2", T0).patientClass("O")
                    .visitNumber("OP1"))).get(0);
            assertThat(outpatient.getStatus()).isEqualTo("ATTENDED");
            Attendance departed = (Attendance) own(send(inpatient("A03", "R3", T0.plusSeconds(7200))
                    .patientClass("E").visitNumber("AE55").dischargeTime(T0.plusSeconds(7000)))).get(0);
            assertThat(departed.getHeader().getAction()).isEqualTo(Action.UPDATE);
            assertThat(departed.getDepartedAt()).isEqualTo(T0.plusSeconds(7000));
            assertThat(departed.getOutcome()).isEqualTo("DISCHARGED");
        }
    }

    // =====================================================================================
    @Nested
    class Discharges {

        @Test
        void pv1_36_is_the_nhs_discharge_method_and_pv1_37_the_destination_both_coded() {
            Discharge d = (Discharge) own(send(inpatient("A03", "DC1", T0).dischargeDisposition("1")
                    .pv1(37, "54").dischargeTime(T0.minusSeconds(60)))).get(0);
            assertThat(d.getDischargeMethod()).isEqualTo("CLINICAL_ADVICE");
            assertThat(d.getDestination()).isEqualTo("CARE_HOME");
            assertThat(d.getDischargeMethodCode()).isEqualTo(new Coding(
                    "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland", "1",
                    "Patient discharged on clinical advice or with clinical consent"));
            assertThat(d.getDischargeDestinationCode().getSystem())
                    .isEqualTo("https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland");
            assertThat(d.getDischargeDestinationCode().getCode()).isEqualTo("54");
            assertThat(d.getHeader().getOccurredAt()).isEqualTo(T0.minusSeconds(60));
            assertThat(d.getLocation().getPointOfCare()).isEqualTo("WARD 7");
        }

        @Test
        void a_two_digit_pv1_36_is_read_as_the_destination_as_some_feeds_send_it() {
            Discharge d = (Discharge) own(send(inpatient("A03", "DC2", T0).dischargeDisposition("19"))).get(0);
            assertThat(d.getDestination()).isEqualTo("HOME");
            assertThat(d.getDischargeDestinationCode().getCode()).isEqualTo("19");
            assertThat(d.getDischargeMethodCode()).isNull();
        }

        @Test
        void a_discharge_method_of_died_gives_destination_died() {
            Discharge d = (Discharge) own(send(inpatient("A03", "DC3", T0).dischargeDisposition("4"))).get(0);
            assertThat(d.getDestination()).isEqualTo("DIED");
            assertThat(d.getDischargeMethod()).isEqualTo("DIED");
        }
    }

    // =====================================================================================
    @Nested
    class Deaths {

        private AdtMessageBuilder died(String trigger, String id, Instant at, Instant diedAt) {
            return inpatient(trigger, id, at).pid(29, AdtMessageBuilder.hl7Time(diedAt)).pid(30, "Y")
                    .evn(5, "C9999^NURSE^MARY");
        }

        @Test
        void given_an_a03_with_pid_29_and_pid_30_y_then_a_death_besides_a_discharge_to_died() {
            Instant diedAt = T0.minusSeconds(1800);
            List<SpecificRecord> events = own(send(died("A03", "DTH1", T0, diedAt).dischargeDisposition("4")
                    .pv1(37, "79")));

            assertThat(events).extracting(AdtMapperTest::describe).containsExactly("Discharge NEW V100/discharge",
                    "Death NEW death/MRENTR|40800000");
            assertThat(((Discharge) events.get(0)).getDestination()).isEqualTo("DIED");
            Death death = (Death) events.get(1);
            assertThat(death.getHeader().getOccurredAt()).isEqualTo(diedAt);
            assertThat(death.getRecordedBy()).isEqualTo("MARY NURSE");
            assertThat(death.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        }

        @Test
        void a_death_on_an_a03_whose_pv1_36_says_nothing_still_discharges_to_died() {
            List<SpecificRecord> events = own(send(died("A03", "DTH2", T0, T0).dischargeDisposition(null)));
            assertThat(((Discharge) events.get(0)).getDestination()).isEqualTo("DIED");
        }

        @Test
        void a_death_on_an_a08_or_a31_is_a_death_and_restating_it_publishes_nothing_more() {
            Instant diedAt = T0.minusSeconds(3600);
            assertThat(own(send(died("A31", "DTH3", T0, diedAt).withoutPv1())))
                    .extracting(AdtMapperTest::describe).containsExactly("Death NEW death/MRENTR|40800000");
            assertThat(own(send(died("A08", "DTH4", T0.plusSeconds(60), diedAt))))
                    .extracting(AdtMapperTest::describe).containsExactly("Admission UPDATE V100");
        }

        @Test
        void pid_29_alone_is_a_death_and_a_corrected_time_of_death_supersedes_the_first() {
            Death first = (Death) own(send(inpatient("A31", "DTH5", T0).withoutPv1()
                    .pid(29, AdtMessageBuilder.hl7Time(T0.minusSeconds(60))))).get(0);
            Death corrected = (Death) own(send(inpatient("A31", "DTH6", T0.plusSeconds(60)).withoutPv1()
                    .pid(29, AdtMessageBuilder.hl7Time(T0.minusSeconds(600))).pid(30, "Y"))).get(0);
            assertThat(corrected.getHeader().getAction()).isEqualTo(Action.UPDATE);
            assertThat(corrected.getHeader().getSupersedes()).isEqualTo(first.getHeader().getEventId());
            assertThat(corrected.getRecordedBy()).as("no EVN-5: the sending facility").isEqualTo("RJ1");
        }

        @Test
        void pid_30_n_gives_no_death_and_withdraws_one_this_adapter_published() {
            assertThat(own(send(inpatient("A31", "DTH7", T0).withoutPv1().pid(30, "N")))).isEmpty();
            Death death = (Death) own(send(died("A31", "DTH8", T0.plusSeconds(60), T0).withoutPv1())).get(0);
            List<SpecificRecord> corrected = own(send(inpatient("A31", "DTH9", T0.plusSeconds(120)).withoutPv1()
                    .pid(29, AdtMessageBuilder.hl7Time(T0)).pid(30, "N")));
            assertThat(corrected).extracting(AdtMapperTest::describe)
                    .containsExactly("Death CANCEL death/MRENTR|40800000");
            assertThat(header(corrected.get(0)).getSupersedes()).isEqualTo(death.getHeader().getEventId());
        }
    }

    // =====================================================================================
    @Nested
    class Identities {

        @Test
        void every_pid_3_pairing_an_nhs_number_with_a_local_id_is_linked_once() {
            List<SpecificRecord> first = send(inpatient("A01", "I1", T0));
            PatientIdentity link = (PatientIdentity) first.get(0);
            assertThat(link.getKind()).isEqualTo(IdentityKind.LINK);
            assertThat(link.getNhsNumber()).isEqualTo(NHS);
            assertThat(link.getLocalId()).isEqualTo(new LocalIdentifier("MRENTR", "40800000"));
            assertThat(link.getHeader().getSubjectId()).isEqualTo("identity/MRENTR|40800000");

            assertThat(send(inpatient("A02", "I2", T0.plusSeconds(60)))).as("the link is not published again")
                    .noneMatch(e -> e instanceof PatientIdentity);

            List<SpecificRecord> relinked = send(inpatient("A08", "I3", T0.plusSeconds(120)).nhsNumber(NHS_2));
            PatientIdentity corrected = (PatientIdentity) relinked.get(0);
            assertThat(corrected.getNhsNumber()).isEqualTo(NHS_2);
            assertThat(corrected.getHeader().getSupersedes()).isEqualTo(link.getHeader().getEventId());
        }

        @Test
        void a_link_has_the_same_event_id_from_any_message_naming_the_pair() {
            String a = header(mapper.map(parse(inpatient("A01", "J1", T0).build())).events().get(0)).getEventId();
            String b = header(mapper.map(parse(inpatient("A31", "J2", T0.plusSeconds(99)).withoutPv1().build()))
                    .events().get(0)).getEventId();
            assertThat(a).isEqualTo(b);
        }

        @Test
        void a28_without_both_identifiers_has_nothing_to_publish() {
            AdtMapper.Result r = result(adt("A28", "M17", T0).localId("1", "MRENTR").withoutPv1().build());
            assertThat(r.events()).isEmpty();
            assertThat(r.note()).contains("PID-3 needs both");
        }

        @Test
        void a40_with_mrg_1_carrying_only_the_retiring_hospital_number_merges_that_mrn_into_the_survivor() {
            // NHS ADT guidance: MRG-1 carries the retiring hospital number only; PID-3 the survivor.
            String a40 = String.join("\r",
                    "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|20261120100000||ADT^A40^ADT_A39|MRG1|P|2.5.1",
                    "EVN|A40|20261120100000",
                    "PID|||" + NHS + "^^^NHS^NH~40800000^^^MRENTR^MEDREC||SMITH^JANE||19400101|F",
                    "MRG|40899999^^^MRENTR^MEDREC") + "\r";

            List<SpecificRecord> events = send(a40);

            assertThat(events).extracting(AdtMapperTest::describe).containsExactly(
                    "PatientIdentity NEW identity/MRENTR|40800000", "PatientIdentity NEW merge/MRENTR|40899999");
            PatientIdentity merge = (PatientIdentity) events.get(1);
            assertThat(merge.getKind()).isEqualTo(IdentityKind.MERGE);
            assertThat(merge.getNhsNumber()).isEqualTo(NHS);
            assertThat(merge.getLocalId()).isEqualTo(new LocalIdentifier("MRENTR", "40899999"));
            assertThat(merge.getSupersededNhsNumber()).isNull();
            assertThat(merge.getVisit()).isNull();
        }

        @Test
        void a34_and_a36_merge_as_a40_does_and_a_different_nhs_number_in_mrg_1_is_superseded() {
            for (String trigger : List.of("A34", "A36")) {
                List<SpecificRecord> events = own(send(adt(trigger, "MRG-" + trigger, T0).nhsNumber(NHS)
                        .localId("40800000", "MRENTR").withoutPv1().merged("40877777^^^MRENTR^MEDREC")
                        .merged(NHS_2 + "^^^NHS^NH")));
                PatientIdentity merge = (PatientIdentity) events.get(0);
                assertThat(merge.getKind()).as(trigger).isEqualTo(IdentityKind.MERGE);
                assertThat(merge.getLocalId().getValue()).isEqualTo("40877777");
                assertThat(merge.getSupersededNhsNumber()).isEqualTo(NHS_2);
            }
            assertRejected(adt("A40", "M19", T0).nhsNumber(NHS).build(), AcknowledgmentCode.AE, "MRG");
            assertRejected(adt("A40", "M20", T0).localId("1", "MRENTR").merged("2^^^MRENTR^MEDREC").build(),
                    AcknowledgmentCode.AE, "no NHS number for the surviving patient");
        }

        @Test
        void given_an_a40_when_a37_unlinks_the_two_patients_then_the_merge_is_withdrawn() {
            PatientIdentity merge = (PatientIdentity) own(send(adt("A40", "UM1", T0).nhsNumber(NHS)
                    .localId("40800000", "MRENTR").merged("40899999^^^MRENTR^MEDREC"))).get(0);
            // HL7 v2.5.1 3.3.37: A37 unlink patient information names the two patients in two PIDs.
            String a37 = String.join("\r",
                    "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|20261120110000||ADT^A37^ADT_A37|UM2|P|2.5.1",
                    "EVN|A37|20261120110000",
                    "PID|||" + NHS + "^^^NHS^NH~40800000^^^MRENTR^MEDREC||SMITH^JANE||19400101|F",
                    "PID|||40899999^^^MRENTR^MEDREC||SMITH^JANE||19400101|F") + "\r";

            List<SpecificRecord> unmerge = own(send(a37));

            assertThat(unmerge).extracting(AdtMapperTest::describe).containsExactly(
                    "PatientIdentity CANCEL merge/MRENTR|40899999");
            PatientIdentity cancel = (PatientIdentity) unmerge.get(0);
            assertThat(cancel.getKind()).isEqualTo(IdentityKind.MERGE);
            assertThat(cancel.getNhsNumber()).isEqualTo(NHS);
            assertThat(cancel.getLocalId().getValue()).isEqualTo("40899999");
            assertThat(cancel.getHeader().getSupersedes()).isEqualTo(merge.getHeader().getEventId());
        }

        @Test
        void a44_moves_one_account_and_a45_one_visit_to_the_pid_3_patient() {
            PatientIdentity account = (PatientIdentity) own(send(adt("A44", "MV1", T0).nhsNumber(NHS)
                    .localId("40800000", "MRENTR").withoutPv1().merged("40899999^^^MRENTR^MEDREC")
                    .mrg(3, "ACC55"))).get(0);
            assertThat(account.getKind()).isEqualTo(IdentityKind.MERGE);
            assertThat(account.getVisit()).isEqualTo("ACC55");
            assertThat(account.getLocalId().getValue()).isEqualTo("40899999");

            PatientIdentity visit = (PatientIdentity) own(send(adt("A45", "MV2", T0).nhsNumber(NHS)
                    .localId("40800000", "MRENTR").merged("40899999^^^MRENTR^MEDREC").mrg(5, "V555")
                    .visitNumber("V555"))).get(0);
            assertThat(visit.getVisit()).isEqualTo("V555");
            assertThat(visit.getHeader().getSubjectId()).isEqualTo("move/V555/MRENTR|40899999");
        }

        @Test
        void a47_replacing_the_nhs_number_supersedes_it_and_replacing_the_mrn_merges_the_old_one() {
            List<SpecificRecord> events = own(send(adt("A47", "CH1", T0).nhsNumber(NHS).localId("40800000", "MRENTR")
                    .withoutPv1().merged(NHS_3 + "^^^NHS^NH").merged("40811111^^^MRENTR^MEDREC")));
            assertThat(events).extracting(AdtMapperTest::describe).containsExactly(
                    "PatientIdentity NEW supersede/nhs|" + NHS_3, "PatientIdentity NEW merge/MRENTR|40811111");
            PatientIdentity supersede = (PatientIdentity) events.get(0);
            assertThat(supersede.getKind()).isEqualTo(IdentityKind.SUPERSEDE);
            assertThat(supersede.getNhsNumber()).isEqualTo(NHS);
            assertThat(supersede.getSupersededNhsNumber()).isEqualTo(NHS_3);
        }

        @Test
        void a29_withdraws_the_link_published_before() {
            PatientIdentity link = (PatientIdentity) send(inpatient("A31", "DEL1", T0).withoutPv1()).get(0);
            List<SpecificRecord> deleted = send(inpatient("A29", "DEL2", T0.plusSeconds(60)).withoutPv1());
            assertThat(deleted).extracting(AdtMapperTest::describe)
                    .containsExactly("PatientIdentity CANCEL identity/MRENTR|40800000");
            assertThat(header(deleted.get(0)).getSupersedes()).isEqualTo(link.getHeader().getEventId());
            PatientIdentity relinked = (PatientIdentity) send(inpatient("A31", "DEL3", T0.plusSeconds(120))
                    .withoutPv1()).get(0);
            assertThat(relinked.getHeader().getSupersedes()).isEqualTo(header(deleted.get(0)).getEventId());
            assertThat(relinked.getHeader().getEventId()).as("a new link event, not the withdrawn one again")
                    .isNotEqualTo(link.getHeader().getEventId());
        }

        @Test
        void a24_links_each_pids_local_id_to_the_other_pids_nhs_number() {
            String a24 = String.join("\r",
                    "MSH|^~\\&|PAS|RJ1|CARETRAIL|CARETRAIL|20261120110000||ADT^A24^ADT_A24|LK1|P|2.5.1",
                    "EVN|A24|20261120110000",
                    "PID|||" + NHS + "^^^NHS^NH||SMITH^JANE||19400101|F",
                    "PID|||70800000^^^RJ1-COMMUNITY^MEDREC||SMITH^JANE||19400101|F") + "\r";
            List<SpecificRecord> links = send(a24);
            assertThat(links).extracting(AdtMapperTest::describe)
                    .containsExactly("PatientIdentity NEW identity/RJ1-COMMUNITY|70800000");
            assertThat(((PatientIdentity) links.get(0)).getNhsNumber()).isEqualTo(NHS);
        }
    }

    // =====================================================================================
    @Nested
    class Confidentiality {

        @Test
        void pv1_16_vip_pd1_12_protection_and_pv2_22_visit_protection_make_the_events_restricted() {
            assertThat(send(inpatient("A01", "VIP1", T0).pv1(16, "Y")))
                    .allSatisfy(e -> assertThat(header(e).getSensitivity()).isEqualTo(Sensitivity.RESTRICTED));
            assertThat(send(inpatient("A01", "VIP2", T0).visitNumber("V2").segment(segment("PD1", Map.of(12, "Y")))))
                    .isNotEmpty().allSatisfy(e -> assertThat(header(e).getSensitivity()).isEqualTo(Sensitivity.RESTRICTED));
            String pv2 = segment("PV2", Map.of(22, "Y"));
            assertThat(own(send(inpatient("A01", "VIP3", T0).visitNumber("V3").segment(pv2))))
                    .allSatisfy(e -> assertThat(header(e).getSensitivity()).isEqualTo(Sensitivity.RESTRICTED));
            assertThat(own(send(inpatient("A01", "VIP4", T0).visitNumber("V4").pv1(16, "N"))))
                    .allSatisfy(e -> assertThat(header(e).getSensitivity()).isEqualTo(Sensitivity.NORMAL));
        }
    }

    // =====================================================================================
    @Nested
    class Rejections {

        @Test
        void invalid_content_is_an_application_error_naming_the_field() {
            assertRejected(inpatient("A01", "E1", T0).nhsNumber("9990000019").build(), AcknowledgmentCode.AE,
                    "PID-3 repetition 1: NHS number '9990000019' fails the Modulus 11 check");
            assertRejected(inpatient("A01", "E2", T0).withoutPv1().build(), AcknowledgmentCode.AE,
                    "ADT^A01 has no PV1 segment");
            assertRejected(inpatient("A01", "E3", T0).visitNumber(null).build(), AcknowledgmentCode.AE,
                    "PV1-19 (visit number)");
            assertRejected(inpatient("A01", "E4", T0).build().replaceFirst("EVN\\|A01\\|[^|\r]*", "EVN|A01|2026-11-20"),
                    AcknowledgmentCode.AE, "EVN-2");
            assertRejected(inpatient("A01", "E5", T0).build().replaceFirst("EVN\\|A01\\|[^|\r]*", "EVN|A01|20261340"),
                    AcknowledgmentCode.AE, "not a real date/time");
            assertRejected(adt("A01", "E6", T0).facility("St Elsewhere").nhsNumber(NHS).visitNumber("V1").build(),
                    AcknowledgmentCode.AE, "MSH-4");
            assertRejected(adt("A01", "E7", T0).visitNumber("V1").build(), AcknowledgmentCode.AE, "PID-3");
            assertRejected(inpatient("A17", "E8", T0).build(), AcknowledgmentCode.AE, "two PID segments");
        }

        @Test
        void a19_a20_unknown_triggers_and_other_message_types_are_rejected() {
            assertRejected(inpatient("A01", "R1", T0).build().replace("ADT^A01^ADT_A01", "ORU^R01^ORU_R01"),
                    AcknowledgmentCode.AR, "ORU^R01 is not handled");
            assertRejected(inpatient("A19", "R2", T0).build(), AcknowledgmentCode.AR, "a query");
            assertRejected(inpatient("A20", "R3", T0).build(), AcknowledgmentCode.AR, "bed status");
            assertRejected(inpatient("Z99", "R4", T0).build(), AcknowledgmentCode.AR, "not an ADT trigger event");
        }
    }

    @Test
    void the_conformance_table_in_the_readme_lists_every_trigger_the_mapper_distinguishes() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        List<String> missing = new ArrayList<>();
        for (int i = 1; i <= 62; i++) {
            String trigger = String.format("A%02d", i);
            if (!readme.contains("| " + trigger + " ")) {
                missing.add(trigger);
            }
        }
        assertThat(missing).as("triggers without a row in producers/README.md's ADT conformance table").isEmpty();
    }

    @Test
    void birth_dates_and_postcodes_reach_the_link() {
        PatientIdentity link = (PatientIdentity) send(inpatient("A31", "B1", T0).withoutPv1().postcode("LS1 4AP"))
                .get(0);
        assertThat(link.getBirthDate()).isEqualTo(LocalDate.of(1980, 1, 1));
        assertThat(link.getPostcode()).isEqualTo("LS1 4AP");
        assertThat(link.getFamilyName()).isEqualTo("SMITH");
    }
}
