package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.producers.fhir.FhirResources.NHS;
import static org.caretrail.producers.fhir.FhirResources.T0;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.caretrail.events.model.Transfer;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

class FhirMapperTest {

    private final FhirMapper mapper = new FhirMapper(FhirSettings.defaults());
    private final Instant received = T0.plusSeconds(5);

    private SpecificRecord one(Resource r) {
        List<SpecificRecord> events = mapper.map(r, FhirMapper.Resolver.of(null), received, r.fhirType());
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private void assertProblem(Resource r, String expression, String messagePart) {
        assertThatThrownBy(() -> mapper.map(r, FhirMapper.Resolver.of(null), received, r.fhirType()))
                .isInstanceOfSatisfying(FhirProblem.class, p -> {
                    assertThat(p.status()).isEqualTo(422);
                    assertThat(p.issues()).anySatisfy(i -> {
                        assertThat(i.expression()).isEqualTo(expression);
                        assertThat(i.message()).contains(messagePart);
                    });
                });
    }

    @Test
    void an_inpatient_encounter_in_progress_is_an_admission_of_the_spell() {
        Admission a = (Admission) one(FhirResources.inpatient("V100", T0));
        assertThat(a.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(a.getHeader().getSubjectId()).isEqualTo("V100");
        assertThat(a.getHeader().getOccurredAt()).isEqualTo(T0);
        assertThat(a.getHeader().getVersion()).isEqualTo(received.toEpochMilli());
        assertThat(a.getHeader().getSource().getOdsCode()).isEqualTo("RJ1");
        assertThat(a.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(a.getWard()).isEqualTo("WARD 7");
    }

    @Test
    void a_location_history_is_a_transfer_keyed_like_hl7_and_finished_is_a_discharge() {
        Instant moved = T0.plusSeconds(3600);
        Encounter e = FhirResources.inpatient("V100", T0);
        e.getLocationFirstRep().setStatus(Encounter.EncounterLocationStatus.COMPLETED).getPeriod().setEnd(Date.from(moved));
        e.addLocation().setStatus(Encounter.EncounterLocationStatus.ACTIVE)
                .setLocation(new Reference().setDisplay("WARD 9")).getPeriod().setStart(Date.from(moved));
        Transfer t = (Transfer) one(e);
        assertThat(t.getHeader().getSubjectId()).isEqualTo("V100/transfer/" + moved);
        assertThat(t.getFromWard()).isEqualTo("WARD 7");
        assertThat(t.getToWard()).isEqualTo("WARD 9");
        assertThat(t.getSpellId()).isEqualTo("V100");

        e.setStatus(Encounter.EncounterStatus.FINISHED);
        e.getPeriod().setEnd(Date.from(moved.plusSeconds(3600)));
        e.getHospitalization().getDischargeDisposition().addCoding().setCode("home");
        Discharge d = (Discharge) one(e);
        assertThat(d.getHeader().getSubjectId()).isEqualTo("V100/discharge");
        assertThat(d.getDestination()).isEqualTo("HOME");
        assertThat(d.getHeader().getOccurredAt()).isEqualTo(moved.plusSeconds(3600));

        e.setStatus(Encounter.EncounterStatus.ENTEREDINERROR);
        List<SpecificRecord> withdrawn = mapper.map(e, FhirMapper.Resolver.of(null), received, "Encounter");
        assertThat(withdrawn).extracting(x -> x.getSchema().getName() + " " + org.caretrail.events.CareEvents.header(x)
                .getAction() + " " + org.caretrail.events.CareEvents.header(x).getSubjectId())
                .as("the spell and its pre-admission are withdrawn; the transfer and discharge were of the spell")
                .containsExactly("Admission CANCEL V100", "Appointment CANCEL V100/pre-admit");
    }

    @Test
    void a_planned_admission_cancelled_before_it_began_withdraws_its_booking() {
        Instant expected = T0.plusSeconds(86400 * 14);
        Encounter planned = FhirResources.inpatient("V600", expected).setStatus(Encounter.EncounterStatus.PLANNED);
        Appointment booked = (Appointment) one(planned);

        // FHIR R4: cancelled = "the Encounter has ended before it has begun"
        planned.setStatus(Encounter.EncounterStatus.CANCELLED);
        planned.getMeta().setVersionId("2");
        List<SpecificRecord> cancelled = mapper.map(planned, FhirMapper.Resolver.of(null), received, "Encounter");
        Appointment withdrawn = (Appointment) cancelled.get(1);
        assertThat(withdrawn.getHeader().getAction()).isEqualTo(Action.CANCEL);
        assertThat(withdrawn.getHeader().getSubjectId()).isEqualTo(booked.getHeader().getSubjectId());
        assertThat(withdrawn.getHeader().getSource().getOdsCode()).isEqualTo(booked.getHeader().getSource().getOdsCode());
    }

    @Test
    void a_planned_inpatient_encounter_is_a_booked_pre_admission_like_hl7_a05() {
        Instant expected = T0.plusSeconds(86400 * 14);
        Encounter e = FhirResources.inpatient("V500", expected).setStatus(Encounter.EncounterStatus.PLANNED);
        Appointment a = (Appointment) one(e);
        assertThat(a.getHeader().getSubjectId()).isEqualTo("V500/pre-admit");
        assertThat(a.getStartsAt()).isEqualTo(expected);
        assertThat(a.getStatus()).isEqualTo("BOOKED");
        assertThat(a.getHeader().getOccurredAt()).isEqualTo(received);
    }

    @Test
    void an_emergency_encounter_is_an_attendance_and_finished_updates_it_with_the_departure() {
        Encounter e = FhirResources.emergency("AE1", T0);
        Attendance a = (Attendance) one(e);
        assertThat(a.getHeader().getAction()).isEqualTo(Action.NEW);
        assertThat(a.getDepartment()).isEqualTo("ED MAJORS");
        assertThat(a.getChiefComplaint()).isEqualTo("chest pain");

        e.setStatus(Encounter.EncounterStatus.FINISHED);
        e.getPeriod().setEnd(Date.from(T0.plusSeconds(7200)));
        Attendance done = (Attendance) one(e);
        assertThat(done.getHeader().getAction()).isEqualTo(Action.UPDATE);
        assertThat(done.getDepartedAt()).isEqualTo(T0.plusSeconds(7200));
    }

    @Test
    void referral_prescription_appointment_and_patient_link() {
        Referral r = (Referral) one(FhirResources.referral("REF1"));
        assertThat(r.getPriority()).isEqualTo("URGENT");
        assertThat(r.getToOdsCode()).isEqualTo("RJ1");
        assertThat(r.getHeader().getSource().getOdsCode()).isEqualTo("A81001");
        assertThat(r.getSpecialty()).isEqualTo("Cardiology");
        assertThat(r.getStatus()).isEqualTo("OPEN");

        Prescription p = (Prescription) one(FhirResources.prescription("RX1"));
        assertThat(p.getMedication()).isEqualTo("Atorvastatin 20mg tablets");
        assertThat(p.getRepeat()).isTrue();
        assertThat(p.getDose()).isEqualTo("one at night");

        Instant start = T0.plusSeconds(86400 * 10);
        Appointment a = (Appointment) one(FhirResources.appointment("APPT1", start));
        assertThat(a.getStartsAt()).isEqualTo(start);
        assertThat(a.getStatus()).isEqualTo("BOOKED");
        assertThat(a.getPractitioner()).isEqualTo("Dr A Jones");
        assertThat(a.getHeader().getOccurredAt()).as("booked at created, not in the future").isEqualTo(T0);

        PatientIdentity link = (PatientIdentity) one(FhirResources.patient(NHS, "40800000"));
        assertThat(link.getKind()).isEqualTo(IdentityKind.LINK);
        assertThat(link.getLocalId().getSystem()).isEqualTo("https://rj1.example/mrn");
        assertThat(mapper.map(FhirResources.patient(NHS, null), FhirMapper.Resolver.of(null), received, "Patient"))
                .isEmpty();
    }

    @Test
    void a_subject_reference_resolves_to_a_patient_in_the_same_bundle() {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        bundle.addEntry().setFullUrl("urn:uuid:p1").setResource(FhirResources.patient(NHS, "40800000"));
        Encounter e = FhirResources.inpatient("V200", T0).setSubject(new Reference("urn:uuid:p1"));
        bundle.addEntry().setFullUrl("urn:uuid:e1").setResource(e);
        List<SpecificRecord> events = mapper.map(e, FhirMapper.Resolver.of(bundle), received, "Bundle.entry[1].resource");
        Admission a = (Admission) events.get(0);
        assertThat(a.getHeader().getPatient().getNhsNumber()).isEqualTo(NHS);
        assertThat(a.getHeader().getPatient().getLocalId().getValue()).isEqualTo("40800000");
    }

    @Test
    void problems_name_the_element_at_fault() {
        assertProblem(FhirResources.inpatient("V1", T0).setSubject(FhirResources.nhsPatient("9990000019")),
                "Encounter.subject.identifier.value", "fails the Modulus 11 check");
        Encounter noId = FhirResources.inpatient("V1", T0);
        noId.getIdentifier().clear();
        assertProblem(noId, "Encounter.identifier", "is required");
        assertProblem(FhirResources.inpatient("V1", T0).setServiceProvider(null), "Encounter.serviceProvider",
                "ods-organization-code");
        Encounter noStart = FhirResources.inpatient("V1", T0);
        noStart.getPeriod().setStart(null);
        assertProblem(noStart, "Encounter.period.start", "is required");
        assertProblem(FhirResources.inpatient("V1", T0).setClass_(new org.hl7.fhir.r4.model.Coding(null, "AMB", null)),
                "Encounter.class", "'AMB' is not mapped");
        assertProblem(FhirResources.inpatient("V1", T0.plusSeconds(86400 * 30)), "Encounter",
                "occurredAt");
        org.hl7.fhir.r4.model.MedicationRequest noDrug = FhirResources.prescription("RX9");
        noDrug.setMedication(null);
        assertProblem(noDrug, "MedicationRequest.medication[x]", "is required");
    }

    @Test
    void a_configured_organisation_stands_in_when_the_resource_names_none() {
        FhirMapper configured = new FhirMapper(FhirSettings.defaults().withOrganisation("RJ1", "St Thomas'"));
        Admission a = (Admission) configured.map(FhirResources.inpatient("V1", T0).setServiceProvider(null),
                FhirMapper.Resolver.of(null), received, "Encounter").get(0);
        assertThat(a.getHeader().getSource().getOdsCode()).isEqualTo("RJ1");
        assertThat(a.getHeader().getSource().getName()).isEqualTo("St Thomas'");
    }
}
