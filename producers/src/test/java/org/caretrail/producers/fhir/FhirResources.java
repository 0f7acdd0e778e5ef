package org.caretrail.producers.fhir;

import java.time.Instant;
import java.util.Date;
import org.hl7.fhir.r4.model.Appointment;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.MedicationRequest;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;

/** Synthetic FHIR resources as a trust's EPR would post them. */
final class FhirResources {

    static final String NHS = org.caretrail.events.NhsNumber.withCheckDigit("999000001").orElseThrow().value();
    static final Instant T0 = Instant.parse("2026-11-20T09:00:00Z");

    private FhirResources() {
    }

    static Reference ods(String code) {
        return new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.ODS_SYSTEM).setValue(code));
    }

    static Reference nhsPatient(String nhs) {
        return new Reference().setIdentifier(new Identifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(nhs));
    }

    static Encounter inpatient(String spell, Instant start) {
        Encounter e = new Encounter();
        e.addIdentifier().setSystem("https://rj1.example/spell").setValue(spell);
        e.setStatus(Encounter.EncounterStatus.INPROGRESS);
        e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP", "inpatient encounter"));
        e.setSubject(nhsPatient(NHS));
        e.setServiceProvider(ods("RJ1"));
        e.getPeriod().setStart(Date.from(start));
        e.addLocation().setStatus(Encounter.EncounterLocationStatus.ACTIVE)
                .setLocation(new Reference().setDisplay("WARD 7")).getPeriod().setStart(Date.from(start));
        return e;
    }

    static Encounter emergency(String visit, Instant arrived) {
        Encounter e = inpatient(visit, arrived);
        e.setClass_(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "EMER", "emergency"));
        e.getLocationFirstRep().getLocation().setDisplay("ED MAJORS");
        e.addReasonCode().setText("chest pain");
        return e;
    }

    static ServiceRequest referral(String id) {
        ServiceRequest s = new ServiceRequest();
        s.addIdentifier().setSystem("https://a81001.example/referral").setValue(id);
        s.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
        s.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
        s.setPriority(ServiceRequest.ServiceRequestPriority.URGENT);
        s.getCode().setText("Cardiology");
        s.setSubject(nhsPatient(NHS));
        s.setRequester(ods("A81001"));
        s.addPerformer(ods("RJ1"));
        s.setAuthoredOn(Date.from(T0));
        return s;
    }

    static MedicationRequest prescription(String id) {
        MedicationRequest m = new MedicationRequest();
        m.addIdentifier().setSystem("https://a81001.example/rx").setValue(id);
        m.setStatus(MedicationRequest.MedicationRequestStatus.ACTIVE);
        m.setIntent(MedicationRequest.MedicationRequestIntent.ORDER);
        m.getMedicationCodeableConcept().setText("Atorvastatin 20mg tablets");
        m.setSubject(nhsPatient(NHS));
        m.setRequester(ods("A81001"));
        m.setAuthoredOn(Date.from(T0));
        m.addDosageInstruction().setText("one at night");
        m.getDispenseRequest().setNumberOfRepeatsAllowed(5);
        return m;
    }

    static Appointment appointment(String id, Instant start) {
        Appointment a = new Appointment();
        a.addIdentifier().setSystem("https://rj1.example/appt").setValue(id);
        a.setStatus(Appointment.AppointmentStatus.BOOKED);
        a.setStart(Date.from(start));
        a.addServiceType().setText("Cardiology clinic");
        a.setCreated(Date.from(T0));
        a.addParticipant().setActor(nhsPatient(NHS));
        a.addParticipant().setActor(ods("RJ1"));
        a.addParticipant().setActor(new Reference().setType("Practitioner").setDisplay("Dr A Jones"));
        return a;
    }

    static Patient patient(String nhs, String localId) {
        Patient p = new Patient();
        p.addIdentifier().setSystem(FhirMapper.NHS_NUMBER_SYSTEM).setValue(nhs);
        if (localId != null) {
            p.addIdentifier().setSystem("https://rj1.example/mrn").setValue(localId);
        }
        p.addName().setFamily("SMITH").addGiven("JANE");
        p.setManagingOrganization(ods("RJ1"));
        return p;
    }
}
