package org.caretrail.producers.hl7;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds ADT messages as NHS trusts send them (ER7 pipe form, segments separated by CR), for the
 * simulator, benchmarks and tests that drive the MLLP listener like a real PAS.
 *
 * <pre>{@code
 * String a01 = AdtMessageBuilder.adt("A01", "MSG0001", at)
 *         .facility("RJ1").nhsNumber("9990000018").localId("40800000", "MRENTR")
 *         .patientClass("I").location("WARD 7", "RJ1-SITE").visitNumber("V100").build();
 * }</pre>
 */
public final class AdtMessageBuilder {

    private static final DateTimeFormatter HL7 = DateTimeFormatter.ofPattern("yyyyMMddHHmmssZ")
            .withZone(ZoneOffset.UTC);

    private final String trigger;
    private final String controlId;
    private final Instant messageTime;
    private String version = "2.4";
    private String application = "PAS";
    private String facility = "RJ1";
    private Instant eventOccurred;
    private String nhsNumber;
    private String localId;
    private String localAuthority;
    private String family = "SMITH";
    private String given = "JANE";
    private String birthDate = "19800101";
    private String postcode;
    private String patientClass = "I";
    private String ward;
    private String site;
    private String priorWard;
    private String visitNumber;
    private String admissionType;
    private String dischargeDisposition;
    private Instant admitTime;
    private Instant dischargeTime;
    private Instant expectedAdmit;
    private boolean withPv1 = true;
    private final List<String> mergedIds = new ArrayList<>();
    private final List<String> extraSegments = new ArrayList<>();

    private AdtMessageBuilder(String trigger, String controlId, Instant messageTime) {
        this.trigger = trigger;
        this.controlId = controlId;
        this.messageTime = messageTime;
    }

    /** An ADT^{trigger} with MSH-10 {@code controlId} and MSH-7/EVN-2 {@code messageTime}. */
    public static AdtMessageBuilder adt(String trigger, String controlId, Instant messageTime) {
        return new AdtMessageBuilder(trigger, controlId, messageTime);
    }

    public static String hl7Time(Instant instant) {
        return HL7.format(instant);
    }

    public AdtMessageBuilder version(String v) {
        this.version = v;
        return this;
    }

    public AdtMessageBuilder application(String app) {
        this.application = app;
        return this;
    }

    /** MSH-4 sending facility: the ODS code of the trust. */
    public AdtMessageBuilder facility(String ods) {
        this.facility = ods;
        return this;
    }

    /** EVN-6: when the event happened (for a cancel: when the cancelled event happened). */
    public AdtMessageBuilder eventOccurred(Instant when) {
        this.eventOccurred = when;
        return this;
    }

    public AdtMessageBuilder nhsNumber(String nhs) {
        this.nhsNumber = nhs;
        return this;
    }

    public AdtMessageBuilder localId(String id, String authority) {
        this.localId = id;
        this.localAuthority = authority;
        return this;
    }

    public AdtMessageBuilder name(String familyName, String givenName) {
        this.family = familyName;
        this.given = givenName;
        return this;
    }

    public AdtMessageBuilder birthDate(String yyyymmdd) {
        this.birthDate = yyyymmdd;
        return this;
    }

    public AdtMessageBuilder postcode(String code) {
        this.postcode = code;
        return this;
    }

    /** PV1-2: I inpatient, E emergency (A&amp;E), O outpatient. */
    public AdtMessageBuilder patientClass(String pv1Class) {
        this.patientClass = pv1Class;
        return this;
    }

    /** PV1-3: ward (point of care) and site (facility). */
    public AdtMessageBuilder location(String wardName, String siteName) {
        this.ward = wardName;
        this.site = siteName;
        return this;
    }

    /** PV1-6: prior location (the ward before a transfer). */
    public AdtMessageBuilder priorWard(String wardName) {
        this.priorWard = wardName;
        return this;
    }

    /** PV1-19: the visit (spell) number. */
    public AdtMessageBuilder visitNumber(String visit) {
        this.visitNumber = visit;
        return this;
    }

    /** PV1-4 admission type, e.g. 21 (emergency) or 11 (elective). */
    public AdtMessageBuilder admissionType(String code) {
        this.admissionType = code;
        return this;
    }

