package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.Segment;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EventHeader;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;

/**
 * Maps one parsed HL7v2 ADT message (any 2.x version, read through the 2.5 structures) to care
 * events. Pure but for one input: what this adapter published before ({@link PublishedItems}, the
 * message log), which a cancel needs to know what it cancels and a correction to name the event it
 * follows.
 *
 * <p>The trigger-by-trigger conformance table (what each of A01–A62 becomes, what is ignored and
 * why) is in {@code producers/README.md}, "ADT conformance"; the methods below follow it row by row
 * and {@code AdtMapperTest} checks each row. In short:
 *
 * <ul>
 *   <li>Visit events: A01 admission, A02 transfer, A03 discharge (or the end of an A&amp;E or
 *       outpatient visit), A04 A&amp;E or outpatient arrival, A05/A14 planned admission, A06/A07 change
 *       of class, A08 update, A11/A12/A13 cancels, A17 swapped beds, A21/A22 leave, A23 delete
 *       visit, A27/A38 cancel planned admission, A52/A53 cancel leave, A54/A55 consultant.</li>
 *   <li>Identity: a LINK for every PID-3 pairing an NHS number with a local id; merges A18, A30,
 *       A34, A36, A39, A40; A37 unmerge; A24 link; A43 move identifier; A44/A45 move account or
 *       visit; A46/A47 change identifier; A29 delete person.</li>
 *   <li>Death: PID-29/PID-30 on any message ({@link AdtDeaths}).</li>
 *   <li>Rejected (AR): A19 (a query), A20 (bed status, no patient), triggers HL7 v2.5.1 does not
 *       define, and message types other than ADT.</li>
 * </ul>
 *
 * <p>Every event about an item this adapter published before names that item's last event in
 * {@code header.supersedes}: a cancel or correction then wins over what it follows whatever the
 * senders' clocks (MSH-7, the version) say. Facts restated by every message (identity links,
 * death) are published only when they first appear or change.
 */
public final class AdtMapper {

    static final String LEAVE_OF_ABSENCE = AdtVisitEvents.LEAVE_OF_ABSENCE;

    /** Triggers whose own content has nothing for the timeline (their PID still gives links and deaths). */
    static final Set<String> NOTHING_OF_THEIR_OWN = Set.of("A09", "A10", "A15", "A16", "A25", "A26", "A28",
            "A31", "A32", "A33", "A35", "A41", "A42", "A48", "A49", "A50", "A51", "A60", "A61", "A62");
    private static final Set<String> MERGES = Set.of("A18", "A30", "A34", "A36", "A39", "A40");

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

    /**
     * One event with what the message log keeps about it.
     *
     * @param visit       the visit it belongs to, or null
     * @param fingerprint for restated facts (links, deaths): what was stated, hashed; else null
     */
    public record Mapped(SpecificRecord event, String visit, String fingerprint) {
    }

    /** The events a message maps to (possibly none; then {@code note} says why). */
    public record Result(MessageKey key, String trigger, List<Mapped> mapped, String note) {
        public List<SpecificRecord> events() {
            return mapped.stream().map(Mapped::event).toList();
        }
    }

    /** Reads MSH-3/4/10; AE when MSH-10 is missing. */
    public MessageKey key(Message message) {
        Segment msh = Hl7Fields.first(message, "MSH");
        String controlId = Hl7Fields.get(msh, 10);
        if (controlId == null) {
            throw Hl7Rejection.error("MSH-10 (message control id) is empty");
        }
        return new MessageKey(nonNull(Hl7Fields.get(msh, 4, 1)), nonNull(Hl7Fields.get(msh, 3, 1)), controlId);
    }

    /** Maps {@code message} on its own (no memory), its content hashed from its encoding: for tests and tools. */
    public Result map(Message message) {
        try {
            return map(message, ContentHash.of(message.encode()), PublishedItems.none());
        } catch (HL7Exception e) {
            throw Hl7Rejection.reject("message cannot be encoded: " + e.getMessage());
        }
    }

