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
            return patient.getNhsNumber().replace(" ", "");
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
        return nhs == null || nhs.isBlank() ? Optional.empty() : Optional.of(nhs.replace(" ", ""));
    }
}
