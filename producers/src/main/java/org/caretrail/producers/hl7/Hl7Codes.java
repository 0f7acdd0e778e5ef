package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Segment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.caretrail.events.CareEventLimits;
import org.caretrail.events.model.Coding;

/**
 * The coded values HL7v2 ADT carries, as {@link Coding}s in the code systems NHS England's FHIR
 * standards (UK Core) use, plus the plain words CareTrail's text fields have always held.
 *
 * <table>
 * <caption>Code systems</caption>
 * <tr><th>HL7 field</th><th>meaning</th><th>code system</th></tr>
 * <tr><td>PV1-4 (NHS code)</td><td>admission method, NHS Data Dictionary</td><td>{@value #ADMISSION_METHOD}</td></tr>
 * <tr><td>PV1-4 (HL7 letter)</td><td>admission type, HL7 table 0007</td><td>{@value #HL7_ADMISSION_TYPE}</td></tr>
 * <tr><td>PV1-10</td><td>treatment function (specialty), NHS Data Dictionary</td><td>{@value #TREATMENT_FUNCTION}</td></tr>
 * <tr><td>PV1-36</td><td>discharge method, NHS Data Dictionary</td><td>{@value #DISCHARGE_METHOD}</td></tr>
 * <tr><td>PV1-37 (or a two-digit PV1-36)</td><td>discharge destination, NHS Data Dictionary</td><td>{@value #DISCHARGE_DESTINATION}</td></tr>
 * <tr><td>DG1-3, PDA-1</td><td>diagnoses, cause of death: SNOMED CT or ICD-10, by the coding system named in the CE</td><td>{@value #SNOMED_CT}, {@value #ICD_10}</td></tr>
 * </table>
 */
final class Hl7Codes {

    static final String ADMISSION_METHOD = "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland";
    static final String HL7_ADMISSION_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0007";
    static final String TREATMENT_FUNCTION =
            "https://fhir.nhs.uk/CodeSystem/NHSDataModelAndDictionary-treatment-function";
    static final String DISCHARGE_METHOD = "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland";
    static final String DISCHARGE_DESTINATION =
            "https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland";
    static final String SNOMED_CT = "http://snomed.info/sct";
    static final String ICD_10 = "http://hl7.org/fhir/sid/icd-10";

    private static final Map<String, String> ADMISSION_METHODS = Map.ofEntries(
            Map.entry("11", "Elective admission: waiting list"),
            Map.entry("12", "Elective admission: booked"),
            Map.entry("13", "Elective admission: planned"),
            Map.entry("21", "Emergency admission: via Emergency Care Department of the same provider"),
            Map.entry("22", "Emergency admission: general practitioner"),
            Map.entry("23", "Emergency admission: bed bureau"),
            Map.entry("24", "Emergency admission: consultant clinic of this or another provider"),
            Map.entry("25", "Emergency admission: admission via mental health crisis resolution team"),
            Map.entry("2A", "Emergency admission: Emergency Care Department of another provider"),
            Map.entry("2B", "Emergency admission: transfer of an admitted patient from another hospital provider"),
            Map.entry("2C", "Emergency admission: baby born at home as intended"),
            Map.entry("2D", "Emergency admission: other emergency admission"),
            Map.entry("28", "Emergency admission: other means"),
            Map.entry("31", "Maternity admission: admitted ante partum"),
            Map.entry("32", "Maternity admission: admitted post partum"),
            Map.entry("81", "Transfer of any admitted patient from another hospital provider other than in an emergency"),
            Map.entry("82", "The birth of a baby in this health care provider"),
            Map.entry("83", "Baby born outside the health care provider except when born at home as intended"));
    private static final Map<String, String> HL7_ADMISSION_TYPES = Map.of(
            "A", "Accident", "E", "Emergency", "L", "Labor and Delivery", "R", "Routine", "N", "Newborn",
            "U", "Urgent", "C", "Elective");
    private static final Map<String, String> DISCHARGE_METHODS = Map.of(
            "1", "Patient discharged on clinical advice or with clinical consent",
            "2", "Patient discharged him/herself or was discharged by a relative or advocate",
            "3", "Patient discharged by mental health review tribunal, Home Secretary or Court",
            "4", "Patient died",
            "5", "Stillbirth",
            "6", "Patient discharged him/herself",
            "7", "Patient discharged by a relative or advocate",
            "8", "Not applicable: hospital provider spell not finished",
            "9", "Method of discharge not known");
    private static final Map<String, String> DESTINATIONS = Map.ofEntries(
            Map.entry("19", "Usual place of residence"),
            Map.entry("29", "Temporary place of residence when usually resident elsewhere"),
            Map.entry("30", "Repatriation from high security psychiatric accommodation in an NHS hospital provider"),
            Map.entry("37", "Court"),
            Map.entry("38", "Penal establishment or police station"),
            Map.entry("48", "High security psychiatric hospital, Scotland"),
            Map.entry("49", "NHS other hospital provider: high security psychiatric accommodation"),
            Map.entry("50", "NHS other hospital provider: medium secure unit"),
            Map.entry("51", "NHS other hospital provider: ward for general patients or the younger physically disabled"),
            Map.entry("52", "NHS other hospital provider: ward for maternity patients or neonates"),
            Map.entry("53", "NHS other hospital provider: ward for patients who are mentally ill or have learning disabilities"),
            Map.entry("54", "NHS run care home"),
            Map.entry("65", "Local authority residential accommodation where care is provided"),
            Map.entry("66", "Local authority foster care"),
            Map.entry("79", "Not applicable: patient died or still birth"),
            Map.entry("84", "Non-NHS run hospital: medium secure unit"),
            Map.entry("85", "Non-NHS (other than local authority) run care home"),
            Map.entry("87", "Non-NHS run hospital"),
            Map.entry("88", "Non-NHS (other than local authority) run hospice"),
            Map.entry("98", "Not applicable: hospital provider spell not finished"),
            Map.entry("99", "Not known"));
    private static final Pattern TREATMENT_FUNCTION_CODE = Pattern.compile("\\d{3}");