    /**
     * Maps {@code message}, whose content hash ({@link ContentHash}) is {@code contentHash}, knowing
     * what this adapter published before.
     *
     * @throws Hl7Rejection AE for invalid content, AR for message types not handled
     */
    public Result map(Message message, String contentHash, PublishedItems memory) {
        Segment msh = Hl7Fields.first(message, "MSH");
        String code = Hl7Fields.get(msh, 9, 1);
        String trigger = Hl7Fields.get(msh, 9, 2);
        if (!"ADT".equals(code) || trigger == null) {
            throw Hl7Rejection.reject("message type " + code + "^" + trigger + " is not handled: this listener "
                    + "takes ADT (HL7 v2.5.1 chapter 3)");
        }
        MessageKey key = key(message);
        AdtMessage m = new AdtMessage(message, key, trigger, contentHash, settings);
        Drafts own = new Drafts();
        String note = triggerEvents(m, memory, own);
        Drafts all = new Drafts();
        ownLinks(m, all, own.list);
        all.list.addAll(own.list);
        all.deaths(m, memory);
        List<Mapped> finished = finish(m, all.list, memory);
        if (finished.isEmpty() && note == null) {
            note = "nothing new to publish: what the message states was published before";
        }
        return new Result(key, trigger, finished, finished.isEmpty() ? note : null);
    }

    // ---------------------------------------------------------------- per trigger

    /** Adds the trigger's own events to {@code out}; returns why it has none, when it has none by design. */
    private String triggerEvents(AdtMessage m, PublishedItems memory, Drafts out) {
        String t = m.trigger;
        if (t.equals("A28") || t.equals("A31")) {
            m.patient();
            return "ADT^" + t + " has nothing to publish: PID-3 needs both an NHS number and a local id to link them";
        }
        if (NOTHING_OF_THEIR_OWN.contains(t)) {
            m.patient();
            return "ADT^" + t + " carries nothing for the timeline of its own (see the conformance table); its "
                    + "patient identifiers and death fields were read";
        }
        if (MERGES.contains(t)) {
            AdtIdentities ids = new AdtIdentities(m);
            for (AdtMessage.PatientGroup g : mergeGroups(m)) {
                out.add(ids.merge(g), null);
            }
            return null;
        }
        switch (t) {
            case "A01" -> admit(m, out);
            case "A02" -> transfer(m, out);
            case "A03" -> discharge(m, memory, out);
            case "A04" -> register(m, out);
            case "A05", "A14" -> {
                AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a planned admission");
                out.add(v.plannedAdmission(Action.NEW, null), v.visit);
            }
            case "A06" -> toInpatient(m, memory, out);
            case "A07" -> toOutpatient(m, out);
            case "A08" -> {
                return update(m, memory, out);
            }
            case "A11" -> cancelVisit(m, memory, out);
            case "A12" -> cancelTransfer(m, memory, out);
            case "A13" -> cancelDischarge(m, memory, out);
            case "A17" -> swapBeds(m, out);
            case "A21", "A22" -> leave(m, t.equals("A21"), out);
            case "A23" -> deleteVisit(m, memory, out);
            case "A24" -> {
                List<AdtMessage.PatientGroup> two = twoPatients(m, "a link");
                new AdtIdentities(m).crossLinks(two.get(0), two.get(1)).forEach(e -> out.add(e, null));
            }
            case "A27", "A38" -> {
                AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a cancelled planned admission");
                Optional<PublishedItem> known = memory.item(new PublishedItem.Key(m.odsCode(),
                        CareEventType.APPOINTMENT, v.preAdmitSubject()));
                out.add(v.plannedAdmission(Action.CANCEL, known.map(PublishedItem::occurredAt).orElse(null)), v.visit);
            }
            case "A29" -> {
                Optional<PatientIdentity> cancel = new AdtIdentities(m).deleteLink(m.patient());
                if (cancel.isEmpty()) {
                    return "ADT^A29: PID-3 does not pair an NHS number with a local id: no link to withdraw";
                }
                out.add(cancel.get(), null);
            }
            case "A37" -> unmerge(m, memory, out);
            case "A43" -> {
                AdtIdentities ids = new AdtIdentities(m);
                for (AdtMessage.PatientGroup g : m.patients()) {
                    ids.moveIdentifier(g).ifPresent(e -> out.add(e, null));
                }
            }
            case "A44" -> {
                AdtIdentities ids = new AdtIdentities(m);
                for (AdtMessage.PatientGroup g : mergeGroups(m)) {
                    Segment mrg = g.first("MRG");
                    String account = Hl7Fields.firstNonNull(Hl7Fields.get(mrg, 3), Hl7Fields.get(g.pid(), 18));
                    if (account == null) {
                        throw Hl7Rejection.error("ADT^A44: MRG-3 (prior patient account number) and PID-18 are "
                                + "empty: which account moves?");
                    }
                    out.add(ids.moveVisit(g, mrg, account), null);
                }
            }
            case "A45" -> moveVisits(m, out);
            case "A46", "A47" -> {
                AdtIdentities ids = new AdtIdentities(m);
                for (AdtMessage.PatientGroup g : m.patients()) {
                    ids.changeIdentifiers(g).forEach(e -> out.add(e, null));
                }
                if (out.list.isEmpty()) {
                    return "ADT^" + t + ": PID-3 has no NHS number, or MRG-1 replaces nothing CareTrail keys on";
                }
            }
            case "A52", "A53" -> cancelLeave(m, memory, t.equals("A52"), out);
            case "A54", "A55" -> {
                return consultant(m, memory, out);
            }
            default -> throw Hl7Rejection.reject("ADT^" + t + " is not handled: " + (t.equals("A19")
                    ? "a query (CareTrail answers no queries)"
                    : t.equals("A20") ? "bed status updates name no patient"
                    : "not an ADT trigger event of HL7 v2.5.1") + "; see the conformance table in producers/README.md");
        }
        return null;
    }

