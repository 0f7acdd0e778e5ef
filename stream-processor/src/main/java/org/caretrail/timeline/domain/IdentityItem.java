package org.caretrail.timeline.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.json.CareEventJson;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;

/**
 * The identity events about one identity, kept as a SET and read with the same rule as care items
 * ({@link Supersession}): a merge is itself an item with versions and corrections.
 *
 * <ul>
 *   <li>For a superseded NHS number (key of {@code timeline-merges}): every MERGE and SUPERSEDE of it, and
 *       their cancellations (HL7 A37 unmerge: {@code header.action = CANCEL}). Whether the number is merged,
 *       and into whom, is the winner of that set ({@link #mergedInto()}): an unmerge that arrives before its
 *       merge, or a merge done again after an unmerge, comes out right in any arrival order.
 *   <li>For a local identifier (key of {@code identity-link-events}): its LINKs (HL7 PID-3 pairs; a CANCEL is
 *       A29 "delete person information") and the MERGEs of it (A40/A34/A36 by hospital number), each read as
 *       its own item: {@link #linkedTo()} and {@link #mergedInto()}.
 * </ul>
 * At most {@value #MAX_EVENTS} events are kept (the oldest superseded ones go first).
 */
public final class IdentityItem {

    public static final int MAX_EVENTS = 32;
    private static final long MAX_BYTES = 256 * 1024;

    /** Deterministic order of content: the event's JSON form (identity events hold no maps or free text worth more). */
    private static final Comparator<PatientIdentity> CONTENT = Comparator.comparing(
            e -> CareEventJson.toJson(e).toString());
    static final Comparator<PatientIdentity> PRECEDENCE = Comparator
            .<PatientIdentity>comparingLong(e -> e.getHeader().getVersion())
            .thenComparing(e -> e.getHeader().getAction() == Action.CANCEL)
            .thenComparing(e -> e.getHeader().getEventId())
            .thenComparing(CONTENT);
    private static final Comparator<PatientIdentity> SAME_EVENT = Comparator
            .<PatientIdentity>comparingLong(e -> e.getHeader().getVersion()).thenComparing(CONTENT);
    static final Supersession.Rules<PatientIdentity> RULES = new Supersession.Rules<>(
            e -> e.getHeader().getEventId(), e -> e.getHeader().getSupersedes(),
            e -> e.getHeader().getAction() == Action.CANCEL, PRECEDENCE, SAME_EVENT,
            Comparator.<PatientIdentity, java.time.Instant>comparing(e -> e.getHeader().getRecordedAt())
                    .thenComparing(PRECEDENCE),
            EncodedSize::of, MAX_EVENTS, MAX_BYTES);

    static {
        AvroTrust.install();
    }

    private final List<PatientIdentity> events;

    private IdentityItem(List<PatientIdentity> events) {
        this.events = List.copyOf(events);
    }

    public static IdentityItem of(Collection<PatientIdentity> events) {
        return new IdentityItem(Supersession.capped(Supersession.distinct(events, RULES), RULES,
                IdentityItem::mustKeep));
    }

    /** The standing merge and link events: never dropped by the cap. */
    private static Collection<PatientIdentity> mustKeep(List<PatientIdentity> events) {
        IdentityItem item = new IdentityItem(events);
        List<PatientIdentity> keep = new ArrayList<>();
        item.mergeWinner().ifPresent(keep::add);
        List<PatientIdentity> links = events.stream().filter(whole(IdentityKind.LINK)).toList();
        if (!links.isEmpty()) {
            keep.add(Supersession.winner(links, RULES));
        }
        return keep;
    }

    /** The item after also seeing {@code event}; {@code this} when its set does not change. */
    public IdentityItem with(PatientIdentity event) {
        List<PatientIdentity> all = new ArrayList<>(events);
        all.add(event);
        IdentityItem next = of(all);
        return next.sameAs(this) ? this : next;
    }

    public List<PatientIdentity> events() {
        return events;
    }

    /** True when it holds no event of {@code kind} that names a visit (a whole-identity event). */
    private static Predicate<PatientIdentity> whole(IdentityKind... kinds) {
        return e -> e.getVisit() == null && List.of(kinds).contains(e.getKind());
    }

    /** The winning whole-identity MERGE/SUPERSEDE event, if any (a CANCEL when undone). */
    public Optional<PatientIdentity> mergeWinner() {
        List<PatientIdentity> merges = events.stream().filter(whole(IdentityKind.MERGE, IdentityKind.SUPERSEDE))
                .toList();
        return merges.isEmpty() ? Optional.empty() : Optional.of(Supersession.winner(merges, RULES));
    }

    /** The NHS number this identity is merged into now: the winning merge's survivor; empty when undone or none. */
    public Optional<String> mergedInto() {
        return mergeWinner().filter(e -> e.getHeader().getAction() != Action.CANCEL)
                .map(e -> NhsNumber.canonicalOrSame(e.getNhsNumber()));
    }

    /** The NHS number the winning LINK names; empty when there is none or it was cancelled (HL7 A29). */
    public Optional<String> linkedTo() {
        List<PatientIdentity> links = events.stream().filter(whole(IdentityKind.LINK)).toList();
        if (links.isEmpty()) {
            return Optional.empty();
        }
        PatientIdentity winner = Supersession.winner(links, RULES);
        return winner.getHeader().getAction() == Action.CANCEL ? Optional.empty()
                : Optional.of(NhsNumber.canonicalOrSame(winner.getNhsNumber()));
    }

    /** The MERGE events of the set (whole and single-visit), in eventId order. */
    public List<PatientIdentity> merges() {
        return events.stream().filter(e -> e.getKind() != IdentityKind.LINK).toList();
    }

    private boolean sameAs(IdentityItem other) {
        if (other.events.size() != events.size()) {
            return false;
        }
        for (int i = 0; i < events.size(); i++) {
            if (RULES.sameEvent().compare(events.get(i), other.events.get(i)) != 0
                    || !events.get(i).getHeader().getEventId().equals(other.events.get(i).getHeader().getEventId())) {
                return false;
            }
        }
        return true;
    }
}
