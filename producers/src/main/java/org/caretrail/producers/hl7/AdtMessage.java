package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.Segment;
import ca.uhn.hl7v2.model.Structure;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.caretrail.events.CareEventType;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;

/**
 * One parsed ADT message as the mapper reads it: who sent it (MSH-4, MSH-3), when (MSH-7, EVN-2,
 * EVN-6), the patients it is about (each PID with the segments that follow it) and the header every
 * event made from it shares.
 *
 * <p>Event ids are name-based UUIDs of the message key (MSH-4, MSH-3, MSH-10), the content hash
 * ({@link ContentHash}) and the item the event is about (type and subjectId): the same message
 * always gives the same events, and two different messages under one reused control id never share
 * an event id.
 */
final class AdtMessage {

    /** Segments that follow a PID up to the next PID: what the message says about that patient. */
    private static final Set<String> PATIENT_SEGMENTS = Set.of("PID", "PD1", "PV1", "PV2", "MRG", "PDA", "DG1");

    final Message message;
    final AdtMapper.MessageKey key;
    final String trigger;
    final String contentHash;
    private final Hl7Settings settings;
    private final Segment msh;
    private final Segment evn;
    private final Instant messageTime;
    private final List<PatientGroup> patients;
    private Source source;

    AdtMessage(Message message, AdtMapper.MessageKey key, String trigger, String contentHash, Hl7Settings settings) {
        this.message = message;
        this.key = key;
        this.trigger = trigger;
        this.contentHash = contentHash;
        this.settings = settings;
        this.msh = Hl7Fields.first(message, "MSH");
        this.evn = Hl7Fields.first(message, "EVN");
        String msh7 = Hl7Fields.get(msh, 7);
        if (msh7 == null) {
            throw Hl7Rejection.error("MSH-7 (date/time of message) is empty: it orders updates to the same item");
        }
        this.messageTime = Hl7Time.parse(msh7, "MSH-7 (date/time of message)", settings.zone());
        this.patients = patientGroups(message);
    }

    // ---------------------------------------------------------------- patients

    /** A PID and what follows it up to the next PID: its PD1, PV1, PV2, MRGs, PDA and DG1s. */
    record PatientGroup(Segment pid, List<Segment> segments) {

        Segment first(String name) {
            for (Segment s : segments) {
                if (s.getName().equals(name)) {
                    return s;
                }
            }
            return null;
        }

        List<Segment> all(String name) {
            return segments.stream().filter(s -> s.getName().equals(name)).toList();
        }

        Segment pv1() {
            return first("PV1");
        }

        String patientClass() {
            String value = Hl7Fields.get(pv1(), 2);
            return value == null ? null : value.toUpperCase(Locale.ROOT);
        }

        /**
         * RESTRICTED when the sender marks the patient or visit confidential: PV1-16 VIP indicator
         * (any value but N, NO or 0), PD1-12 protection indicator Y, PV2-22 visit protection
         * indicator Y (HL7 v2.5.1 chapter 3).
         */
        Sensitivity sensitivity() {
            String vip = Hl7Fields.get(pv1(), 16);
            boolean isVip = vip != null && !Set.of("N", "NO", "0").contains(vip.toUpperCase(Locale.ROOT));
            boolean protectedPatient = "Y".equalsIgnoreCase(Hl7Fields.get(first("PD1"), 12));
            boolean protectedVisit = "Y".equalsIgnoreCase(Hl7Fields.get(first("PV2"), 22));
            return isVip || protectedPatient || protectedVisit ? Sensitivity.RESTRICTED : Sensitivity.NORMAL;
        }
    }

    private static List<PatientGroup> patientGroups(Message message) {
        List<Segment> all = new ArrayList<>();
        flatten(message, all);
        List<PatientGroup> groups = new ArrayList<>();
        Segment pid = null;
        List<Segment> following = new ArrayList<>();
        for (Segment s : all) {
            if (s.getName().equals("PID")) {
                if (pid != null) {
                    groups.add(new PatientGroup(pid, List.copyOf(following)));
                }
                pid = s;
                following = new ArrayList<>();
            } else if (pid != null && PATIENT_SEGMENTS.contains(s.getName())) {
                following.add(s);
            }
        }
        if (pid != null) {
            groups.add(new PatientGroup(pid, List.copyOf(following)));
        }
        return groups;
    }

    private static void flatten(ca.uhn.hl7v2.model.Group group, List<Segment> out) {
        for (String name : group.getNames()) {
            Structure[] reps;
            try {
                reps = group.getAll(name);
            } catch (ca.uhn.hl7v2.HL7Exception | RuntimeException e) {
                continue;
            }
            for (Structure s : reps) {
                if (s instanceof Segment segment) {
                    try {
                        if (!segment.isEmpty()) {
                            out.add(segment);
                        }
                    } catch (ca.uhn.hl7v2.HL7Exception e) {
                        // an unreadable segment carries nothing we can use
                    }
                } else if (s instanceof ca.uhn.hl7v2.model.Group inner) {
                    flatten(inner, out);
                }
            }
        }
    }

    /** Every patient the message names, in message order (two for A17, A24, A37; one per group for A40). */
    List<PatientGroup> patients() {
        return patients;
    }

