package org.caretrail.producers.fhir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.caretrail.events.fhir.FhirSystems;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.Sensitivity;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Meta;

/**
 * The code systems the FHIR gateway reads, and what their codes mean for a care event. One place
 * for every system URI, so a mapping never restates one.
 *
 * <table>
 * <caption>Code systems read</caption>
 * <tr><th>what</th><th>system</th><th>from</th></tr>
 * <tr><td>medicines</td><td>{@value #DMD} (dm+d VMP/AMP/VTM)</td><td>MedicationRequest.medicationCodeableConcept,
 *     Medication.code</td></tr>
 * <tr><td>diagnoses, reasons, complaints</td><td>{@value #SNOMED_CT}; ICD-10 {@value #ICD10},
 *     {@value #ICD10_UK}</td><td>Encounter.reasonCode, Encounter.diagnosis → Condition.code,
 *     ServiceRequest.reasonCode</td></tr>
 * <tr><td>admission method (NHS Data Dictionary)</td><td>{@value #ADMISSION_METHOD}</td><td>the UK Core extension
 *     {@value #ADMISSION_METHOD_EXTENSION} on Encounter.hospitalization</td></tr>
 * <tr><td>discharge method</td><td>{@value #DISCHARGE_METHOD}</td><td>the UK Core extension
 *     {@value #DISCHARGE_METHOD_EXTENSION} on Encounter.hospitalization</td></tr>
 * <tr><td>discharge destination</td><td>{@value #DISCHARGE_DESTINATION}</td><td>Encounter.hospitalization
 *     .dischargeDisposition</td></tr>
 * <tr><td>treatment function (specialty)</td><td>{@value #TREATMENT_FUNCTION}</td><td>Encounter.serviceType,
 *     ServiceRequest.code/category/performerType</td></tr>
 * <tr><td>confidentiality</td><td>{@value #CONFIDENTIALITY}</td><td>meta.security</td></tr>
 * <tr><td>death notification (PDS)</td><td>{@value #DEATH_NOTIFICATION_STATUS}</td><td>the UK Core extension
 *     {@value #DEATH_NOTIFICATION_EXTENSION} on Patient</td></tr>
 * </table>
 */
public final class FhirCodes {

    public static final String SNOMED_CT = FhirSystems.SNOMED_CT;
    public static final String DMD = FhirSystems.DMD;
    public static final String ICD10 = "http://hl7.org/fhir/sid/icd-10";
    public static final String ICD10_UK = "http://hl7.org/fhir/sid/icd-10-uk";
    public static final String ADMISSION_METHOD = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland";
    public static final String ADMISSION_METHOD_EXTENSION = FhirSystems.ADMISSION_METHOD_EXTENSION;
    public static final String DISCHARGE_METHOD = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland";
    public static final String DISCHARGE_METHOD_EXTENSION = FhirSystems.DISCHARGE_METHOD_EXTENSION;
    public static final String DISCHARGE_DESTINATION =
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland";
    /** HL7's own discharge disposition codes (home, snf, exp...), read when no UK Core code is sent. */
    public static final String HL7_DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition";
    public static final String TREATMENT_FUNCTION =
            "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function";
    public static final String CONFIDENTIALITY = FhirSystems.CONFIDENTIALITY;
    public static final String DEATH_NOTIFICATION_EXTENSION =
            "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DeathNotificationStatus";
    public static final String DEATH_NOTIFICATION_STATUS =
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus";
    public static final String LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type";
    public static final String ODS_SITE_SYSTEM = FhirSystems.ODS_SITE;

    /** Systems a diagnosis or reason may be coded in. */
    static final Set<String> DIAGNOSIS_SYSTEMS = Set.of(SNOMED_CT, ICD10, ICD10_UK);
    /** v3 Confidentiality codes: R (restricted) and V (very restricted) make an event RESTRICTED. */
    static final Set<String> RESTRICTED_CONFIDENTIALITY = Set.of("R", "V");
    static final Set<String> CONFIDENTIALITY_CODES = Set.of("U", "L", "M", "N", "R", "V");

    private FhirCodes() {
    }

    /** The first coding of {@code concept} in one of {@code systems}, as a contract Coding; null if none. */
    static Coding first(CodeableConcept concept, Set<String> systems) {
        if (concept == null) {
            return null;
        }
        for (org.hl7.fhir.r4.model.Coding c : concept.getCoding()) {
            if (c.hasSystem() && c.hasCode() && systems.contains(c.getSystem())) {
                return new Coding(c.getSystem(), c.getCode(), c.hasDisplay() ? c.getDisplay() : null);
            }
        }
        return null;
    }

    static Coding first(CodeableConcept concept, String system) {
        return first(concept, Set.of(system));
    }

