package org.caretrail.consumers.replay;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What pseudonymised replay does with every field of the contract, decided field by field (the
 * table in {@code consumers/README.md} is this one, in words). A field that is not here is dropped,
 * and a test fails for every field of the schemas that is not here, so a new field cannot leak in
 * clear before someone decides what it is.
 *
 * <p>The principle: identifiers of people and of their records become keyed pseudonyms (joins
 * still work); names of people, addresses and free text written by people are dropped (they may
 * hold anything, identifiers included); dates of birth become an age band, postcodes their
 * district; what describes care and organisations (codes, wards, specialties, ODS codes, times)
 * is kept, because it is what analysts need.
 */
public final class PseudonymisationRules {

    /** What happens to one field. */
    public enum Rule {
        /** Kept as it is (a record's own fields follow their own rules). */
        KEEP,
        /** Removed (written as null). */
        DROP,
        /** An NHS number: its keyed pseudonym. */
        NHS_NUMBER,
        /** A local identifier's value: its keyed pseudonym, with its issuing system. */
        LOCAL_ID_VALUE,
        /** An event id (or a reference to one): its keyed pseudonym, so corrections still find what they correct. */
        EVENT_ID,
        /** A source's care item id (spell, referral, prescription...): its keyed pseudonym, so items still join. */
        SUBJECT_ID,
        /** A timeline entry id {@code TYPE|ods|subjectId}: the subject id part pseudonymised. */
        ENTRY_ID,
        /** A timeline change id {@code eventId:KIND}: the event id part pseudonymised. */
        CHANGE_ID,
        /** A date of birth: replaced by {@code ageBand} (five-year bands at the event, 90+ together). */
        AGE_BAND,
        /** A postcode: its district (the outward code, e.g. SE1), or dropped when it is not a UK postcode. */
        POSTCODE_DISTRICT,
        /** A timeline entry's details (the event's body fields as text): each by the event type's own rules. */
        DETAILS
    }

    private static final Map<String, Rule> RULES = new LinkedHashMap<>();

    private static void rule(String record, Rule rule, String... fields) {
        for (String field : fields) {
            RULES.put(record + "." + field, rule);
        }
    }

    static {
        // the common header and its parts
        rule("EventHeader", Rule.EVENT_ID, "eventId", "supersedes");
        rule("EventHeader", Rule.SUBJECT_ID, "subjectId");
        rule("EventHeader", Rule.KEEP, "action", "version", "occurredAt", "recordedAt", "source", "patient",
                "sensitivity");
        rule("Source", Rule.KEEP, "odsCode", "name", "kind", "system");
        rule("PatientRef", Rule.NHS_NUMBER, "nhsNumber");
        rule("PatientRef", Rule.KEEP, "localId");
        rule("LocalIdentifier", Rule.KEEP, "system");
        rule("LocalIdentifier", Rule.LOCAL_ID_VALUE, "value");
        // a bay or bed, with a time, can single a person out on a ward; ward, site, building and floor stay
        rule("Location", Rule.KEEP, "pointOfCare", "site", "building", "floor");
        rule("Location", Rule.DROP, "room", "bed");
        // the code is what analysts use; the display text is whatever the source sent
        rule("Coding", Rule.KEEP, "system", "code");
        rule("Coding", Rule.DROP, "display");

        // care events: everything but the header
        rule("Admission", Rule.KEEP, "header", "site", "ward", "specialty", "admissionMethod", "location",
                "admissionMethodCode", "treatmentFunctionCode", "diagnoses", "patientClass");
        rule("Admission", Rule.DROP, "consultant");
        rule("Transfer", Rule.KEEP, "header", "fromWard", "toWard", "toSite", "fromLocation", "toLocation", "reason");
        rule("Transfer", Rule.SUBJECT_ID, "spellId");
        rule("Discharge", Rule.KEEP, "header", "destination", "dischargeMethod", "ward", "location",
                "dischargeMethodCode", "dischargeDestinationCode");
        rule("Discharge", Rule.SUBJECT_ID, "spellId");
        rule("Attendance", Rule.KEEP, "header", "department", "arrivalMode", "outcome", "departedAt", "location",
                "chiefComplaintCode", "diagnoses");
        rule("Attendance", Rule.DROP, "chiefComplaint");
        rule("Referral", Rule.KEEP, "header", "toOdsCode", "specialty", "priority", "status", "reasonCode",
                "specialtyCode");
        rule("Referral", Rule.DROP, "reason");
        rule("Prescription", Rule.KEEP, "header", "medication", "dose", "route", "repeat", "endsAt", "medicationCode");
        rule("Appointment", Rule.KEEP, "header", "startsAt", "service", "status");
        rule("Appointment", Rule.DROP, "practitioner");
        rule("AmbulanceConveyance", Rule.KEEP, "header", "category", "destinationOdsCode", "handoverAt");
        rule("AmbulanceConveyance", Rule.DROP, "incidentNumber");
        rule("SocialCareEvent", Rule.KEEP, "header", "kind", "hoursPerWeek");
        rule("SocialCareEvent", Rule.DROP, "description");
        rule("GpRegistration", Rule.KEEP, "header", "practiceOdsCode", "practiceName", "status");
        rule("Death", Rule.KEEP, "header", "verified", "causeCode");
        rule("Death", Rule.DROP, "placeOfDeath", "cause", "recordedBy");
        rule("PatientIdentity", Rule.KEEP, "header", "kind", "localId");
        rule("PatientIdentity", Rule.NHS_NUMBER, "nhsNumber", "supersededNhsNumber");
        rule("PatientIdentity", Rule.DROP, "familyName", "givenName");
        rule("PatientIdentity", Rule.AGE_BAND, "birthDate");
        rule("PatientIdentity", Rule.POSTCODE_DISTRICT, "postcode");
        rule("PatientIdentity", Rule.SUBJECT_ID, "visit");
        rule("Consent", Rule.KEEP, "header", "nationalDataOptOut", "preferences");

        // timeline changes
        rule("TimelineChange", Rule.CHANGE_ID, "changeId");
        rule("TimelineChange", Rule.NHS_NUMBER, "nhsNumber");
        rule("TimelineChange", Rule.KEEP, "kind", "entry", "changedAt", "registeredPracticeOdsCode");
        rule("TimelineEntry", Rule.ENTRY_ID, "entryId");
        rule("TimelineEntry", Rule.EVENT_ID, "eventId", "supersedes");
        rule("TimelineEntry", Rule.SUBJECT_ID, "subjectId");
        rule("TimelineEntry", Rule.KEEP, "type", "action", "version", "occurredAt", "recordedAt", "source",
                "sensitivity", "status", "localId");
        // the summary line is built from the body, names and free text included
        rule("TimelineEntry", Rule.DROP, "summary");
        rule("TimelineEntry", Rule.DETAILS, "details");
        rule("TimelineEntry", Rule.NHS_NUMBER, "originNhsNumber");
    }

    private PseudonymisationRules() {
    }

    /** The rule of {@code record.field} (record by its Avro name), empty when none was decided. */
    public static Optional<Rule> of(String record, String field) {
        return Optional.ofNullable(RULES.get(record + "." + field));
    }

    /** Every decided field, {@code Record.field} to its rule, in the order above. */
    public static Map<String, Rule> all() {
        return Map.copyOf(RULES);
    }
}