    private void admit(AdtMessage m, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "an admission");
        out.add(v.admission(Action.NEW, null), v.visit);
    }

    private void transfer(AdtMessage m, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a transfer");
        Instant when = m.occurredAt(null);
        out.add(v.transfer(Action.NEW, AdtVisitEvents.transferSubject(v.visit, when), when, null), v.visit);
    }

    /** A04: an A&amp;E arrival for PV1-2 = E, an outpatient visit attended otherwise. */
    private void register(AdtMessage m, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a registration");
        if ("E".equals(v.patientClass())) {
            out.add(v.attendance(Action.NEW, null, null, v.departedAt()), v.visit);
        } else {
            out.add(v.outpatientVisit(Action.NEW, null), v.visit);
        }
    }

    /**
     * A03 ends what the visit is: the spell (a Discharge) when this adapter knows an admission for
     * it, else a known A&amp;E attendance (departed, outcome DISCHARGED) or outpatient visit; a visit
     * it does not know is ended by PV1-2 (E, O, else a spell: a patient first seen at discharge).
     */
    private void discharge(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtMessage.PatientGroup g = m.patient();
        AdtVisitEvents v = new AdtVisitEvents(m, g, "a discharge");
        VisitItems items = new VisitItems(memory, m.odsCode(), v.visit);
        Instant when = m.occurredAt(v.departedAt());
        String kind = items.has(CareEventType.ADMISSION) ? "I"
                : items.has(CareEventType.ATTENDANCE) ? "E"
                : items.has(CareEventType.APPOINTMENT) ? "O"
                : v.patientClass();
        if ("E".equals(kind)) {
            out.add(v.attendance(Action.UPDATE, items.occurredAt(CareEventType.ATTENDANCE), "DISCHARGED", when),
                    v.visit);
        } else if ("O".equals(kind)) {
            out.add(v.outpatientVisit(Action.UPDATE, items.occurredAt(CareEventType.APPOINTMENT)), v.visit);
        } else {
            out.add(v.discharge(Action.NEW, v.visit, when, AdtDeaths.died(g), null), v.visit);
        }
    }

    /**
     * A06 (outpatient or A&amp;E patient admitted): the spell starts (Admission NEW, visit PV1-19); an
     * A&amp;E attendance this adapter knows for the prior visit (MRG-5, else the same visit) ends, outcome
     * ADMITTED, at the event time.
     */
    private void toInpatient(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtMessage.PatientGroup g = m.patient();
        AdtVisitEvents v = new AdtVisitEvents(m, g, "a change to inpatient");
        String prior = Hl7Fields.firstNonNull(Hl7Fields.get(g.first("MRG"), 5), v.visit);
        Optional<PublishedItem> attendance = memory.item(new PublishedItem.Key(m.odsCode(),
                CareEventType.ATTENDANCE, prior));
        if (attendance.isPresent() && attendance.get().stated()) {
            out.add(v.attendanceEnded(prior, attendance.get().occurredAt(), m.occurredAt(null)), prior);
        }
        out.add(v.admission(Action.NEW, null), v.visit);
    }

    /**
     * A07 (inpatient becomes an outpatient or A&amp;E patient): the spell (MRG-5, else the visit) ends
     * with discharge method CHANGED_TO_OUTPATIENT, and the visit continues as an A&amp;E attendance
     * (PV1-2 = E) or an outpatient visit.
     */
    private void toOutpatient(AdtMessage m, Drafts out) {
        AdtMessage.PatientGroup g = m.patient();
        AdtVisitEvents v = new AdtVisitEvents(m, g, "a change to outpatient");
        String spell = Hl7Fields.firstNonNull(Hl7Fields.get(g.first("MRG"), 5), v.visit);
        Instant when = m.occurredAt(null);
        out.add(v.discharge(Action.NEW, spell, when, false, "CHANGED_TO_OUTPATIENT"), spell);
        if ("E".equals(v.patientClass())) {
            out.add(v.attendance(Action.NEW, when, null, null), v.visit);
        } else {
            out.add(v.outpatientVisit(Action.NEW, when), v.visit);
        }
    }

    /**
     * A08 updates what the visit is, as this adapter knows it (admission, else A&amp;E attendance, else
     * outpatient visit, else planned admission); a visit it does not know by PV1-2 (E attendance, O
     * outpatient, P planned admission, else an admission: a patient first seen mid-spell). Without a
     * visit number it is a person update (identity only).
     */
    private String update(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtMessage.PatientGroup g = m.patient();
        if (!m.hasVisit(g)) {
            return "ADT^A08 without a visit number is a person update: only its identifiers and death fields "
                    + "are read";
        }
        AdtVisitEvents v = new AdtVisitEvents(m, g, "an update");
        VisitItems items = new VisitItems(memory, m.odsCode(), v.visit);
        String kind = items.has(CareEventType.ADMISSION) ? "I"
                : items.has(CareEventType.ATTENDANCE) ? "E"
                : items.has(CareEventType.APPOINTMENT) ? "O"
                : items.hasPreAdmit(v.preAdmitSubject()) ? "P"
                : v.patientClass();
        switch (kind == null ? "I" : kind) {
            case "E" -> out.add(v.attendance(Action.UPDATE, items.occurredAt(CareEventType.ATTENDANCE), null,
                    v.departedAt()), v.visit);
            case "O" -> out.add(v.outpatientVisit(Action.UPDATE, items.occurredAt(CareEventType.APPOINTMENT)),
                    v.visit);
            case "P" -> {
                if (!v.statesPlannedTime()) {
                    return "ADT^A08 of a planned admission that says nothing of when (PV2-8, EVN-3): nothing to update";
                }
                out.add(v.plannedAdmission(Action.UPDATE, null), v.visit);
            }
            default -> out.add(v.admission(Action.UPDATE, items.occurredAt(CareEventType.ADMISSION)), v.visit);
        }
        return null;
    }

    /**
     * A11 withdraws what the visit is, whatever PV1-2 the cancel carries (Epic sends the class after
     * the cancel): the item this adapter last started for the visit (admission, A&amp;E attendance or
     * outpatient visit); when it knows none, each candidate (a cancel of an item never stated is not
     * shown).
     */
    private void cancelVisit(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a cancellation");
        VisitItems items = new VisitItems(memory, m.odsCode(), v.visit);
        Optional<PublishedItem> latest = items.latestStarted();
        Set<CareEventType> types = latest.isPresent() ? Set.of(latest.get().key().type())
                : Set.of(CareEventType.ADMISSION, CareEventType.ATTENDANCE, CareEventType.APPOINTMENT);
        Instant known = latest.map(PublishedItem::occurredAt).orElse(null);
        if (types.contains(CareEventType.ADMISSION)) {
            out.add(v.admission(Action.CANCEL, known), v.visit);
        }
        if (types.contains(CareEventType.ATTENDANCE)) {
            out.add(v.attendance(Action.CANCEL, known, null, null), v.visit);
        }
        if (types.contains(CareEventType.APPOINTMENT)) {
            out.add(v.outpatientVisit(Action.CANCEL, known), v.visit);
        }
    }

    /**
     * A12 withdraws the transfer EVN-6 names (HL7: for a cancel, the time of the event cancelled);
     * without EVN-6, the spell's latest transfer this adapter published that still stands.
     */
    private void cancelTransfer(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a cancellation");
        Instant cancelled = m.eventOccurred();
        String subject;
        if (cancelled != null) {
            subject = AdtVisitEvents.transferSubject(v.visit, cancelled);
        } else {
            PublishedItem last = new VisitItems(memory, m.odsCode(), v.visit).lastStated("/transfer/").orElseThrow(
                    () -> Hl7Rejection.error("ADT^A12 does not say which transfer of spell " + v.visit + " it "
                            + "cancels: EVN-6 (date/time of the transfer cancelled) is empty and this adapter has "
                            + "published no transfer of that spell that still stands"));
            subject = last.key().subjectId();
            cancelled = last.occurredAt();
        }
        out.add(v.transfer(Action.CANCEL, subject, cancelled, null), v.visit);
    }

    /**
     * A13 withdraws the discharge (the spell is open again); for a visit that is an A&amp;E attendance
     * (known, or PV1-2 = E), the attendance is corrected back to "not departed".
     */
    private void cancelDischarge(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a cancellation");
        VisitItems items = new VisitItems(memory, m.odsCode(), v.visit);
        boolean attendance = !items.has(CareEventType.DISCHARGE) && !items.has(CareEventType.ADMISSION)
                && (items.has(CareEventType.ATTENDANCE) || "E".equals(v.patientClass()));
        if (attendance) {
            out.add(v.attendance(Action.UPDATE, items.occurredAt(CareEventType.ATTENDANCE), null, null), v.visit);
        } else {
            Instant known = items.occurredAt(CareEventType.DISCHARGE);
            out.add(v.discharge(Action.CANCEL, v.visit, known != null ? known : m.occurredAt(null), false, null),
                    v.visit);
        }
    }

    /** A17: two patients swap beds: a transfer for each, to its PV1-3, from its PV1-6 (else the other's PV1-3). */
    private void swapBeds(AdtMessage m, Drafts out) {
        List<AdtMessage.PatientGroup> two = twoPatients(m, "a swap");
        Instant when = m.occurredAt(null);
        for (int i = 0; i < 2; i++) {
            AdtVisitEvents v = new AdtVisitEvents(m, two.get(i), "a swap of beds");
            Segment other = two.get(1 - i).pv1();
            out.add(v.transfer(Action.NEW, AdtVisitEvents.transferSubject(v.visit, when), when, "SWAPPED_BEDS",
                    other), v.visit);
        }
    }

    private void leave(AdtMessage m, boolean out, Drafts drafts) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a leave of absence");
        Instant when = m.occurredAt(null);
        drafts.add(v.leave(out, Action.NEW, v.visit + (out ? "/leave/" : "/return/") + when, when), v.visit);
    }

    /** A52 (cancel leave) / A53 (cancel return): the transfer EVN-6 names, else the latest one this adapter published. */
    private void cancelLeave(AdtMessage m, PublishedItems memory, boolean out, Drafts drafts) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a cancelled leave of absence");
        String part = out ? "/leave/" : "/return/";
        Instant cancelled = m.eventOccurred();
        String subject;
        if (cancelled != null) {
            subject = v.visit + part + cancelled;
        } else {
            PublishedItem last = new VisitItems(memory, m.odsCode(), v.visit).lastStated(part).orElseThrow(
                    () -> Hl7Rejection.error("ADT^" + m.trigger + " does not say which leave of absence of spell "
                            + v.visit + " it cancels: EVN-6 is empty and this adapter has published none"));
            subject = last.key().subjectId();
            cancelled = last.occurredAt();
        }
        drafts.add(v.leave(out, Action.CANCEL, subject, cancelled), v.visit);
    }

    /**
     * A23 deletes the visit: every item of it this adapter published (admission, attendance,
     * appointments, transfers, discharge) is withdrawn; for a visit it does not know, each candidate.
     */
    private void deleteVisit(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtVisitEvents v = new AdtVisitEvents(m, m.patient(), "a deleted visit");
        List<PublishedItem> known = new VisitItems(memory, m.odsCode(), v.visit).stated();
        Instant now = m.occurredAt(null);
        if (known.isEmpty()) {
            out.add(v.admission(Action.CANCEL, null), v.visit);
            out.add(v.attendance(Action.CANCEL, null, null, null), v.visit);
            out.add(v.outpatientVisit(Action.CANCEL, null), v.visit);
            out.add(v.discharge(Action.CANCEL, v.visit, now, false, null), v.visit);
            out.add(v.plannedAdmission(Action.CANCEL, null), v.visit);
            return;
        }
        for (PublishedItem item : known) {
            String subject = item.key().subjectId();
            Instant at = item.occurredAt();
            switch (item.key().type()) {
                case ADMISSION -> out.add(v.admission(Action.CANCEL, at), v.visit);
                case ATTENDANCE -> out.add(v.attendance(Action.CANCEL, at, null, null), v.visit);
                case APPOINTMENT -> out.add(subject.equals(v.preAdmitSubject())
                        ? v.plannedAdmission(Action.CANCEL, at) : v.outpatientVisit(Action.CANCEL, at), v.visit);
                case DISCHARGE -> out.add(v.discharge(Action.CANCEL, v.visit, at, false, null), v.visit);
                case TRANSFER -> out.add(subject.contains("/leave/") || subject.contains("/return/")
                        ? v.leave(subject.contains("/leave/"), Action.CANCEL, subject, at)
                        : v.transfer(Action.CANCEL, subject, at, null), v.visit);
                default -> {
                    // other item types are not visit items
                }
            }
        }
    }

    /** A54/A55: the attending doctor changed (or the change was cancelled): an update of a known admission. */
    private String consultant(AdtMessage m, PublishedItems memory, Drafts out) {
        AdtMessage.PatientGroup g = m.patient();
        if (!m.hasVisit(g)) {
            return "ADT^" + m.trigger + " names no visit: nothing to update";
        }
        AdtVisitEvents v = new AdtVisitEvents(m, g, "a change of attending doctor");
        VisitItems items = new VisitItems(memory, m.odsCode(), v.visit);
        if (!items.has(CareEventType.ADMISSION)) {
            return "ADT^" + m.trigger + ": this adapter knows no admission for visit " + v.visit
                    + " whose consultant could change";
        }
        out.add(v.admission(Action.UPDATE, items.occurredAt(CareEventType.ADMISSION)), v.visit);
        return null;
    }

    /**
     * A37 undoes a merge of one of its two PIDs into the other: the MERGE this adapter published
     * (either way round) is withdrawn; when it knows none, the merge of the second PID into the
     * first (HL7's order), and the reverse (a cancel of a merge never stated changes nothing).
     */
    private void unmerge(AdtMessage m, PublishedItems memory, Drafts out) {
        List<AdtMessage.PatientGroup> two = twoPatients(m, "an unmerge");
        AdtIdentities ids = new AdtIdentities(m);
        List<PatientIdentity> candidates = new ArrayList<>();
        ids.unmerge(two.get(0), two.get(1)).ifPresent(candidates::add);
        ids.unmerge(two.get(1), two.get(0)).ifPresent(candidates::add);
        if (candidates.isEmpty()) {
            throw Hl7Rejection.error("ADT^A37: neither PID carries an NHS number, so neither can be the surviving "
                    + "patient of a merge CareTrail knows");
        }
        List<PatientIdentity> known = candidates.stream().filter(c -> memory.item(PublishedItem.Key.of(c))
                .filter(PublishedItem::stated).isPresent()).toList();
        (known.isEmpty() ? candidates : known).forEach(e -> out.add(e, null));
    }

    /** A45: each MRG/PV1 pair moves one visit (MRG-5, else PV1-19) from MRG-1's patient to PID-3's. */
    private void moveVisits(AdtMessage m, Drafts out) {
        AdtMessage.PatientGroup g = m.patient();
        List<Segment> mrgs = g.all("MRG");
        List<Segment> pv1s = g.all("PV1");
        if (mrgs.isEmpty()) {
            throw Hl7Rejection.error("ADT^A45 has no MRG segment: it must name the patient the visit moves from");
        }
        AdtIdentities ids = new AdtIdentities(m);
        for (int i = 0; i < mrgs.size(); i++) {
            Segment pv1 = i < pv1s.size() ? pv1s.get(i) : null;
            String visit = Hl7Fields.firstNonNull(Hl7Fields.get(mrgs.get(i), 5), Hl7Fields.get(pv1, 19));
            if (visit == null) {
                throw Hl7Rejection.error("ADT^A45: MRG-5 (prior visit number) and PV1-19 are empty: which visit "
                        + "moves?");
            }
            out.add(ids.moveVisit(g, mrgs.get(i), visit), null);
        }
    }

    private static List<AdtMessage.PatientGroup> mergeGroups(AdtMessage m) {
        List<AdtMessage.PatientGroup> groups = m.patients().stream().filter(g -> g.first("MRG") != null).toList();
        if (groups.isEmpty()) {
            m.patient();
            throw Hl7Rejection.error("ADT^" + m.trigger + " has no MRG segment: it must name the patient merged "
                    + "away in MRG-1");
        }
        return groups;
    }

    private static List<AdtMessage.PatientGroup> twoPatients(AdtMessage m, String what) {
        if (m.patients().size() < 2) {
            throw Hl7Rejection.error("ADT^" + m.trigger + " needs two PID segments for " + what + "; it has "
                    + m.patients().size());
        }
        return m.patients().subList(0, 2);
    }

    // ---------------------------------------------------------------- identity links and deaths of every message

    /** A LINK for each PID-3 pairing an NHS number with a local id, unless the trigger withdraws or states it. */
    private static void ownLinks(AdtMessage m, Drafts all, List<Mapped> trigger) {
        if (m.trigger.equals("A29")) {
            return;
        }
        Set<String> stated = new HashSet<>();
        for (Mapped t : trigger) {
            stated.add(PublishedItem.Key.of(t.event()).toString());
        }
        AdtIdentities ids = new AdtIdentities(m);
        for (AdtMessage.PatientGroup g : m.patients()) {
            ids.ownLink(g).filter(link -> !stated.contains(PublishedItem.Key.of(link).toString()))
                    .ifPresent(link -> all.add(link, null));
        }
    }

    // ---------------------------------------------------------------- supersedes and restatements

    /**
     * The last step for every event: name the event it follows ({@code supersedes}: this adapter's
     * last event for the same item), drop restatements of links and deaths already published, and
     * give a LINK its deterministic event id (from the pair, and from the cancel it reinstates).
     */
    private static List<Mapped> finish(AdtMessage m, List<Mapped> drafts, PublishedItems memory) {
        List<Mapped> finished = new ArrayList<>(drafts.size());
        Set<PublishedItem.Key> seen = new HashSet<>();
        for (Mapped d : drafts) {
            PublishedItem.Key key = PublishedItem.Key.of(d.event());
            if (!seen.add(key)) {
                continue;
            }
            EventHeader h = CareEvents.header(d.event());
            Optional<PublishedItem> known = memory.item(key);
            if (d.fingerprint() != null && h.getAction() != Action.CANCEL && known.isPresent()
                    && known.get().stated() && d.fingerprint().equals(known.get().fingerprint())) {
                continue;
            }
            String supersedes = known.map(k -> k.eventId().equals(h.getEventId()) ? k.supersedes() : k.eventId())
                    .orElse(null);
            h.setSupersedes(supersedes);
            if (d.event() instanceof PatientIdentity link && link.getKind() == IdentityKind.LINK
                    && h.getAction() == Action.NEW) {
                String seed = "hl7v2-link|" + m.odsCode() + "|" + PatientIdentifiers.key(link.getLocalId()) + "|"
                        + link.getNhsNumber() + "|" + (supersedes == null ? "" : supersedes);
                h.setEventId(UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString());
            }
            finished.add(d);
        }
        return finished;
    }

    /** Drafts of a message's events, with what the log keeps about each. */
    private static final class Drafts {
        final List<Mapped> list = new ArrayList<>();

        void add(SpecificRecord event, String visit) {
            String fingerprint = event instanceof PatientIdentity p && p.getKind() == IdentityKind.LINK
                    && p.getHeader().getAction() == Action.NEW
                    ? ContentHash.sha256("link|" + p.getNhsNumber()) : null;
            list.add(new Mapped(event, visit, fingerprint));
        }

        void deaths(AdtMessage m, PublishedItems memory) {
            AdtDeaths deaths = new AdtDeaths(m, memory);
            for (AdtMessage.PatientGroup g : m.patients()) {
                deaths.of(g).ifPresent(d -> list.add(new Mapped(d, null,
                        d.getHeader().getAction() == Action.CANCEL ? null : AdtDeaths.fingerprint(d))));
            }
        }
    }

    /** The items this adapter published for one visit. */
    private static final class VisitItems {
        private final List<PublishedItem> items;
        private final String visit;

        VisitItems(PublishedItems memory, String odsCode, String visit) {
            this.items = memory.ofVisit(odsCode, visit);
            this.visit = visit;
        }

        /** Whether the visit itself (its admission, attendance, outpatient visit) or its discharge is known as {@code type}. */
        boolean has(CareEventType type) {
            return items.stream().anyMatch(i -> i.key().type() == type && isVisitItem(i));
        }

        boolean hasPreAdmit(String subject) {
            return items.stream().anyMatch(i -> i.key().type() == CareEventType.APPOINTMENT
                    && i.key().subjectId().equals(subject));
        }

        Instant occurredAt(CareEventType type) {
            return items.stream().filter(i -> i.key().type() == type && isVisitItem(i)).reduce((a, b) -> b)
                    .map(PublishedItem::occurredAt).orElse(null);
        }

        /** The admission, attendance or outpatient visit most recently published that still stands. */
        Optional<PublishedItem> latestStarted() {
            return items.stream().filter(PublishedItem::stated)
                    .filter(i -> i.key().subjectId().equals(visit))
                    .filter(i -> i.key().type() == CareEventType.ADMISSION || i.key().type() == CareEventType.ATTENDANCE
                            || i.key().type() == CareEventType.APPOINTMENT)
                    .max(Comparator.comparing(PublishedItem::publishedAt));
        }

        /** The latest (by clinical time) transfer whose subject contains {@code part} that still stands. */
        Optional<PublishedItem> lastStated(String part) {
            return items.stream().filter(PublishedItem::stated)
                    .filter(i -> i.key().type() == CareEventType.TRANSFER && i.key().subjectId().contains(part))
                    .max(Comparator.comparing(PublishedItem::occurredAt, Comparator.nullsFirst(Comparator.naturalOrder())));
        }

        List<PublishedItem> stated() {
            return items.stream().filter(PublishedItem::stated).toList();
        }

        private boolean isVisitItem(PublishedItem i) {
            String subject = i.key().subjectId();
            return subject.equals(visit) || subject.equals(AdtVisitEvents.dischargeSubject(visit));
        }
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
