package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.Segment;
import ca.uhn.hl7v2.util.Terser;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.OdsCode;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Admission;
import org.caretrail.events.model.Appointment;
import org.caretrail.events.model.Attendance;
import org.caretrail.events.model.Discharge;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.Transfer;

/**
 * Maps one parsed HL7v2 ADT message (any 2.x version, read through 2.5 structures) to care events.
 * Pure: no I/O, no clock; the only outside knowledge is {@code lastTransferOfSpell}, used when an
 * A12 does not say which transfer it cancels.
 *
 * <h2>Mapping (the adapter's contract with sending systems)</h2>
 * <table>
 * <caption>ADT trigger events</caption>
 * <tr><th>event</th><th>care event</th><th>subjectId</th></tr>
 * <tr><td>A01 admit</td><td>Admission NEW</td><td>spell = PV1-19 visit number (else PID-18)</td></tr>
 * <tr><td>A02 transfer</td><td>Transfer NEW (spellId = spell)</td><td>{@code spell/transfer/<time>}, time = EVN-6 else EVN-2 else MSH-7</td></tr>
 * <tr><td>A03 discharge</td><td>Discharge NEW; for an A&amp;E visit (PV1-2 = E) Attendance UPDATE with departedAt</td><td>{@code spell/discharge}; the visit</td></tr>
 * <tr><td>A04 register</td><td>PV1-2 = E: Attendance NEW (A&amp;E arrival); otherwise Appointment NEW, status ATTENDED (outpatient arrival)</td><td>the visit</td></tr>
 * <tr><td>A05 pre-admit</td><td>Appointment NEW, status BOOKED, startsAt = PV2-8 else EVN-3, occurredAt = when it was booked (a planned admission is not yet a spell)</td><td>{@code spell/pre-admit}</td></tr>
 * <tr><td>A08 update</td><td>UPDATE of what the visit is (Admission, Attendance or Appointment by PV1-2); without a visit number: as A31</td><td>as the original</td></tr>
 * <tr><td>A11 cancel admit/visit</td><td>CANCEL of the Admission (Attendance, Appointment by PV1-2)</td><td>the spell</td></tr>
 * <tr><td>A12 cancel transfer</td><td>Transfer CANCEL</td><td>{@code spell/transfer/<EVN-6>} (HL7: EVN-6 of a cancel is the time of the event cancelled); without EVN-6 the spell's last transfer this adapter published</td></tr>
 * <tr><td>A13 cancel discharge</td><td>Discharge CANCEL (A&amp;E visit: Attendance UPDATE without departure)</td><td>{@code spell/discharge}</td></tr>
 * <tr><td>A21 / A22 leave of absence out / back</td><td>Transfer NEW to / from ward {@code LEAVE_OF_ABSENCE}: the spell stays open</td><td>{@code spell/leave/<time>}, {@code spell/return/<time>}</td></tr>
 * <tr><td>A28 / A31 person add / update</td><td>PatientIdentity LINK when PID-3 has both an NHS number and a local id; otherwise nothing to publish (ACK AA says so)</td><td>{@code identity/<system>|<id>}</td></tr>
 * <tr><td>A40 merge</td><td>PatientIdentity MERGE: PID-3 survives, MRG-1 is merged away (its local id, and its NHS number when different); plus a LINK of the surviving local id</td><td>{@code merge/<system>|<id>}</td></tr>
 * </table>
 * <p>Version = MSH-7 in epoch milliseconds, so a later message about the same item wins (a cancel
 * sent after the event it cancels has a higher version). eventId = a name-based UUID of MSH-4,
 * MSH-3, MSH-10 and the event's position in the message: the same message sent twice gives the
 * same events.
 */
public final class AdtMapper {

    static final String LEAVE_OF_ABSENCE = "LEAVE_OF_ABSENCE";
    static final String NHS_OID = "2.16.840.1.113883.2.1.4.1";

    private final Hl7Settings settings;

    public AdtMapper(Hl7Settings settings) {
        this.settings = settings;
    }

    /** Identifies a message for de-duplication: sending facility, application and MSH-10. */
    public record MessageKey(String facility, String application, String controlId) {
        @Override
        public String toString() {
            return facility + "|" + application + "|" + controlId;
        }
    }

