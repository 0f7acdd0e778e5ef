package org.caretrail.producers.hl7;

import ca.uhn.hl7v2.model.Segment;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.PatientRef;

/**
 * The identity events ADT messages carry ({@code care.patient-identities}):
 *
 * <ul>
 *   <li><b>LINK</b> {@code identity/<system>|<id>}: every PID-3 that pairs an NHS number with a local
 *       id (any trigger); A24 links the two PIDs it names; A43 moves MRG-1's local id to PID-3's
 *       patient; A29 withdraws PID-3's link (CANCEL).</li>
 *   <li><b>MERGE</b> {@code merge/<system>|<id>} (or {@code merge/nhs|<number>} when MRG-1 has no
 *       local id): A40, A34, A36, A39, A30, A18 — PID-3 survives (it must carry the NHS number), MRG-1 is
 *       merged away: its local id, and its NHS number when it differs. By hospital number alone
 *       (MRG-1 = MRN only, the usual NHS form) the MERGE carries only the retiring local id; the
 *       stream processor moves whatever that MRN is linked to. A37 (unlink/unmerge) withdraws the
 *       merge (CANCEL of the same item).</li>
 *   <li><b>MERGE of one visit</b> {@code move/<visit>/<system>|<id>}: A44 (move account, visit =
 *       MRG-3 else PID-18) and A45 (move visit, visit = MRG-5 else PV1-19) move only that visit's
 *       entries to PID-3's patient.</li>
 *   <li><b>SUPERSEDE</b> {@code supersede/nhs|<old number>}: A47/A46 when MRG-1's NHS number is
 *       replaced by PID-3's; a replaced local id is merged into the patient (its events follow).</li>
 * </ul>
 */
final class AdtIdentities {

    private final AdtMessage m;

    AdtIdentities(AdtMessage m) {
        this.m = m;
    }

    static String linkSubject(LocalIdentifier local) {
        return "identity/" + PatientIdentifiers.key(local);
    }

    static String mergeSubject(LocalIdentifier retiredLocal, String retiredNhs) {
        return "merge/" + (retiredLocal != null ? PatientIdentifiers.key(retiredLocal) : "nhs|" + retiredNhs);
    }

    /** The LINK PID-3 of {@code g} states, when it pairs an NHS number with a local id. */
    Optional<PatientIdentity> ownLink(AdtMessage.PatientGroup g) {
        PatientRef ref = PatientIdentifiers.of(g.pid(), 3, "PID-3");
        if (ref.getNhsNumber() == null || ref.getLocalId() == null) {
            return Optional.empty();
        }
        return Optional.of(link(g, Action.NEW, ref.getNhsNumber(), ref.getLocalId(), ref));
    }

    /** A LINK (or its CANCEL) of {@code local} to {@code nhs}. */
    PatientIdentity link(AdtMessage.PatientGroup g, Action action, String nhs, LocalIdentifier local, PatientRef about) {
        return identity(g, action, IdentityKind.LINK, linkSubject(local), nhs, local, null, null, about);
    }

    /** A24: the two PIDs are one patient; each local id is linked to the other's NHS number. */
    List<PatientIdentity> crossLinks(AdtMessage.PatientGroup first, AdtMessage.PatientGroup second) {
        PatientRef a = m.patientRef(first);
        PatientRef b = m.patientRef(second);
        List<PatientIdentity> links = new ArrayList<>();
        if (a.getNhsNumber() != null && b.getLocalId() != null && !b.getLocalId().equals(a.getLocalId())) {
            links.add(link(second, Action.NEW, a.getNhsNumber(), b.getLocalId(), b));
        }
        if (b.getNhsNumber() != null && a.getLocalId() != null && !a.getLocalId().equals(b.getLocalId())) {
            links.add(link(first, Action.NEW, b.getNhsNumber(), a.getLocalId(), a));
        }
        return links;
    }

    /** A43: MRG-1's local id now belongs to PID-3's patient. */
    Optional<PatientIdentity> moveIdentifier(AdtMessage.PatientGroup g) {
        PatientRef survivor = m.patientRef(g);
        PatientRef moved = PatientIdentifiers.of(mrg(g), 1, "MRG-1");
        if (survivor.getNhsNumber() == null || moved.getLocalId() == null) {
            return Optional.empty();
        }
        return Optional.of(link(g, Action.NEW, survivor.getNhsNumber(), moved.getLocalId(), survivor));
    }

    /** A40 and its kin: PID-3 survives, MRG-1 is merged away. */
    PatientIdentity merge(AdtMessage.PatientGroup g) {
        Merge merge = mergeOf(g, "a merge");
        return identity(g, Action.NEW, IdentityKind.MERGE, mergeSubject(merge.retiredLocal, merge.retiredNhs),
                merge.survivorNhs, merge.retiredLocal, merge.retiredNhs, null, merge.survivor);
    }

    /** A44 / A45: only {@code visit}'s entries move from MRG-1's patient to PID-3's. */
    PatientIdentity moveVisit(AdtMessage.PatientGroup g, Segment mrg, String visit) {
        Merge merge = mergeOf(g, mrg, "a move of " + visit);
        String from = merge.retiredLocal != null ? PatientIdentifiers.key(merge.retiredLocal)
                : "nhs|" + merge.retiredNhs;
        return identity(g, Action.NEW, IdentityKind.MERGE, "move/" + visit + "/" + from, merge.survivorNhs,
                merge.retiredLocal, merge.retiredNhs, visit, merge.survivor);
    }

