package org.caretrail.events;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.GpRegistration;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Prescription;
import org.caretrail.events.model.SocialCareEvent;
import org.caretrail.events.model.Transfer;

/**
 * The contract's rules that a schema alone cannot state (rule 5 of the design): a valid NHS
 * number, a UUID event id, an ODS code, at least one patient identifier, no clinical time far in
 * the future, and the size limits of {@link CareEventLimits}. Every way in (publisher library, adapters, CLI) and the stream processor use this
 * one validator, so an event is judged the same wherever it enters.
 */
public final class CareEventValidator {

    /** How far ahead of the validator's clock {@code occurredAt} may be before it is rejected. */
    public static final Duration DEFAULT_MAX_FUTURE = Duration.ofHours(24);
    private static final Instant EARLIEST = Instant.parse("1900-01-01T00:00:00Z");

    private final Clock clock;
    private final Duration maxFuture;

    public CareEventValidator() {
        this(Clock.systemUTC(), DEFAULT_MAX_FUTURE);
    }

    public CareEventValidator(Clock clock, Duration maxFuture) {
        this.clock = clock;
        this.maxFuture = maxFuture;
    }

    /** The problems with {@code event}, empty when it is valid. Each names the field. */
    public List<String> problems(SpecificRecord event) {
        List<String> problems = new ArrayList<>();
        EventHeader header;
        try {
            header = CareEvents.header(event);
        } catch (RuntimeException e) {
            return List.of(e.getMessage());
        }
        List<String> tooBig = CareEventLimits.problems(event);
        if (!tooBig.isEmpty()) {
            return tooBig; // nothing else is worth reading in an event over its limits
        }
        checkHeader(header, problems);
        checkBody(event, problems);
        return problems;
    }

    /** Throws {@link InvalidCareEventException} listing every problem. */
    public void requireValid(SpecificRecord event) {
        List<String> problems = problems(event);
        if (!problems.isEmpty()) {
            throw new InvalidCareEventException(problems);
        }
    }

    private void checkHeader(EventHeader h, List<String> problems) {
        if (h.getEventId() == null || !isUuid(h.getEventId())) {
            problems.add("header.eventId '" + h.getEventId() + "' is not a UUID");
        }
        if (h.getSubjectId() == null || h.getSubjectId().isBlank()) {
            problems.add("header.subjectId is missing");
        }
        if (h.getVersion() < 0) {
            problems.add("header.version must not be negative");
        }
        Instant now = clock.instant();
        if (h.getOccurredAt() == null) {
            problems.add("header.occurredAt is missing");
        } else if (h.getOccurredAt().isAfter(now.plus(maxFuture))) {
            problems.add("header.occurredAt " + h.getOccurredAt() + " is in the future (more than " + maxFuture
                    + " ahead of " + now + ")");
        } else if (h.getOccurredAt().isBefore(EARLIEST)) {
            problems.add("header.occurredAt " + h.getOccurredAt() + " is before 1900");
        }
        if (h.getRecordedAt() == null) {
            problems.add("header.recordedAt is missing");
        }
        if (h.getSource() == null) {
            problems.add("header.source is missing");
        } else {
            addIfPresent(problems, "header.source.odsCode: ", OdsCode.problem(h.getSource().getOdsCode()));
        }
        PatientRef patient = h.getPatient();
        if (patient == null || (blank(patient.getNhsNumber()) && patient.getLocalId() == null)) {
            problems.add("header.patient needs an NHS number or a local identifier");
        } else {
            if (!blank(patient.getNhsNumber())) {
                addIfPresent(problems, "header.patient.nhsNumber: ", NhsNumber.problem(patient.getNhsNumber()));
            }
            checkLocal(patient.getLocalId(), "header.patient.localId", problems);
        }
    }

    private static void checkLocal(LocalIdentifier local, String path, List<String> problems) {
        if (local != null && (blank(local.getSystem()) || blank(local.getValue()))) {
            problems.add(path + " needs both system and value");
        }
    }

    private static void checkBody(SpecificRecord event, List<String> problems) {
        if (event instanceof Transfer t && blank(t.getSpellId())) {
            problems.add("spellId is missing");
        } else if (event instanceof Discharge d && blank(d.getSpellId())) {
            problems.add("spellId is missing");
        } else if (event instanceof Prescription p && blank(p.getMedication())) {
            problems.add("medication is missing");
        } else if (event instanceof SocialCareEvent s && blank(s.getKind())) {
            problems.add("kind is missing");
        } else if (event instanceof GpRegistration g) {
            addIfPresent(problems, "practiceOdsCode: ", OdsCode.problem(g.getPracticeOdsCode()));
        } else if (event instanceof PatientIdentity id) {
            addIfPresent(problems, "nhsNumber: ", NhsNumber.problem(id.getNhsNumber()));
            if (!blank(id.getSupersededNhsNumber())) {
                addIfPresent(problems, "supersededNhsNumber: ", NhsNumber.problem(id.getSupersededNhsNumber()));
            }
            checkLocal(id.getLocalId(), "localId", problems);
            if (id.getKind() == IdentityKind.LINK && id.getLocalId() == null) {
                problems.add("a LINK needs localId");
            }
            if (id.getKind() == IdentityKind.SUPERSEDE && blank(id.getSupersededNhsNumber())) {
                problems.add("a SUPERSEDE needs supersededNhsNumber");
            }
            if (id.getKind() == IdentityKind.MERGE && id.getLocalId() == null && blank(id.getSupersededNhsNumber())) {
                problems.add("a MERGE needs localId or supersededNhsNumber (the identity merged away)");
            }
        }
    }

    private static void addIfPresent(List<String> problems, String prefix, String problem) {
        if (problem != null) {
            problems.add(prefix + problem);
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static boolean isUuid(String s) {
        try {
            UUID.fromString(s);
            return s.length() == 36;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
