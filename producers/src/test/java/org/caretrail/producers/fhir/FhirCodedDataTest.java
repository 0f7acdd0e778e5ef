package org.caretrail.producers.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.producers.fhir.FhirResources.T0;

import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.Referral;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Medication;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/**
 * Coded data from FHIR CodeableConcepts into the contract's Coding fields: dm+d medicines, SNOMED CT
 * reasons and diagnoses, NHS Data Dictionary admission method, discharge method and destination and
 * treatment function, as UK Core carries them. Codes here are real codes of those systems.
 */
class FhirCodedDataTest {

    private final FhirMapper mapper = new FhirMapper(FhirSettings.defaults());
    private final Instant received = T0.plusSeconds(5);

    private SpecificRecord one(Resource r, FhirMapper.Resolver resolver) {
        List<SpecificRecord> events = mapper.map(r, resolver, received, r.fhirType());
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private static CodeableConcept concept(String system, String code, String display) {
        return new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding(system, code, display));
    }

    @Test
    void a_dm_d_coded_medicine_keeps_its_code_and_other_codings_are_not_taken_for_it() {
        MedicationRequest m = FhirResources.prescription("RX-DMD");
        m.setMedication(new CodeableConcept()
                .addCoding(new org.hl7.fhir.r4.model.Coding("https://emis.example/drug", "ATOR20", "Atorva 20"))
                .addCoding(new org.hl7.fhir.r4.model.Coding(FhirCodes.DMD, "320000009",
                        "Atorvastatin 20mg tablets")));

        Prescription p = (Prescription) one(m, FhirMapper.Resolver.of(null));

        assertThat(p.getMedicationCode()).isEqualTo(new Coding("https://dmd.nhs.uk", "320000009",
                "Atorvastatin 20mg tablets"));
        assertThat(p.getMedication()).as("the text a clinician reads: the first display").isEqualTo("Atorva 20");
    }

    @Test
    void a_medication_reference_in_the_bundle_gives_the_medicine_and_its_code() {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Medication med = new Medication().setCode(concept(FhirCodes.DMD, "39720311000001101", "Metformin 500mg tablets"));
        bundle.addEntry().setFullUrl("urn:uuid:med-1").setResource(med);
        MedicationRequest m = FhirResources.prescription("RX-REF");
        m.setMedication(new Reference("urn:uuid:med-1"));
        bundle.addEntry().setResource(m);

        Prescription p = (Prescription) one(m, FhirMapper.Resolver.of(bundle));

        assertThat(p.getMedication()).isEqualTo("Metformin 500mg tablets");
        assertThat(p.getMedicationCode().getCode()).isEqualTo("39720311000001101");
        assertThat(mapper.map(med, FhirMapper.Resolver.of(bundle), received, "Bundle.entry[0].resource"))
                .as("a supporting resource in a Bundle publishes nothing of its own").isEmpty();
    }

    @Test
    void an_admission_carries_its_coded_method_reasons_diagnoses_by_rank_and_treatment_function() {
        Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
        Condition secondary = new Condition().setCode(concept(FhirCodes.ICD10, "E11.9", "Type 2 diabetes"));
        Condition primary = new Condition().setCode(concept(FhirCodes.SNOMED_CT, "22298006", "Myocardial infarction"));
        bundle.addEntry().setFullUrl("urn:uuid:cond-2").setResource(secondary);
        bundle.addEntry().setFullUrl("urn:uuid:cond-1").setResource(primary);
        Encounter e = FhirResources.inpatient("V-CODED", T0);
        e.addReasonCode(concept(FhirCodes.SNOMED_CT, "29857009", "Chest pain"));
        e.addReasonCode(concept("https://rj1.example/local-reasons", "CP", "chest pain (local)"));
        e.addDiagnosis().setCondition(new Reference("urn:uuid:cond-2")).setRank(2);
        e.addDiagnosis().setCondition(new Reference("urn:uuid:cond-1")).setRank(1);
        e.getHospitalization().addExtension(new Extension(FhirCodes.ADMISSION_METHOD_EXTENSION,
                concept(FhirCodes.ADMISSION_METHOD, "21", "Emergency: via A&E")));
        e.setServiceType(concept(FhirCodes.TREATMENT_FUNCTION, "320", "Cardiology"));
        bundle.addEntry().setResource(e);

        Admission a = (Admission) one(e, FhirMapper.Resolver.of(bundle));

        assertThat(a.getAdmissionMethodCode()).isEqualTo(new Coding(FhirCodes.ADMISSION_METHOD, "21",
                "Emergency: via A&E"));
        assertThat(a.getAdmissionMethod()).as("Data Dictionary 2x = emergency").isEqualTo("EMERGENCY");
        assertThat(a.getDiagnoses()).extracting(Coding::getCode).as("the reason, then diagnoses by rank; the local "
                + "code is not a diagnosis code system").containsExactly("29857009", "22298006", "E11.9");
        assertThat(a.getTreatmentFunctionCode().getCode()).isEqualTo("320");
        assertThat(a.getSpecialty()).isEqualTo("Cardiology");
        assertThat(a.getPatientClass()).isEqualTo("INPATIENT");
    }