    /** Every coding of {@code concepts} in one of {@code systems}, each system|code once, in order. */
    static List<Coding> all(List<CodeableConcept> concepts, Set<String> systems) {
        Map<String, Coding> seen = new LinkedHashMap<>();
        for (CodeableConcept concept : concepts) {
            for (org.hl7.fhir.r4.model.Coding c : concept.getCoding()) {
                if (c.hasSystem() && c.hasCode() && systems.contains(c.getSystem())) {
                    seen.putIfAbsent(c.getSystem() + "|" + c.getCode(),
                            new Coding(c.getSystem(), c.getCode(), c.hasDisplay() ? c.getDisplay() : null));
                }
            }
        }
        return new ArrayList<>(seen.values());
    }

    /** The CodeableConcept value of the extension {@code url} on {@code element}'s extensions, or null. */
    static CodeableConcept extensionConcept(List<Extension> extensions, String url) {
        for (Extension e : extensions) {
            if (url.equals(e.getUrl()) && e.getValue() instanceof CodeableConcept concept) {
                return concept;
            }
        }
        return null;
    }

    /**
     * The contract's admission method for an NHS Data Dictionary ADMISSION METHOD code: 11-13 elective,
     * 21-28 and 2A-2D emergency, 31-32 maternity, 81 transfer from another hospital provider, 82-83 other.
     */
    static String admissionMethod(String code) {
        if (code == null || code.isEmpty()) {
            return null;
        }
        return switch (code.charAt(0)) {
            case '1' -> "ELECTIVE";
            case '2' -> "EMERGENCY";
            case '3' -> "MATERNITY";
            default -> code.equals("81") ? "TRANSFER_IN" : "OTHER";
        };
    }

    /**
     * The contract's discharge destination for an NHS Data Dictionary DISCHARGE DESTINATION code: 19 and 29
     * home (usual or temporary residence), 54-56, 65 and 85 care homes, 49-53, 84 and 87 another hospital,
     * 79 died; anything else OTHER.
     */
    static String dischargeDestination(String code) {
        return switch (code) {
            case "19", "29" -> "HOME";
            case "54", "55", "56", "65", "85" -> "CARE_HOME";
            case "49", "50", "51", "52", "53", "84", "87" -> "OTHER_HOSPITAL";
            case "79" -> "DIED";
            default -> "OTHER";
        };
    }

    /** The contract's destination for an HL7 discharge-disposition code. */
    static String hl7DischargeDestination(String code) {
        return switch (code) {
            case "home", "alt-home" -> "HOME";
            case "snf", "long", "rehab" -> "CARE_HOME";
            case "hosp", "other-hcf", "psy" -> "OTHER_HOSPITAL";
            case "exp" -> "DIED";
            default -> "OTHER";
        };
    }

    /**
     * The contract's discharge method for an NHS Data Dictionary DISCHARGE METHOD code: 1 on clinical advice,
     * 2 (retired) and 6 self-discharge, 7 by a relative or advocate, 3 by tribunal or court, 4 died,
     * 5 stillbirth; 8 and 9 (not applicable, not known) give none.
     */
    static String dischargeMethod(String code) {
        return switch (code) {
            case "1" -> "CLINICAL_ADVICE";
            case "2", "6" -> "SELF_DISCHARGE";
            case "7" -> "RELATIVE_OR_ADVOCATE";
            case "3" -> "TRIBUNAL_OR_COURT";
            case "4" -> "DIED";
            case "5" -> "STILLBIRTH";
            default -> null;
        };
    }

    /**
     * The sensitivity a resource's security labels ask for: RESTRICTED when any label is v3 Confidentiality
     * R (restricted) or V (very restricted); NORMAL for U, L, M, N or no label.
     *
     * @throws FhirProblem 422 for a code of that system that is not one of U, L, M, N, R, V (a label the
     *                     sender meant but misspelt must not silently make an event NORMAL)
     */
    static Sensitivity sensitivity(Meta meta, String path) {
        if (meta == null) {
            return Sensitivity.NORMAL;
        }
        Sensitivity result = Sensitivity.NORMAL;
        List<org.hl7.fhir.r4.model.Coding> labels = meta.getSecurity();
        for (int i = 0; i < labels.size(); i++) {
            org.hl7.fhir.r4.model.Coding label = labels.get(i);
            if (!CONFIDENTIALITY.equals(label.getSystem())) {
                continue;
            }
            if (!CONFIDENTIALITY_CODES.contains(label.getCode())) {
                throw FhirProblem.unprocessable(path + ".meta.security[" + i + "].code", "'" + label.getCode()
                        + "' is not a " + CONFIDENTIALITY + " code: U, L, M, N (normal) or R, V (restricted)");
            }
            if (RESTRICTED_CONFIDENTIALITY.contains(label.getCode())) {
                result = Sensitivity.RESTRICTED;
            }
        }
        return result;
    }
}
