package org.caretrail.events;

import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientRef;

/** What every care event has in common, read from any of the generated event classes. */
public final class CareEvents {

    private CareEvents() {
    }

    /** The common header; every event schema has it as its first field, named {@code header}. */
    public static EventHeader header(SpecificRecord event) {
        Object header = event.get(event.getSchema().getField("header").pos());
        if (!(header instanceof EventHeader h)) {
            throw new IllegalArgumentException("event has no header: " + event.getSchema().getFullName());
        }
        return h;
    }

    /**
     * The Kafka key for an event: the NHS number when known, else {@code system|localId}. This is
     * what keeps one patient's events in one partition, in order.
     */
    public static String patientKey(SpecificRecord event) {
        return patientKey(header(event).getPatient());
    }

    public static String patientKey(PatientRef patient) {
        if (patient.getNhsNumber() != null && !patient.getNhsNumber().isBlank()) {
            return NhsNumber.canonicalOrSame(patient.getNhsNumber());
        }
        LocalIdentifier local = patient.getLocalId();
        if (local == null) {
            throw new IllegalArgumentException("patient has neither an NHS number nor a local identifier");
        }
        return localKey(local);
    }

    /** The key of a local identity: {@code system|value}. */
    public static String localKey(LocalIdentifier local) {
        return local.getSystem() + "|" + local.getValue();
    }

    public static Optional<String> nhsNumber(SpecificRecord event) {
        String nhs = header(event).getPatient().getNhsNumber();
        return nhs == null || nhs.isBlank() ? Optional.empty() : Optional.of(NhsNumber.canonicalOrSame(nhs));
    }

    /**
     * {@code event} with every NHS number it carries (the patient's; a patient identity's survivor and
     * superseded numbers) in the canonical ten-digit form, so the event is stored, keyed and compared
     * in one spelling whatever way it came in. Invalid numbers are left as they are, for the validator
     * to name. Changes the event in place and returns it.
     */
    public static <T extends SpecificRecord> T canonical(T event) {
        PatientRef patient = header(event).getPatient();
        if (patient != null && patient.getNhsNumber() != null) {
            patient.setNhsNumber(blankToNull(NhsNumber.canonicalOrSame(patient.getNhsNumber())));
        }
        if (event instanceof org.caretrail.events.model.PatientIdentity id) {
            id.setNhsNumber(NhsNumber.canonicalOrSame(id.getNhsNumber()));
            id.setSupersededNhsNumber(blankToNull(NhsNumber.canonicalOrSame(id.getSupersededNhsNumber())));
        }
        return event;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