    /** The (first) patient; AE when the message has no PID. */
    PatientGroup patient() {
        if (patients.isEmpty()) {
            throw Hl7Rejection.error("ADT^" + trigger + " has no PID segment");
        }
        return patients.get(0);
    }

    /** PID-3 of {@code group}: AE when it has neither an NHS number nor a local id. */
    PatientRef patientRef(PatientGroup group) {
        PatientRef ref = PatientIdentifiers.of(group.pid(), 3, "PID-3");
        if (ref.getNhsNumber() == null && ref.getLocalId() == null) {
            throw Hl7Rejection.error("PID-3 (patient identifier list) has neither an NHS number (^^^NHS) nor "
                    + "a local identifier with an assigning authority");
        }
        return ref;
    }

    /** The visit (spell) number of {@code group}: PV1-19, else PID-18; AE when there is no PV1 or no number. */
    String visit(PatientGroup group, String needs) {
        if (group.pv1() == null) {
            throw Hl7Rejection.error("ADT^" + trigger + " has no PV1 segment: " + needs
                    + " needs PV1 with the visit number (PV1-19)");
        }
        String visit = Hl7Fields.firstNonNull(Hl7Fields.get(group.pv1(), 19), Hl7Fields.get(group.pid(), 18));
        if (visit == null) {
            throw Hl7Rejection.error("ADT^" + trigger + ": PV1-19 (visit number) and PID-18 (account number) are "
                    + "empty: " + needs + " needs the spell id");
        }
        return visit;
    }

    /** Whether {@code group} names a visit (a PV1 with PV1-19, or PID-18). */
    boolean hasVisit(PatientGroup group) {
        return group.pv1() != null
                && (Hl7Fields.get(group.pv1(), 19) != null || Hl7Fields.get(group.pid(), 18) != null);
    }

    // ---------------------------------------------------------------- source and times

    Source source() {
        if (source == null) {
            String facility = Hl7Fields.get(msh, 4, 1);
            String universal = Hl7Fields.get(msh, 4, 2);
            String ods;
            if (facility != null && OdsCode.problem(facility) == null) {
                ods = facility;
            } else if (universal != null && OdsCode.problem(universal) == null) {
                ods = universal;
            } else if (settings.defaultOdsCode().isPresent()) {
                ods = settings.defaultOdsCode().get().value();
            } else {
                throw Hl7Rejection.error("MSH-4 (sending facility) '" + (facility == null ? "" : facility)
                        + "' is not an ODS code and no default organisation is configured");
            }
            String system = Hl7Fields.get(msh, 3, 1);
            source = Source.newBuilder()
                    .setOdsCode(ods)
                    .setName(settings.organisationName())
                    .setKind(settings.providerKind())
                    .setSystem(system == null ? "hl7v2" : system)
                    .build();
        }
        return source;
    }

    String odsCode() {
        return source().getOdsCode();
    }

    /** When the sender recorded the event: EVN-2, else MSH-7. */
    Instant recordedAt() {
        Instant recorded = time(evn, 2, "EVN-2");
        return recorded != null ? recorded : messageTime;
    }

    /** EVN-6: when the event happened (for a cancel, when the cancelled event happened). */
    Instant eventOccurred() {
        return time(evn, 6, "EVN-6");
    }

    /** EVN-3: date/time planned event. */
    Instant plannedEvent() {
        return time(evn, 3, "EVN-3");
    }

    /** The clinical time: {@code preferred} if given, else EVN-6, else EVN-2, else MSH-7. */
    Instant occurredAt(Instant preferred) {
        if (preferred != null) {
            return preferred;
        }
        Instant occurred = eventOccurred();
        return occurred != null ? occurred : recordedAt();
    }

    /** The time in {@code field} (component 1) of {@code segment}; null when empty; AE naming the field when invalid. */
    Instant time(Segment segment, int field, String name) {
        String value = Hl7Fields.get(segment, field);
        return value == null ? null : Hl7Time.parse(value, name, settings.zone());
    }

    /** EVN-5 operator (who recorded the event), as a name. */
    String operator() {
        return person(evn, 5);
    }

    // ---------------------------------------------------------------- headers

    /**
     * The header of an event of type {@code type} about {@code subjectId} for {@code patient}:
     * version = MSH-7 in epoch ms, recordedAt = EVN-2 (else MSH-7), sensitivity from the patient's
     * group, event id from message key, content hash, type and subject.
     */
    EventHeader header(CareEventType type, Action action, String subjectId, Instant occurredAt, PatientRef patient,
                       Sensitivity sensitivity) {
        String seed = "hl7v2|" + key + "|" + contentHash + "|" + type + "|" + subjectId;
        return EventHeader.newBuilder()
                .setEventId(UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString())
                .setAction(action)
                .setSubjectId(subjectId)
                .setVersion(messageTime.toEpochMilli())
                .setOccurredAt(occurredAt)
                .setRecordedAt(recordedAt())
                .setSource(source())
                .setPatient(patient)
                .setSensitivity(sensitivity)
                .build();
    }

    /** An XCN (person) as "given family", else its id. */
    static String person(Segment segment, int field) {
        String family = Hl7Fields.get(segment, field, 2);
        String given = Hl7Fields.get(segment, field, 3);
        if (family == null) {
            return Hl7Fields.get(segment, field, 1);
        }
        return given == null ? family : given + " " + family;
    }
}