    private Hl7Codes() {
    }

    // ---------------------------------------------------------------- admission (PV1-2, PV1-4, PV1-10)

    /** PV1-2 patient class (HL7 table 0004; D for a day case, as NHS feeds send it) in CareTrail's words. */
    static String patientClass(String pv1Class) {
        if (pv1Class == null) {
            return null;
        }
        return switch (pv1Class.toUpperCase(Locale.ROOT)) {
            case "I" -> "INPATIENT";
            case "E" -> "EMERGENCY";
            case "O" -> "OUTPATIENT";
            case "D" -> "DAY_CASE";
            default -> "OTHER";
        };
    }

    /** PV1-4 in CareTrail's words: HL7 table 0007 letters or NHS Data Dictionary admission method codes. */
    static String admissionMethod(String code) {
        if (code == null) {
            return null;
        }
        String c = code.toUpperCase(Locale.ROOT);
        if (c.equals("E") || c.equals("A") || c.equals("U") || c.startsWith("2")) {
            return "EMERGENCY";
        }
        if (c.equals("C") || c.equals("R") || c.equals("EL") || c.startsWith("1")) {
            return "ELECTIVE";
        }
        if (c.equals("L") || c.equals("N") || c.startsWith("3")) {
            return "MATERNITY";
        }
        if (c.equals("81")) {
            return "TRANSFER_IN";
        }
        return "OTHER";
    }

    /** PV1-4 as a coding: an NHS admission method code, or an HL7 table 0007 letter; null for anything else. */
    static Coding admissionMethodCode(String code) {
        if (code == null) {
            return null;
        }
        String c = code.toUpperCase(Locale.ROOT);
        if (ADMISSION_METHODS.containsKey(c)) {
            return coding(ADMISSION_METHOD, c, ADMISSION_METHODS.get(c));
        }
        if (HL7_ADMISSION_TYPES.containsKey(c)) {
            return coding(HL7_ADMISSION_TYPE, c, HL7_ADMISSION_TYPES.get(c));
        }
        return null;
    }

    /** PV1-10 hospital service as an NHS treatment function code (three digits, e.g. 300); null otherwise. */
    static Coding treatmentFunction(String code) {
        if (code == null || !TREATMENT_FUNCTION_CODE.matcher(code).matches()) {
            return null;
        }
        return coding(TREATMENT_FUNCTION, code, null);
    }

    // ---------------------------------------------------------------- discharge (PV1-36, PV1-37)

    /**
     * The discharge method code: PV1-36 when it is a one-digit NHS discharge method. (A two-digit
     * PV1-36 is a discharge destination, as some feeds send it: see {@link #dischargeDestinationCode}.)
     */
    static String dischargeMethodCodeValue(String pv1_36) {
        return pv1_36 != null && DISCHARGE_METHODS.containsKey(pv1_36) ? pv1_36 : null;
    }

    static Coding dischargeMethodCode(String pv1_36) {
        String code = dischargeMethodCodeValue(pv1_36);
        return code == null ? null : coding(DISCHARGE_METHOD, code, DISCHARGE_METHODS.get(code));
    }