    /** The events a message maps to (possibly none, then {@code note} says why) . */
    public record Result(MessageKey key, String trigger, List<SpecificRecord> events, String note) {
    }

    /** Reads MSH-3/4/10; AE when MSH-10 is missing. */
    public MessageKey key(Message message) {
        Terser t = new Terser(message);
        String controlId = get(t, "/MSH-10");
        if (controlId == null) {
            throw Hl7Rejection.error("MSH-10 (message control id) is empty");
        }
        return new MessageKey(nonNull(get(t, "/MSH-4-1")), nonNull(get(t, "/MSH-3-1")), controlId);
    }

    /**
     * Maps {@code message}; {@code lastTransferOfSpell} answers, for {@code odsCode|spell}, the
     * subjectId of the last transfer this adapter published.
     *
     * @throws Hl7Rejection AE for invalid content, AR for message types not handled
     */
    public Result map(Message message, Function<String, Optional<String>> lastTransferOfSpell) {
        Terser t = new Terser(message);
        String code = get(t, "/MSH-9-1");
        String trigger = get(t, "/MSH-9-2");
        if (!"ADT".equals(code) || trigger == null) {
            throw Hl7Rejection.reject("message type " + code + "^" + trigger
                    + " is not handled: this listener takes ADT A01-A05, A08, A11-A13, A21, A22, A28, A31, A40");
        }
        MessageKey key = key(message);
        Context c = new Context(t, key, trigger);
        List<SpecificRecord> events = switch (trigger) {
            case "A01" -> List.of(admission(c, Action.NEW));
            case "A02" -> List.of(transfer(c));
            case "A03" -> List.of(discharge(c));
            case "A04" -> List.of(registration(c, Action.NEW));
            case "A05" -> List.of(preAdmission(c));
            case "A08" -> update(c);
            case "A11" -> List.of(cancelVisit(c));
            case "A12" -> List.of(cancelTransfer(c, lastTransferOfSpell));
            case "A13" -> List.of(cancelDischarge(c));
            case "A21" -> List.of(leave(c, true));
            case "A22" -> List.of(leave(c, false));
            case "A28", "A31" -> link(c);
            case "A40" -> merge(c);
            default -> throw Hl7Rejection.reject("ADT^" + trigger
                    + " is not handled: this listener takes ADT A01-A05, A08, A11-A13, A21, A22, A28, A31, A40");
        };
        String note = events.isEmpty()
                ? "ADT^" + trigger + " has nothing to publish: PID-3 needs both an NHS number and a local id to link them"
                : null;
        return new Result(key, trigger, events, note);
    }

    // ---------------------------------------------------------------- per trigger

    private Admission admission(Context c, Action action) {
        String spell = c.spell();
        return Admission.newBuilder()
                .setHeader(c.header(0, action, spell, c.occurredAt("/.PV1-44-1")))
                .setSite(get(c.t, "/.PV1-3-4-1"))
                .setWard(get(c.t, "/.PV1-3-1"))
                .setSpecialty(get(c.t, "/.PV1-10"))
                .setAdmissionMethod(admissionMethod(get(c.t, "/.PV1-4")))
                .setConsultant(person(c.t, "/.PV1-7"))
                .build();
    }

    private Transfer transfer(Context c) {
        String spell = c.spell();
        Instant when = c.occurredAt(null);
        return Transfer.newBuilder()
                .setHeader(c.header(0, Action.NEW, transferSubject(spell, when), when))
                .setSpellId(spell)
                .setFromWard(get(c.t, "/.PV1-6-1"))
                .setToWard(get(c.t, "/.PV1-3-1"))
                .setToSite(get(c.t, "/.PV1-3-4-1"))
                .build();
    }

    private SpecificRecord discharge(Context c) {
        String spell = c.spell();
        Instant when = c.occurredAt("/.PV1-45-1");
        if (c.isEmergencyVisit()) {
            return Attendance.newBuilder()
                    .setHeader(c.header(0, Action.UPDATE, spell, c.arrivedAt()))
                    .setDepartment(get(c.t, "/.PV1-3-1"))
                    .setOutcome("DISCHARGED")
                    .setDepartedAt(when)
                    .build();
        }
        String disposition = get(c.t, "/.PV1-36");
        return Discharge.newBuilder()
                .setHeader(c.header(0, Action.NEW, spell + "/discharge", when))
                .setSpellId(spell)
                .setDestination(destination(disposition))
                .setDischargeMethod(disposition)
                .setWard(get(c.t, "/.PV1-3-1"))
                .build();
    }

