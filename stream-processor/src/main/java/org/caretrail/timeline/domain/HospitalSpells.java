package org.caretrail.timeline.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.Location;
import org.caretrail.events.model.TimelineEntry;

/**
 * Hospital spells (admission → transfers → discharge) from the displayed entries of their members.
 * <ul>
 *   <li>A spell exists from the first message naming it (an admission, a transfer or a discharge whose
 *       {@code spellId} is the admission's subjectId): a feed that starts mid-stay, or a lost A01, still shows
 *       the patient in hospital. Until its admission arrives it has {@code admissionSeen=false} and
 *       {@code admittedAt} is its earliest member's time; an admission known only from an update (HL7 A08) is
 *       not seen either.
 *   <li>A cancelled admission (withdrawn, e.g. HL7 A11) means the visit did not happen: no spell.
 *   <li>A discharge closes it; an open spell means "in hospital now".
 *   <li>{@code location} is where the patient is, or was at discharge: ward, bay, bed, site of the latest of the
 *       admission, the transfers (in timeline order) and the discharge that say; {@code currentWard} its ward.
 * </ul>
 */
public final class HospitalSpells {

    /** Oldest first. */
    static final Comparator<HospitalSpell> ORDER = Comparator
            .comparing(HospitalSpell::getAdmittedAt)
            .thenComparing(HospitalSpell::getOdsCode)
            .thenComparing(HospitalSpell::getSpellId);

    private HospitalSpells() {
    }

    /** The spell an entry belongs to: the admission's subjectId, or a transfer's/discharge's spellId. */
    public static String spellId(TimelineEntry e) {
        return e.getType() == EventType.ADMISSION ? e.getSubjectId() : e.getDetails().get("spellId");
    }

    /** True for admissions, transfers and discharges. */
    public static boolean isMember(TimelineEntry e) {
        return e.getType() == EventType.ADMISSION || e.getType() == EventType.TRANSFER
                || e.getType() == EventType.DISCHARGE;
    }

    /** Spells from the displayed admissions, transfers and discharges (any spells, any status), oldest first. */
    public static List<HospitalSpell> spells(Collection<TimelineEntry> members,
            Predicate<TimelineEntry> admissionSeen) {
        Map<String, List<TimelineEntry>> bySpell = new TreeMap<>();
        for (TimelineEntry e : members) {
            String spellId = spellId(e);
            if (spellId != null) {
                bySpell.computeIfAbsent(e.getSource().getOdsCode() + "|" + spellId, k -> new ArrayList<>()).add(e);
            }
        }
        List<HospitalSpell> spells = new ArrayList<>();
        bySpell.values().forEach(group -> {
            TimelineEntry first = group.get(0);
            HospitalSpell spell = spell(first.getSource().getOdsCode(), spellId(first), group, admissionSeen);
            if (spell != null) {
                spells.add(spell);
            }
        });
        spells.sort(ORDER);
        return spells;
    }

    /**
     * One spell from its members' displayed entries, or null when there is none: nothing current names it, or
     * its admission was cancelled.
     */
    static HospitalSpell spell(String ods, String spellId, Collection<TimelineEntry> members,
            Predicate<TimelineEntry> admissionSeen) {
        List<TimelineEntry> current = members.stream().filter(e -> e.getStatus() == EntryStatus.CURRENT)
                .sorted(TimelineOrder.ORDER).toList();
        TimelineEntry admission = current.stream().filter(e -> e.getType() == EventType.ADMISSION).findFirst()
                .orElse(null);
        boolean admissionCancelled = members.stream()
                .anyMatch(e -> e.getType() == EventType.ADMISSION && e.getStatus() == EntryStatus.WITHDRAWN);
        if (current.isEmpty() || (admission == null && admissionCancelled)) {
            return null;
        }
        HospitalSpell spell = HospitalSpell.newBuilder()
                .setSpellId(spellId)
                .setOdsCode(ods)
                .setAdmittedAt(admission != null ? admission.getOccurredAt() : current.get(0).getOccurredAt())
                .setAdmissionSeen(admission != null && admissionSeen.test(admission))
                .build();
        List<TimelineEntry> walk = new ArrayList<>();
        if (admission != null) {
            walk.add(admission);
        }
        current.stream().filter(e -> e.getType() == EventType.TRANSFER).forEach(walk::add);
        TimelineEntry discharge = null;
        for (TimelineEntry e : current) {
            if (e.getType() == EventType.DISCHARGE) {
                discharge = e;
            }
        }
        if (discharge != null) {
            walk.add(discharge);
        }
        for (TimelineEntry e : walk) {
            Map<String, String> d = e.getDetails();
            Location where = switch (e.getType()) {
                case ADMISSION -> location(d, "location", d.get("ward"), d.get("site"));
                case TRANSFER -> location(d, "toLocation", d.get("toWard"), d.get("toSite"));
                default -> location(d, "location", d.get("ward"), null);
            };
            if (where != null) {
                spell.setLocation(where);
                if (where.getPointOfCare() != null) {
                    spell.setCurrentWard(where.getPointOfCare());
                }
                if (e.getType() != EventType.DISCHARGE && where.getSite() != null) {
                    spell.setSite(where.getSite());
                }
            }
        }
        spell.setTransfers((int) current.stream().filter(e -> e.getType() == EventType.TRANSFER).count());
        if (admission != null) {
            spell.setPatientClass(SummaryBudget.cut(admission.getDetails().get("patientClass")));
        }
        if (discharge != null) {
            spell.setDischargedAt(discharge.getOccurredAt());
            spell.setDischargeDestination(SummaryBudget.cut(discharge.getDetails().get("destination")));
        }
        return spell;
    }

    /** A location from the details {@code prefix.*}, falling back to a plain ward and site; null when none. */
    static Location location(Map<String, String> d, String prefix, String ward, String site) {
        String pointOfCare = first(d.get(prefix + ".pointOfCare"), ward);
        String room = d.get(prefix + ".room");
        String bed = d.get(prefix + ".bed");
        String where = first(d.get(prefix + ".site"), site);
        String building = d.get(prefix + ".building");
        String floor = d.get(prefix + ".floor");
        if (pointOfCare == null && room == null && bed == null && where == null && building == null
                && floor == null) {
            return null;
        }
        return new Location(SummaryBudget.cut(pointOfCare), SummaryBudget.cut(room), SummaryBudget.cut(bed),
                SummaryBudget.cut(where), SummaryBudget.cut(building), SummaryBudget.cut(floor));
    }

    private static String first(String a, String b) {
        return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
    }
}
