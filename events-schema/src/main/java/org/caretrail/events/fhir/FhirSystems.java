package org.caretrail.events.fhir;

/**
 * The FHIR identifier systems, code systems and extension URLs CareTrail reads and writes, in one
 * place for every module (the FHIR gateway that reads them, the FHIR read API and the FHIR
 * subscriptions that write them). Plain strings: no FHIR library is needed to name them.
 *
 * <p>NHS England's identifier systems and UK Core's code systems and extensions where they exist;
 * CareTrail's own ({@value #CARETRAIL}...) only for what has no national system.
 */
public final class FhirSystems {

    /** The NHS number (UK Core Patient.identifier). */
    public static final String NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number";
    /** An organisation's ODS code (Organization.identifier, and references to organisations). */
    public static final String ODS_ORGANIZATION = "https://fhir.nhs.uk/Id/ods-organization-code";
    /** An ODS site code (a hospital site). */
    public static final String ODS_SITE = "https://fhir.nhs.uk/Id/ods-site-code";

    public static final String SNOMED_CT = "http://snomed.info/sct";
    /** NHS dictionary of medicines and devices (dm+d). */
    public static final String DMD = "https://dmd.nhs.uk";
    public static final String ADMISSION_METHOD_EXTENSION =
            "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod";
    public static final String DISCHARGE_METHOD_EXTENSION =
            "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod";
    /** HL7 v3 ActCode: the Encounter classes (IMP inpatient, EMER emergency, FLD field, SS short stay...). */
    public static final String ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    /** HL7 v3 Confidentiality: R (restricted) in meta.security marks a RESTRICTED entry. */
    public static final String CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    /** CareTrail's own namespace, for what no national system covers. */
    public static final String CARETRAIL = "https://caretrail.example";
    /** A timeline entry's stable id ({@code TYPE|odsCode|subjectId}), the business identifier of a resource. */
    public static final String TIMELINE_ENTRY = CARETRAIL + "/Id/timeline-entry";
    /** A hospital spell's identifier as its trust gave it: the spell's subjectId, scoped by the trust's ODS code. */
    public static final String SPELL = CARETRAIL + "/Id/spell";
    /** CareTrail's codes for the kinds of social care record (ASSESSMENT, PACKAGE_START, PACKAGE_END). */
    public static final String SOCIAL_CARE_KIND = CARETRAIL + "/CodeSystem/social-care-kind";

    private FhirSystems() {
    }
}