    private SpecificRecord registration(Context c, Action action) {
        String visit = c.spell();
        if (c.isEmergencyVisit()) {
            return Attendance.newBuilder()
                    .setHeader(c.header(0, action, visit, c.arrivedAt()))
                    .setDepartment(get(c.t, "/.PV1-3-1"))
                    .setChiefComplaint(firstNonNull(get(c.t, "/.PV2-3-2"), get(c.t, "/.PV2-3-1")))
                    .setDepartedAt(optionalTime(c, "/.PV1-45-1"))
                    .build();
        }
        Instant startsAt = c.occurredAt("/.PV1-44-1");
        return Appointment.newBuilder()
                .setHeader(c.header(0, action, visit, startsAt))
                .setStartsAt(startsAt)
                .setService(get(c.t, "/.PV1-10"))
                .setPractitioner(person(c.t, "/.PV1-7"))
                .setStatus("ATTENDED")
                .build();
    }

    private Appointment preAdmission(Context c) {
        String spell = c.spell();
        Instant expected = optionalTime(c, "/.PV2-8-1");
        if (expected == null) {
            expected = optionalTime(c, "/EVN-3-1");
        }
        if (expected == null) {
            throw Hl7Rejection.error("ADT^A05: neither PV2-8 (expected admit date/time) nor EVN-3 (date/time planned "
                    + "event) says when the admission is planned");
        }
        String specialty = get(c.t, "/.PV1-10");
        return Appointment.newBuilder()
                .setHeader(c.header(0, Action.NEW, spell + "/pre-admit", c.recordedAt()))
                .setStartsAt(expected)
                .setService(specialty == null ? "planned admission" : "planned admission: " + specialty)
                .setPractitioner(person(c.t, "/.PV1-7"))
                .setStatus("BOOKED")
                .build();
    }

    private List<SpecificRecord> update(Context c) {
        if (!c.hasVisit()) {
            return link(c);
        }
        String patientClass = c.patientClass();
        if ("E".equals(patientClass) || "O".equals(patientClass)) {
            return List.of(registration(c, Action.UPDATE));
        }
        return List.of(admission(c, Action.UPDATE));
    }

    private SpecificRecord cancelVisit(Context c) {
        String visit = c.spell();
        Instant when = c.occurredAt("/.PV1-44-1");
        String patientClass = c.patientClass();
        if ("E".equals(patientClass)) {
            return Attendance.newBuilder().setHeader(c.header(0, Action.CANCEL, visit, when)).build();
        }
        if ("O".equals(patientClass)) {
            return Appointment.newBuilder().setHeader(c.header(0, Action.CANCEL, visit, when))
                    .setStartsAt(when).setStatus("CANCELLED").build();
        }
        return Admission.newBuilder().setHeader(c.header(0, Action.CANCEL, visit, when)).build();
    }

    private Transfer cancelTransfer(Context c, Function<String, Optional<String>> lastTransferOfSpell) {
        String spell = c.spell();
        String cancelled = get(c.t, "/EVN-6-1");
        String subject;
        Instant when;
        if (cancelled != null) {
            when = Hl7Time.parse(cancelled, "EVN-6", settings.zone());
            subject = transferSubject(spell, when);
        } else {
            subject = lastTransferOfSpell.apply(c.source().getOdsCode() + "|" + spell).orElseThrow(() ->
                    Hl7Rejection.error("ADT^A12 does not say which transfer of spell " + spell + " it cancels: EVN-6 "
                            + "(date/time of the transfer cancelled) is empty and this adapter has published no "
                            + "transfer of that spell"));
            when = c.occurredAt(null);
        }
        return Transfer.newBuilder()
                .setHeader(c.header(0, Action.CANCEL, subject, when))
                .setSpellId(spell)
                .setFromWard(get(c.t, "/.PV1-6-1"))
                .setToWard(get(c.t, "/.PV1-3-1"))
                .build();
    }