    /** The discharge method in CareTrail's words (the Discharge event's {@code dischargeMethod}). */
    static String dischargeMethod(String pv1_36) {
        String code = dischargeMethodCodeValue(pv1_36);
        if (code == null) {
            return pv1_36 != null && !DESTINATIONS.containsKey(pv1_36) ? pv1_36 : null;
        }
        return switch (code) {
            case "1" -> "CLINICAL_ADVICE";
            case "2", "6" -> "SELF_DISCHARGE";
            case "7" -> "DISCHARGED_BY_RELATIVE";
            case "3" -> "TRIBUNAL_OR_COURT";
            case "4" -> "DIED";
            case "5" -> "STILLBIRTH";
            default -> null;
        };
    }

    /** The discharge destination code: PV1-37-1, else a two-digit destination code in PV1-36. */
    static String dischargeDestinationCodeValue(String pv1_36, String pv1_37) {
        if (pv1_37 != null && DESTINATIONS.containsKey(pv1_37)) {
            return pv1_37;
        }
        return pv1_36 != null && DESTINATIONS.containsKey(pv1_36) ? pv1_36 : null;
    }

    static Coding dischargeDestinationCode(String pv1_36, String pv1_37) {
        String code = dischargeDestinationCodeValue(pv1_36, pv1_37);
        return code == null ? null : coding(DISCHARGE_DESTINATION, code, DESTINATIONS.get(code));
    }

    /** Whether PV1-36/PV1-37 say the patient died: method 4 (died) or 5 (stillbirth), destination 79. */
    static boolean died(String pv1_36, String pv1_37) {
        return "4".equals(dischargeMethodCodeValue(pv1_36)) || "5".equals(dischargeMethodCodeValue(pv1_36))
                || "79".equals(dischargeDestinationCodeValue(pv1_36, pv1_37));
    }

    /** The destination in CareTrail's words: HOME, CARE_HOME, OTHER_HOSPITAL, DIED or OTHER; null when unknown. */
    static String destination(String destinationCode) {
        if (destinationCode == null) {
            return null;
        }
        return switch (destinationCode) {
            case "19", "29" -> "HOME";
            case "54", "65", "85" -> "CARE_HOME";
            case "48", "49", "50", "51", "52", "53", "84", "87" -> "OTHER_HOSPITAL";
            case "79" -> "DIED";
            case "98", "99" -> null;
            default -> "OTHER";
        };
    }

    // ---------------------------------------------------------------- diagnoses (DG1-3), cause of death (PDA-1)

    /**
     * A CE/CWE (code ^ text ^ coding system ^ alternate code ^ alternate text ^ alternate system) as
     * a SNOMED CT or ICD-10 coding: the first triple whose coding system is one of those; null when
     * neither is (local codes are not carried).
     */
    static Coding clinicalCode(Segment segment, int field, int repetition) {
        for (int first : new int[] {1, 4}) {
            String code = Hl7Fields.get(segment, field, repetition, first, 1);
            String system = codeSystem(Hl7Fields.get(segment, field, repetition, first + 2, 1));
            if (code != null && system != null) {
                return coding(system, code, Hl7Fields.get(segment, field, repetition, first + 1, 1));
            }
        }
        return null;
    }

    /** Every DG1-3 diagnosis coded in SNOMED CT or ICD-10, in message order, at most the contract's list limit. */
    static List<Coding> diagnoses(List<Segment> dg1s) {
        List<Coding> codes = new ArrayList<>();
        for (Segment dg1 : dg1s) {
            Coding code = clinicalCode(dg1, 3, 0);
            if (code != null && !codes.contains(code) && codes.size() < CareEventLimits.MAX_ITEMS) {
                codes.add(code);
            }
        }
        return codes;
    }

    /**
     * The code system URI for an HL7 coding system name (HL7 table 0396 and the usual spellings):
     * SCT / SNOMEDCT / SNOMED CT or the SNOMED CT OID → SNOMED CT; I10 / ICD10 / ICD-10 or the WHO
     * ICD-10 OID → ICD-10; anything else (local codes, I10P procedures, read codes) → null.
     */
    static String codeSystem(String hl7Name) {
        if (hl7Name == null) {
            return null;
        }
        String n = hl7Name.toUpperCase(Locale.ROOT).replace(" ", "").replace("-", "").replace("_", "");
        return switch (n) {
            case "SCT", "SNOMEDCT", "SNOMED", "2.16.840.1.113883.6.96", "HTTP://SNOMED.INFO/SCT" -> SNOMED_CT;
            case "I10", "ICD10", "ICD10UK", "I10UK", "2.16.840.1.113883.6.3", "HTTP://HL7.ORG/FHIR/SID/ICD10" -> ICD_10;
            default -> null;
        };
    }

    private static Coding coding(String system, String code, String display) {
        return Coding.newBuilder().setSystem(system).setCode(code).setDisplay(display).build();
    }
}
