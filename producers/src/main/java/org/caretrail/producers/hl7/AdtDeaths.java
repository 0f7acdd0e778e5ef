package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Segment;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Death;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.PatientRef;

/**
 * The patient's death as any ADT message may state it (HL7 v2.5.1 chapter 3, PID-29 patient death
 * date and time, PID-30 patient death indicator, and the PDA patient death and autopsy segment):
 *
 * <ul>
 *   <li>PID-30 = {@code Y}, or PID-29 given with PID-30 empty: the patient died. A {@link Death}:
 *       time of death PID-29 (else the event time), recorded by EVN-5 (the operator, else the
 *       sending facility MSH-4), cause PDA-1, place PDA-2, certified PDA-3 = Y.</li>
 *   <li>PID-30 = {@code N}: the patient is alive, whatever PID-29 says. No Death; and when this
 *       adapter has published a death for the patient that still stands, a CANCEL of it (a death
 *       recorded in error, then corrected).</li>
 * </ul>
 * The death is one care item per patient, {@code death/<local system>|<id>} (else
 * {@code death/nhs|<number>}), stated again by every later message about the patient: it is
 * published when first stated or when it changes, not on each restatement.
 */
final class AdtDeaths {

    private final AdtMessage m;
    private final PublishedItems memory;

    AdtDeaths(AdtMessage m, PublishedItems memory) {
        this.m = m;
        this.memory = memory;
    }

    /** Whether PID-29/PID-30 of {@code g} say the patient died. */
    static boolean died(AdtMessage.PatientGroup g) {
        String indicator = indicator(g);
        return "Y".equals(indicator) || (indicator == null && Hl7Fields.get(g.pid(), 29) != null);
    }

    private static String indicator(AdtMessage.PatientGroup g) {
        String value = Hl7Fields.get(g.pid(), 30);
        return value == null ? null : value.toUpperCase(Locale.ROOT);
    }

    /** The death (NEW, UPDATE when corrected, CANCEL when withdrawn) {@code g} states, if any. */
    Optional<Death> of(AdtMessage.PatientGroup g) {
        PatientRef patient = m.patientRef(g);
        String ods = m.odsCode();
        Optional<PublishedItem> known = known(ods, patient);
        if ("N".equals(indicator(g))) {
            return known.filter(PublishedItem::stated).map(item -> Death.newBuilder()
                    .setHeader(m.header(CareEventType.DEATH, Action.CANCEL, item.key().subjectId(),
                            item.occurredAt() != null ? item.occurredAt() : m.occurredAt(null), patient,
                            g.sensitivity()))
                    .build());
        }
        if (!died(g)) {
            return Optional.empty();
        }
        Instant diedAt = m.occurredAt(m.time(g.pid(), 29, "PID-29 (patient death date and time)"));
        String subject = known.map(item -> item.key().subjectId()).orElse(subject(patient));
        Action action = known.filter(PublishedItem::stated).isPresent() ? Action.UPDATE : Action.NEW;
        Segment pda = g.first("PDA");
        String recordedBy = m.operator();
        if (recordedBy == null) {
            recordedBy = AdtMessage.person(pda, 5);
        }
        if (recordedBy == null) {
            recordedBy = ods;
        }
        return Optional.of(Death.newBuilder()
                .setHeader(m.header(CareEventType.DEATH, action, subject, diedAt, patient, g.sensitivity()))
                .setPlaceOfDeath(place(Hl7Locations.of(pda, 2)))
                .setCause(Hl7Fields.firstNonNull(Hl7Fields.get(pda, 1, 2), Hl7Fields.get(pda, 1, 1)))
                .setCauseCode(Hl7Codes.clinicalCode(pda, 1, 0))
                .setVerified("Y".equalsIgnoreCase(Hl7Fields.get(pda, 3)))
                .setRecordedBy(recordedBy)
                .build());
    }

    /** What makes two statements of a death the same: the time of death. */
    static String fingerprint(Death death) {
        return ContentHash.sha256("death|" + death.getHeader().getOccurredAt());
    }

    static String subject(PatientRef patient) {
        return "death/" + (patient.getLocalId() != null ? PatientIdentifiers.key(patient.getLocalId())
                : "nhs|" + patient.getNhsNumber());
    }

    /** A death this adapter published for the patient, under either of its identifiers. */
    private Optional<PublishedItem> known(String ods, PatientRef patient) {
        Optional<PublishedItem> found = Optional.empty();
        if (patient.getLocalId() != null) {
            found = memory.item(new PublishedItem.Key(ods, CareEventType.DEATH,
                    "death/" + PatientIdentifiers.key(patient.getLocalId())));
        }
        if (found.isEmpty() && patient.getNhsNumber() != null) {
            found = memory.item(new PublishedItem.Key(ods, CareEventType.DEATH, "death/nhs|" + patient.getNhsNumber()));
        }
        return found;
    }

    private static String place(Location location) {
        if (location == null) {
            return null;
        }
        String ward = location.getPointOfCare();
        String site = location.getSite();
        if (ward != null && site != null) {
            return ward + ", " + site;
        }
        return ward != null ? ward : site;
    }
}
