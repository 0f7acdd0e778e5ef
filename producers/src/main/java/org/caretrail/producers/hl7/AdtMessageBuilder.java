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
    private final java.util.Map<Integer, String> mrgFields = new java.util.TreeMap<>();
    private final java.util.Map<Integer, String> pidFields = new java.util.TreeMap<>();
    private final java.util.Map<Integer, String> pv1Fields = new java.util.TreeMap<>();
    private final java.util.Map<Integer, String> evnFields = new java.util.TreeMap<>();
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

    /** Any PID field (e.g. 29 death date/time, 30 death indicator), verbatim ER7 (already escaped). */
    public AdtMessageBuilder pid(int field, String er7) {
        this.pidFields.put(field, er7);
        return this;
    }

    /** Any PV1 field (e.g. 3 a whole PL, 16 VIP indicator, 37 discharged to location), verbatim ER7. */
    public AdtMessageBuilder pv1(int field, String er7) {
        this.pv1Fields.put(field, er7);
        return this;
    }

    /** Any EVN field (e.g. 5 operator), verbatim ER7. */
    public AdtMessageBuilder evn(int field, String er7) {
        this.evnFields.put(field, er7);
        return this;
    }

    /** Any MRG field besides MRG-1 (e.g. 3 prior account number, 5 prior visit number), verbatim ER7. */
    public AdtMessageBuilder mrg(int field, String er7) {
        this.mrgFields.put(field, er7);
        return this;
    }

    /** Any further segment, verbatim. */
    public AdtMessageBuilder segment(String segment) {
        this.extraSegments.add(segment);
        return this;
    }

    public String build() {
        String structure = structure(trigger);
        List<String> segments = new ArrayList<>();
        segments.add("MSH|^~\\&|" + escape(application) + "|" + escape(facility) + "|CARETRAIL|CARETRAIL|"
                + hl7Time(messageTime) + "||ADT^" + trigger + "^" + structure + "|" + escape(controlId) + "|P|"
                + version);
        String[] evn = fields("EVN", 7, evnFields);
        evn[1] = trigger;
        evn[2] = hl7Time(messageTime);
        evn[6] = evnFields.getOrDefault(6, time(eventOccurred));
        segments.add(String.join("|", trimmed(evn)));
        List<String> ids = new ArrayList<>();
        if (nhsNumber != null) {
            ids.add(escape(nhsNumber) + "^^^NHS^NH");
        }
        if (localId != null) {
            ids.add(escape(localId) + "^^^" + escape(localAuthority) + "^MEDREC");
        }
        String[] pid = fields("PID", 31, pidFields);
        pid[3] = pidFields.getOrDefault(3, String.join("~", ids));
        pid[5] = pidFields.getOrDefault(5, escape(family) + "^" + escape(given));
        pid[7] = pidFields.getOrDefault(7, nz(birthDate));
        pid[8] = pidFields.getOrDefault(8, "U");
        pid[11] = pidFields.getOrDefault(11, postcode == null ? "" : "1 HIGH STREET^^LEEDS^^" + escape(postcode));
        segments.add(String.join("|", trimmed(pid)));
        if (!mergedIds.isEmpty() || !mrgFields.isEmpty()) {
            String[] mrg = fields("MRG", 8, mrgFields);
            mrg[1] = String.join("~", mergedIds);
            segments.add(String.join("|", trimmed(mrg)));
        }
        if (withPv1 && !"A40".equals(trigger)) {
            String[] pv1 = fields("PV1", 53, pv1Fields);
            pv1[2] = pv1Fields.getOrDefault(2, nz(patientClass));
            pv1[3] = pv1Fields.getOrDefault(3, ward == null ? "" : escape(ward) + "^^^" + escape(site));
            pv1[4] = pv1Fields.getOrDefault(4, nz(admissionType));
            pv1[6] = pv1Fields.getOrDefault(6, escape(priorWard));
            pv1[7] = pv1Fields.getOrDefault(7, "C1234567^JONES^ALAN");
            pv1[10] = pv1Fields.getOrDefault(10, "GENMED");
            pv1[19] = pv1Fields.getOrDefault(19, escape(visitNumber));
            pv1[36] = pv1Fields.getOrDefault(36, nz(dischargeDisposition));
            pv1[44] = pv1Fields.getOrDefault(44, time(admitTime));
            pv1[45] = pv1Fields.getOrDefault(45, time(dischargeTime));
            segments.add(String.join("|", trimmed(pv1)));
            if (expectedAdmit != null) {
                segments.add("PV2||||||||" + hl7Time(expectedAdmit));
            }
        }
        segments.addAll(extraSegments);
        return String.join("\r", segments) + "\r";
    }

    /** The message structure HL7 v2.5 gives {@code trigger} (chapter 3's event table). */
    static String structure(String trigger) {
        return switch (trigger) {
            case "A01", "A04", "A08", "A13" -> "ADT_A01";
            case "A05", "A14", "A28", "A31" -> "ADT_A05";
            case "A06", "A07" -> "ADT_A06";
            case "A09", "A10", "A11" -> "ADT_A09";
            case "A21", "A22", "A23", "A25", "A26", "A27", "A29", "A32", "A33" -> "ADT_A21";
            case "A30", "A34", "A35", "A36", "A46", "A47", "A48", "A49" -> "ADT_A30";
            case "A39", "A40", "A41", "A42" -> "ADT_A39";
            case "A43", "A44" -> "ADT_A43";
            case "A50", "A51" -> "ADT_A50";
            case "A52", "A53", "A55" -> "ADT_A52";
            case "A61", "A62" -> "ADT_A61";
            default -> "ADT_" + trigger;
        };
    }

    private static String[] fields(String name, int count, java.util.Map<Integer, String> given) {
        int size = Math.max(count, given.isEmpty() ? 0 : ((java.util.TreeMap<Integer, String>) given).lastKey() + 1);
        String[] f = new String[size];
        Arrays.fill(f, "");
        f[0] = name;
        given.forEach((i, v) -> f[i] = v);
        return f;
    }

    private static String[] trimmed(String[] fields) {
        int end = fields.length;
        while (end > 1 && fields[end - 1].isEmpty()) {
            end--;
        }
        return Arrays.copyOf(fields, end);
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