    /**
     * A37: the merge of one PID into the other is undone: a CANCEL of the MERGE item, for the
     * orientation {@code survivor} ← {@code retired}; empty when the survivor has no NHS number.
     */
    Optional<PatientIdentity> unmerge(AdtMessage.PatientGroup survivorGroup, AdtMessage.PatientGroup retiredGroup) {
        PatientRef survivor = m.patientRef(survivorGroup);
        PatientRef retired = m.patientRef(retiredGroup);
        if (survivor.getNhsNumber() == null) {
            return Optional.empty();
        }
        String retiredNhs = Objects.equals(survivor.getNhsNumber(), retired.getNhsNumber()) ? null
                : retired.getNhsNumber();
        if (retired.getLocalId() == null && retiredNhs == null) {
            return Optional.empty();
        }
        return Optional.of(identity(survivorGroup, Action.CANCEL, IdentityKind.MERGE,
                mergeSubject(retired.getLocalId(), retiredNhs), survivor.getNhsNumber(), retired.getLocalId(),
                retiredNhs, null, survivor));
    }

    /**
     * A47 (and A46): MRG-1 names the identifiers PID-3 replaces. A replaced NHS number is a
     * SUPERSEDE; a replaced local id is merged into the patient (so its events follow); the new
     * local id's LINK is PID-3's own link.
     */
    List<PatientIdentity> changeIdentifiers(AdtMessage.PatientGroup g) {
        PatientRef now = m.patientRef(g);
        PatientRef before = PatientIdentifiers.of(mrg(g), 1, "MRG-1");
        if (now.getNhsNumber() == null) {
            return List.of();
        }
        List<PatientIdentity> events = new ArrayList<>();
        if (before.getNhsNumber() != null && !before.getNhsNumber().equals(now.getNhsNumber())) {
            events.add(identity(g, Action.NEW, IdentityKind.SUPERSEDE, "supersede/nhs|" + before.getNhsNumber(),
                    now.getNhsNumber(), null, before.getNhsNumber(), null, now));
        }
        if (before.getLocalId() != null && !before.getLocalId().equals(now.getLocalId())) {
            events.add(identity(g, Action.NEW, IdentityKind.MERGE, mergeSubject(before.getLocalId(), null),
                    now.getNhsNumber(), before.getLocalId(), null, null, now));
        }
        return events;
    }

    /** A29: delete person information: PID-3's link is withdrawn. */
    Optional<PatientIdentity> deleteLink(AdtMessage.PatientGroup g) {
        PatientRef ref = m.patientRef(g);
        if (ref.getNhsNumber() == null || ref.getLocalId() == null) {
            return Optional.empty();
        }
        return Optional.of(link(g, Action.CANCEL, ref.getNhsNumber(), ref.getLocalId(), ref));
    }

    // ---------------------------------------------------------------- helpers

    private record Merge(PatientRef survivor, String survivorNhs, LocalIdentifier retiredLocal, String retiredNhs) {
    }

    private Merge mergeOf(AdtMessage.PatientGroup g, String what) {
        return mergeOf(g, mrg(g), what);
    }

    private Merge mergeOf(AdtMessage.PatientGroup g, Segment mrg, String what) {
        PatientRef survivor = m.patientRef(g);
        if (survivor.getNhsNumber() == null) {
            throw Hl7Rejection.error("ADT^" + m.trigger + ": PID-3 has no NHS number for the surviving patient; "
                    + "CareTrail merges identities into an NHS number");
        }
        PatientRef prior = PatientIdentifiers.of(mrg, 1, "MRG-1");
        if (prior.getNhsNumber() == null && prior.getLocalId() == null) {
            throw Hl7Rejection.error("ADT^" + m.trigger + ": MRG-1 (prior patient identifier list) is empty: "
                    + what + " needs the identity it retires");
        }
        String retiredNhs = survivor.getNhsNumber().equals(prior.getNhsNumber()) ? null : prior.getNhsNumber();
        if (retiredNhs == null && prior.getLocalId() == null) {
            throw Hl7Rejection.error("ADT^" + m.trigger + ": MRG-1 names the surviving NHS number itself and no "
                    + "local id: nothing to merge");
        }
        return new Merge(survivor, survivor.getNhsNumber(), prior.getLocalId(), retiredNhs);
    }

    private Segment mrg(AdtMessage.PatientGroup g) {
        Segment mrg = g.first("MRG");
        if (mrg == null) {
            throw Hl7Rejection.error("ADT^" + m.trigger + " has no MRG segment: it must name the patient merged "
                    + "away (or the identifiers replaced) in MRG-1");
        }
        return mrg;
    }

    private PatientIdentity identity(AdtMessage.PatientGroup g, Action action, IdentityKind kind, String subject,
                                     String nhsNumber, LocalIdentifier local, String superseded, String visit,
                                     PatientRef about) {
        String birth = Hl7Fields.get(g.pid(), 7);
        LocalDate birthDate = birth == null ? null : Hl7Time.parseDate(birth, "PID-7 (date of birth)");
        return PatientIdentity.newBuilder()
                .setHeader(m.header(CareEventType.PATIENT_IDENTITY, action, subject, m.occurredAt(null), about,
                        g.sensitivity()))
                .setKind(kind)
                .setNhsNumber(nhsNumber)
                .setLocalId(local)
                .setSupersededNhsNumber(superseded)
                .setFamilyName(Hl7Fields.get(g.pid(), 5, 1))
                .setGivenName(Hl7Fields.get(g.pid(), 5, 2))
                .setBirthDate(birthDate)
                .setPostcode(Hl7Fields.get(g.pid(), 11, 5))
                .setVisit(visit)
                .build();
    }
}