    private SpecificRecord cancelDischarge(Context c) {
        String spell = c.spell();
        Instant when = c.occurredAt(null);
        if (c.isEmergencyVisit()) {
            return Attendance.newBuilder()
                    .setHeader(c.header(0, Action.UPDATE, spell, c.arrivedAt()))
                    .setDepartment(get(c.t, "/.PV1-3-1"))
                    .build();
        }
        return Discharge.newBuilder()
                .setHeader(c.header(0, Action.CANCEL, spell + "/discharge", when))
                .setSpellId(spell)
                .build();
    }

    private Transfer leave(Context c, boolean out) {
        String spell = c.spell();
        Instant when = c.occurredAt(null);
        String ward = get(c.t, "/.PV1-3-1");
        return Transfer.newBuilder()
                .setHeader(c.header(0, Action.NEW, spell + (out ? "/leave/" : "/return/") + when, when))
                .setSpellId(spell)
                .setFromWard(out ? ward : LEAVE_OF_ABSENCE)
                .setToWard(out ? LEAVE_OF_ABSENCE : ward)
                .setToSite(out ? null : get(c.t, "/.PV1-3-4-1"))
                .build();
    }

    private List<SpecificRecord> link(Context c) {
        PatientRef patient = c.patient();
        if (patient.getNhsNumber() == null || patient.getLocalId() == null) {
            return List.of();
        }
        return List.of(identity(c, 0, IdentityKind.LINK, "identity/", patient.getNhsNumber(), patient.getLocalId(),
                null));
    }

    private List<SpecificRecord> merge(Context c) {
        PatientRef survivor = c.patient();
        if (survivor.getNhsNumber() == null) {
            throw Hl7Rejection.error("ADT^A40: PID-3 has no NHS number for the surviving patient; CareTrail merges "
                    + "identities into an NHS number");
        }
        Segment mrg = segment(c.t, "/.MRG");
        if (mrg == null) {
            throw Hl7Rejection.error("ADT^A40 has no MRG segment: it must name the patient merged away in MRG-1");
        }
        PatientRef prior = identifiers(mrg, 1, "MRG-1");
        if (prior.getNhsNumber() == null && prior.getLocalId() == null) {
            throw Hl7Rejection.error("ADT^A40: MRG-1 (prior patient identifier list) is empty");
        }
        String superseded = survivor.getNhsNumber().equals(prior.getNhsNumber()) ? null : prior.getNhsNumber();
        if (superseded == null && prior.getLocalId() == null) {
            throw Hl7Rejection.error("ADT^A40: MRG-1 names the surviving NHS number itself and no local id: nothing "
                    + "to merge");
        }
        List<SpecificRecord> events = new ArrayList<>();
        events.add(identity(c, 0, IdentityKind.MERGE, "merge/", survivor.getNhsNumber(), prior.getLocalId(),
                superseded));
        if (survivor.getLocalId() != null) {
            events.add(identity(c, 1, IdentityKind.LINK, "identity/", survivor.getNhsNumber(),
                    survivor.getLocalId(), null));
        }
        return events;
    }

    private PatientIdentity identity(Context c, int index, IdentityKind kind, String subjectPrefix, String nhsNumber,
                                     LocalIdentifier local, String superseded) {
        String subject = subjectPrefix + (local != null ? local.getSystem() + "|" + local.getValue()
                : "nhs|" + superseded);
        String birth = get(c.t, "/.PID-7-1");
        LocalDate birthDate = birth == null ? null : Hl7Time.parseDate(birth, "PID-7 (date of birth)");
        return PatientIdentity.newBuilder()
                .setHeader(c.header(index, Action.NEW, subject, c.occurredAt(null)))
                .setKind(kind)
                .setNhsNumber(nhsNumber)
                .setLocalId(local)
                .setSupersededNhsNumber(superseded)
                .setFamilyName(get(c.t, "/.PID-5-1"))
                .setGivenName(get(c.t, "/.PID-5-2"))
                .setBirthDate(birthDate)
                .setPostcode(get(c.t, "/.PID-11-5"))
                .build();
    }

    // ---------------------------------------------------------------- the message's context

