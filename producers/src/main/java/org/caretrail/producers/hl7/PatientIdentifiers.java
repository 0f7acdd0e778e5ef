package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Segment;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientRef;

/**
 * A CX list (PID-3 patient identifier list, MRG-1 prior patient identifier list) as a patient
 * reference: the repetition whose assigning authority is {@code NHS} (or whose identifier type is
 * {@code NH}, or whose assigning authority is the NHS number OID {@value #NHS_OID}) is the NHS
 * number and must pass the Modulus 11 check; the first other repetition with an id is the local
 * identifier, its system the assigning authority (else the identifier type):
 * {@code 40800000^^^MRENTR^MEDREC} is {@code {MRENTR, 40800000}}.
 */
final class PatientIdentifiers {

    static final String NHS_OID = "2.16.840.1.113883.2.1.4.1";

    private PatientIdentifiers() {
    }

    /**
     * The NHS number and local id in {@code field} of {@code segment} (either may be null).
     *
     * @throws Hl7Rejection AE naming the field when an NHS number fails its check or a local id has no system
     */
    static PatientRef of(Segment segment, int field, String name) {
        String nhs = null;
        LocalIdentifier local = null;
        int reps = Hl7Fields.repetitions(segment, field);
        for (int i = 0; i < reps; i++) {
            String id = Hl7Fields.get(segment, field, i, 1, 1);
            if (id == null) {
                continue;
            }
            String authority = Hl7Fields.get(segment, field, i, 4, 1);
            String authorityOid = Hl7Fields.get(segment, field, i, 4, 2);
            String type = Hl7Fields.get(segment, field, i, 5, 1);
            boolean isNhs = "NHS".equalsIgnoreCase(authority) || "NH".equalsIgnoreCase(type)
                    || NHS_OID.equals(authorityOid);
            if (isNhs) {
                String problem = NhsNumber.problem(id);
                if (problem != null) {
                    throw Hl7Rejection.error(name + " repetition " + (i + 1) + ": " + problem);
                }
                if (nhs == null) {
                    nhs = NhsNumber.of(id).value();
                }
            } else if (local == null) {
                String system = Hl7Fields.firstNonNull(authority, type);
                if (system == null) {
                    throw Hl7Rejection.error(name + " repetition " + (i + 1) + " '" + id + "' has no assigning "
                            + "authority (CX-4) or identifier type (CX-5): whose identifier is it?");
                }
                local = new LocalIdentifier(system, id);
            }
        }
        return new PatientRef(nhs, local);
    }

    /** The local id as a subject suffix: {@code system|value}. */
    static String key(LocalIdentifier local) {
        return local.getSystem() + "|" + local.getValue();
    }
}