    @Test
    void admission_method_codes_group_as_the_data_dictionary_does() {
        assertThat(FhirCodes.admissionMethod("11")).isEqualTo("ELECTIVE");
        assertThat(FhirCodes.admissionMethod("13")).isEqualTo("ELECTIVE");
        assertThat(FhirCodes.admissionMethod("2A")).isEqualTo("EMERGENCY");
        assertThat(FhirCodes.admissionMethod("31")).isEqualTo("MATERNITY");
        assertThat(FhirCodes.admissionMethod("81")).isEqualTo("TRANSFER_IN");
        assertThat(FhirCodes.admissionMethod("82")).isEqualTo("OTHER");
    }

    @Test
    void a_day_case_is_an_admission_of_class_day_case_and_an_elective_priority_still_gives_the_method() {
        Encounter e = FhirResources.inpatient("V-DC", T0).setClass_(new org.hl7.fhir.r4.model.Coding(
                "http://terminology.hl7.org/CodeSystem/v3-ActCode", "SS", "short stay"));
        e.getPriority().addCoding().setSystem("http://terminology.hl7.org/CodeSystem/v3-ActPriority").setCode("EL");
        Admission a = (Admission) one(e, FhirMapper.Resolver.of(null));
        assertThat(a.getPatientClass()).isEqualTo("DAY_CASE");
        assertThat(a.getAdmissionMethod()).isEqualTo("ELECTIVE");
        assertThat(a.getAdmissionMethodCode()).isNull();
    }

    @Test
    void a_discharge_carries_the_coded_destination_and_method() {
        Encounter e = FhirResources.inpatient("V-DIS", T0).setStatus(Encounter.EncounterStatus.FINISHED);
        e.getPeriod().setEnd(Date.from(T0.plusSeconds(86400 * 3)));
        e.getHospitalization().setDischargeDisposition(concept(FhirCodes.DISCHARGE_DESTINATION, "54",
                "NHS run Care Home"));
        e.getHospitalization().addExtension(new Extension(FhirCodes.DISCHARGE_METHOD_EXTENSION,
                concept(FhirCodes.DISCHARGE_METHOD, "1", "Patient discharged on clinical advice or with clinical consent")));

        Discharge d = (Discharge) one(e, FhirMapper.Resolver.of(null));

        assertThat(d.getDischargeDestinationCode()).isEqualTo(new Coding(FhirCodes.DISCHARGE_DESTINATION, "54",
                "NHS run Care Home"));
        assertThat(d.getDestination()).isEqualTo("CARE_HOME");
        assertThat(d.getDischargeMethodCode().getCode()).isEqualTo("1");
        assertThat(d.getDischargeMethod()).isEqualTo("CLINICAL_ADVICE");

        e.getHospitalization().setDischargeDisposition(concept(FhirCodes.DISCHARGE_DESTINATION, "79",
                "Not applicable - Patient died or still birth"));
        assertThat(((Discharge) one(e, FhirMapper.Resolver.of(null))).getDestination()).isEqualTo("DIED");
        e.getHospitalization().setDischargeDisposition(concept(FhirCodes.DISCHARGE_DESTINATION, "19",
                "Usual place of residence"));
        assertThat(((Discharge) one(e, FhirMapper.Resolver.of(null))).getDestination()).isEqualTo("HOME");
    }

    @Test
    void an_a_and_e_attendance_codes_its_complaint_and_its_diagnoses() {
        Encounter e = FhirResources.emergency("AE-CODED", T0);
        e.getReasonCode().clear();
        e.addReasonCode(concept(FhirCodes.SNOMED_CT, "29857009", "Chest pain").setText("chest pain since 4am"));
        Condition dx = new Condition().setCode(concept(FhirCodes.SNOMED_CT, "57054005", "Acute myocardial infarction"));
        dx.setId("dx1");
        e.addContained(dx);
        e.addDiagnosis().setCondition(new Reference("#dx1"));

        Attendance a = (Attendance) one(e, FhirMapper.Resolver.of(null));

        assertThat(a.getChiefComplaint()).isEqualTo("chest pain since 4am");
        assertThat(a.getChiefComplaintCode().getCode()).isEqualTo("29857009");
        assertThat(a.getDiagnoses()).extracting(Coding::getCode).containsExactly("57054005");
    }

    @Test
    void a_referral_carries_its_coded_reason_and_the_treatment_function_referred_to() {
        ServiceRequest s = FhirResources.referral("REF-CODED");
        s.addReasonCode(concept(FhirCodes.SNOMED_CT, "49436004", "Atrial fibrillation"));
        s.setPerformerType(concept(FhirCodes.TREATMENT_FUNCTION, "320", "Cardiology"));

        Referral r = (Referral) one(s, FhirMapper.Resolver.of(null));

        assertThat(r.getReasonCode()).isEqualTo(new Coding(FhirCodes.SNOMED_CT, "49436004", "Atrial fibrillation"));
        assertThat(r.getReason()).isEqualTo("Atrial fibrillation");
        assertThat(r.getSpecialtyCode().getCode()).isEqualTo("320");
    }
}