    /** What every event of one message shares: source, patient, times, version, eventId seed. */
    private final class Context {
        final Terser t;
        final MessageKey key;
        final String trigger;
        private final Instant messageTime;
        private Source source;
        private PatientRef patient;

        Context(Terser t, MessageKey key, String trigger) {
            this.t = t;
            this.key = key;
            this.trigger = trigger;
            String msh7 = get(t, "/MSH-7-1");
            if (msh7 == null) {
                throw Hl7Rejection.error("MSH-7 (date/time of message) is empty: it orders updates to the same item");
            }
            this.messageTime = Hl7Time.parse(msh7, "MSH-7 (date/time of message)", settings.zone());
        }

        Source source() {
            if (source == null) {
                String facility = get(t, "/MSH-4-1");
                String universal = get(t, "/MSH-4-2");
                String ods;
                if (facility != null && OdsCode.problem(facility) == null) {
                    ods = facility;
                } else if (universal != null && OdsCode.problem(universal) == null) {
                    ods = universal;
                } else if (settings.defaultOdsCode().isPresent()) {
                    ods = settings.defaultOdsCode().get().value();
                } else {
                    throw Hl7Rejection.error("MSH-4 (sending facility) '" + nonNull(facility)
                            + "' is not an ODS code and no default organisation is configured");
                }
                String system = get(t, "/MSH-3-1");
                source = Source.newBuilder()
                        .setOdsCode(ods)
                        .setName(settings.organisationName())
                        .setKind(settings.providerKind())
                        .setSystem(system == null ? "hl7v2" : system)
                        .build();
            }
            return source;
        }

        PatientRef patient() {
            if (patient == null) {
                Segment pid = segment(t, "/.PID");
                if (pid == null) {
                    throw Hl7Rejection.error("ADT^" + trigger + " has no PID segment");
                }
                patient = identifiers(pid, 3, "PID-3");
                if (patient.getNhsNumber() == null && patient.getLocalId() == null) {
                    throw Hl7Rejection.error("PID-3 (patient identifier list) has neither an NHS number (^^^NHS) nor "
                            + "a local identifier with an assigning authority");
                }
            }
            return patient;
        }

        boolean hasVisit() {
            return segment(t, "/.PV1") != null && (get(t, "/.PV1-19-1") != null || get(t, "/.PID-18-1") != null);
        }

        /** The spell (or visit) number: PV1-19, else PID-18. AE when there is no PV1 or no number. */
        String spell() {
            if (segment(t, "/.PV1") == null) {
                throw Hl7Rejection.error("ADT^" + trigger + " has no PV1 segment: " + describe(trigger)
                        + " needs PV1 with the visit number (PV1-19)");
            }
            String visit = firstNonNull(get(t, "/.PV1-19-1"), get(t, "/.PID-18-1"));
            if (visit == null) {
                throw Hl7Rejection.error("ADT^" + trigger + ": PV1-19 (visit number) and PID-18 (account number) are "
                        + "empty: " + describe(trigger) + " needs the spell id");
            }
            return visit;
        }

        String patientClass() {
            String value = get(t, "/.PV1-2");
            return value == null ? null : value.toUpperCase(Locale.ROOT);
        }

        boolean isEmergencyVisit() {
            return "E".equals(patientClass());
        }

        /** A&E arrival: PV1-44 else the event time. */
        Instant arrivedAt() {
            return occurredAt("/.PV1-44-1");
        }

        /** The clinical time: {@code preferred} field, else EVN-6, else EVN-2, else MSH-7. */
        Instant occurredAt(String preferred) {
            if (preferred != null) {
                Instant value = optionalTime(this, preferred);
                if (value != null) {
                    return value;
                }
            }
            Instant occurred = optionalTime(this, "/EVN-6-1");
            if (occurred != null) {
                return occurred;
            }
            return recordedAt();
        }

        Instant recordedAt() {
            Instant recorded = optionalTime(this, "/EVN-2-1");
            return recorded != null ? recorded : messageTime;
        }

        EventHeader header(int index, Action action, String subjectId, Instant occurredAt) {
            String seed = "hl7v2|" + key + "|" + index;
            return EventHeader.newBuilder()
                    .setEventId(UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString())
                    .setAction(action)
                    .setSubjectId(subjectId)
                    .setVersion(messageTime.toEpochMilli())
                    .setOccurredAt(occurredAt)
                    .setRecordedAt(recordedAt())
                    .setSource(source())
                    .setPatient(patient())
                    .setSensitivity(Sensitivity.NORMAL)
                    .build();
        }
    }