    public AdtMessageBuilder admitTime(Instant when) {
        this.admitTime = when;
        return this;
    }

    public AdtMessageBuilder dischargeTime(Instant when) {
        this.dischargeTime = when;
        return this;
    }

    /** PV1-36 discharge disposition, e.g. 19 (usual place of residence). */
    public AdtMessageBuilder dischargeDisposition(String code) {
        this.dischargeDisposition = code;
        return this;
    }

    /** PV2-8 expected admission date/time (A05). */
    public AdtMessageBuilder expectedAdmit(Instant when) {
        this.expectedAdmit = when;
        return this;
    }

    public AdtMessageBuilder withoutPv1() {
        this.withPv1 = false;
        return this;
    }

    /** A40: an identifier of the patient merged away (MRG-1), in CX form, e.g. {@code 123^^^MRENTR^MEDREC}. */
    public AdtMessageBuilder merged(String cx) {
        this.mergedIds.add(cx);
        return this;
    }

    /** Any further segment, verbatim. */
    public AdtMessageBuilder segment(String segment) {
        this.extraSegments.add(segment);
        return this;
    }

    public String build() {
        String structure = switch (trigger) {
            case "A01", "A04", "A08", "A13" -> "ADT_A01";
            case "A05", "A28", "A31" -> "ADT_A05";
            case "A11" -> "ADT_A09";
            case "A21", "A22" -> "ADT_A21";
            case "A40" -> "ADT_A39";
            default -> "ADT_" + trigger;
        };
        List<String> segments = new ArrayList<>();
        segments.add("MSH|^~\\&|" + escape(application) + "|" + escape(facility) + "|CARETRAIL|CARETRAIL|"
                + hl7Time(messageTime) + "||ADT^" + trigger + "^" + structure + "|" + escape(controlId) + "|P|"
                + version);
        segments.add("EVN|" + trigger + "|" + hl7Time(messageTime) + "||||" + time(eventOccurred));
        List<String> ids = new ArrayList<>();
        if (nhsNumber != null) {
            ids.add(escape(nhsNumber) + "^^^NHS^NH");
        }
        if (localId != null) {
            ids.add(escape(localId) + "^^^" + escape(localAuthority) + "^MEDREC");
        }
        String address = postcode == null ? "" : "1 HIGH STREET^^LEEDS^^" + escape(postcode);
        segments.add("PID|||" + String.join("~", ids) + "||" + escape(family) + "^" + escape(given) + "||"
                + nz(birthDate) + "|U|||" + address);
        if (!mergedIds.isEmpty()) {
            segments.add("MRG|" + String.join("~", mergedIds));
        }
        if (withPv1 && !"A40".equals(trigger)) {
            String[] pv1 = new String[46];
            Arrays.fill(pv1, "");
            pv1[0] = "PV1";
            pv1[2] = nz(patientClass);
            pv1[3] = ward == null ? "" : escape(ward) + "^^^" + escape(site);
            pv1[4] = nz(admissionType);
            pv1[6] = escape(priorWard);
            pv1[7] = "C1234567^JONES^ALAN";
            pv1[10] = "GENMED";
            pv1[19] = escape(visitNumber);
            pv1[36] = nz(dischargeDisposition);
            pv1[44] = time(admitTime);
            pv1[45] = time(dischargeTime);
            segments.add(String.join("|", pv1));
            if (expectedAdmit != null) {
                segments.add("PV2||||||||" + hl7Time(expectedAdmit));
            }
        }
        segments.addAll(extraSegments);
        return String.join("\r", segments) + "\r";
    }

    /** HL7 escapes for the delimiters (| ^ ~ \\ &) and line breaks in a value. */
    public static String escape(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (char ch : value.toCharArray()) {
            switch (ch) {
                case '|' -> out.append("\\F\\");
                case '^' -> out.append("\\S\\");
                case '~' -> out.append("\\R\\");
                case '\\' -> out.append("\\E\\");
                case '&' -> out.append("\\T\\");
                case '\r', '\n' -> out.append(' ');
                default -> out.append(ch);
            }
        }
        return out.toString();
    }

    private static String time(Instant when) {
        return when == null ? "" : hl7Time(when);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
