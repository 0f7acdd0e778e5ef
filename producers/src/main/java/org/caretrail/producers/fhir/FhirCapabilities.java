package org.caretrail.producers.fhir;

import java.util.Date;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.Enumerations;
import org.hl7.fhir.r4.model.MarkdownType;
import org.hl7.fhir.r4.model.StringType;

/** The gateway's CapabilityStatement ({@code GET /fhir/r4/metadata}): what it takes and how. */
final class FhirCapabilities {

    private FhirCapabilities() {
    }

    static CapabilityStatement statement(FhirSettings settings) {
        CapabilityStatement cs = new CapabilityStatement();
        cs.setStatus(Enumerations.PublicationStatus.ACTIVE)
                .setDate(new Date())
                .setKind(CapabilityStatement.CapabilityStatementKind.INSTANCE)
                .setFhirVersion(Enumerations.FHIRVersion._4_0_1)
                .setPublisher("CareTrail")
                .setDescription("CareTrail FHIR R4 gateway: posts become care events on Kafka (admissions, transfers,"
                        + " discharges, A&E attendances, referrals, prescriptions, appointments, identity links, deaths)."
                        + " Limits: a body of at most " + settings.maxBodyBytes() + " bytes, a Bundle of at most "
                        + settings.maxBundleEntries() + " entries.");
        cs.addFormat("application/fhir+json");
        cs.addFormat("application/fhir+xml");
        cs.getSoftware().setName("CareTrail FHIR gateway");
        cs.getImplementation().setDescription("CareTrail").setUrl("/fhir/r4");
        CapabilityStatement.CapabilityStatementRestComponent rest = cs.addRest()
                .setMode(CapabilityStatement.RestfulCapabilityMode.SERVER);
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.TRANSACTION);
        rest.addInteraction().setCode(CapabilityStatement.SystemRestfulInteraction.BATCH);
        String[][] types = {
                {"Encounter", "class IMP/ACUTE/NONAC (SS: day case): admission (one location), transfer (location "
                        + "history), pre-admission (status planned), discharge (status finished); class EMER: A&E "
                        + "attendance; status entered-in-error/cancelled: cancel"},
                {"ServiceRequest", "referral"},
                {"MedicationRequest", "prescription (dm+d codes kept)"},
                {"Appointment", "appointment"},
                {"Patient", "identity link when both an NHS number and a local identifier are given; death when "
                        + "deceased (a correction cancels it)"}};
        for (String[] type : types) {
            CapabilityStatement.CapabilityStatementRestResourceComponent r = rest.addResource().setType(type[0]);
            r.addInteraction().setCode(CapabilityStatement.TypeRestfulInteraction.CREATE);
            r.setDocumentationElement(new MarkdownType(type[1]));
        }
        cs.addExtension().setUrl("https://caretrail.org/fhir/nhs-number-system")
                .setValue(new StringType(FhirMapper.NHS_NUMBER_SYSTEM));
        return cs;
    }
}