    private Instant optionalTime(Context c, String path) {
        String value = get(c.t, path);
        return value == null ? null : Hl7Time.parse(value, fieldName(path), settings.zone());
    }

    static String transferSubject(String spell, Instant when) {
        return spell + "/transfer/" + when;
    }

    // ---------------------------------------------------------------- identifiers

    /**
     * Reads a CX list (PID-3, MRG-1): the repetition whose assigning authority is NHS (or whose type
     * is NH, or whose authority is the NHS number OID) is the NHS number and must pass Modulus 11;
     * the first other repetition with an id is the local identifier, its system the assigning
     * authority (else the identifier type).
     */
    static PatientRef identifiers(Segment segment, int field, String name) {
        String nhs = null;
        LocalIdentifier local = null;
        int reps;
        try {
            reps = segment.getField(field).length;
        } catch (HL7Exception e) {
            throw Hl7Rejection.error(name + " cannot be read: " + e.getMessage());
        }
        for (int i = 0; i < reps; i++) {
            String id = component(segment, field, i, 1, 1);
            if (id == null) {
                continue;
            }
            String authority = component(segment, field, i, 4, 1);
            String authorityOid = component(segment, field, i, 4, 2);
            String type = component(segment, field, i, 5, 1);
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
                String system = firstNonNull(authority, type);
                if (system == null) {
                    throw Hl7Rejection.error(name + " repetition " + (i + 1) + " '" + id + "' has no assigning "
                            + "authority (CX-4) or identifier type (CX-5): whose identifier is it?");
                }
                local = new LocalIdentifier(system, id);
            }
        }
        return new PatientRef(nhs, local);
    }

    private static String component(Segment segment, int field, int rep, int component, int sub) {
        try {
            return blankToNull(Terser.get(segment, field, rep, component, sub));
        } catch (HL7Exception e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- coded values

    /** PV1-4 admission type: HL7 table 0007 letters or NHS Data Dictionary admission method codes. */
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

    /** PV1-36 discharge disposition, NHS Data Dictionary discharge destination codes. */
    static String destination(String code) {
        if (code == null) {
            return null;
        }
        return switch (code) {
            case "19", "29" -> "HOME";
            case "54", "65", "85", "88" -> "CARE_HOME";
            case "48", "49", "50", "51", "52", "53", "87" -> "OTHER_HOSPITAL";
            case "79" -> "DIED";
            default -> "OTHER";
        };
    }

    private static String describe(String trigger) {
        return switch (trigger) {
            case "A01" -> "an admission";
            case "A02" -> "a transfer";
            case "A03" -> "a discharge";
            case "A04" -> "a registration";
            case "A05" -> "a pre-admission";
            case "A11", "A12", "A13" -> "a cancellation";
            case "A21", "A22" -> "a leave of absence";
            default -> "this event";
        };
    }

    // ---------------------------------------------------------------- Terser helpers

    /** The trimmed value at {@code path}, null when empty or not in this message structure. */
    static String get(Terser t, String path) {
        try {
            return blankToNull(t.get(path));
        } catch (HL7Exception | RuntimeException e) {
            return null;
        }
    }

    /** The segment at {@code path}, null when absent or empty. */
    static Segment segment(Terser t, String path) {
        try {
            Segment s = t.getSegment(path);
            return s == null || s.isEmpty() ? null : s;
        } catch (HL7Exception | RuntimeException e) {
            return null;
        }
    }

    private static String person(Terser t, String path) {
        String family = get(t, path + "-2");
        String given = get(t, path + "-3");
        if (family == null) {
            return get(t, path + "-1");
        }
        return given == null ? family : given + " " + family;
    }

    private static String fieldName(String path) {
        String p = path.startsWith("/.") ? path.substring(2) : path.substring(1);
        return p.endsWith("-1") && p.chars().filter(ch -> ch == '-').count() > 1 ? p.substring(0, p.length() - 2) : p;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static String firstNonNull(String a, String b) {
        return a != null ? a : b;
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
