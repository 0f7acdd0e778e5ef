package org.caretrail.timeline.domain;

import org.caretrail.events.AvroTrust;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/**
 * The derived views of a timeline summary (design rule 6), from displayed entries. Pure: the
 * stream processor feeds it from its stores, tests feed it lists.
 *
 * <ul>
 *   <li><b>counts</b> ({@code totalEntries}, {@code currentEntries}, {@code withdrawnEntries},
 *       {@code attendances}, {@code providerKinds}) are kept incrementally with {@link #count};
 *   <li><b>views</b> (hospital spells, open referrals, current prescriptions, registered GP,
 *       deceased and activity after death) are recomputed by {@link #deriveViews} from the entries
 *       of the {@link #VIEW_TYPES}, only when one of those changes or the patient has died.
 * </ul>
 * Lists in the summary keep at most {@link #MAX_LISTED} items (the newest), so the summary stays
 * bounded for a patient with any number of events.
 */
public final class TimelineSummaries {

    /** Entry types the views are derived from. */
    public static final Set<EventType> VIEW_TYPES = EnumSet.of(EventType.ADMISSION, EventType.TRANSFER,
            EventType.DISCHARGE, EventType.REFERRAL, EventType.PRESCRIPTION, EventType.GP_REGISTRATION,
            EventType.DEATH);
    /** At most this many spells, open referrals, current prescriptions and after-death entries. */
    public static final int MAX_LISTED = 50;

    private static final Set<String> CLOSED_REFERRAL = Set.of("completed", "complete", "closed", "discharged",
            "cancelled", "rejected", "declined", "seen", "finished");
    private static final Set<String> ENDED_REGISTRATION = Set.of("deregistered", "ended", "removed", "left",
            "inactive", "deducted");

    static {
        AvroTrust.install(); // the generated model classes are used here before any serde
    }

    private TimelineSummaries() {
    }

    public static TimelineSummary empty() {
        return TimelineSummary.newBuilder().build();
    }

    /**
     * Adjusts the counts for one item's displayed entry changing from {@code before} (null: the
     * item is new) to {@code after}. Exact deltas, so the totals depend only on the final set.
     */
    public static void count(TimelineSummary s, TimelineEntry before, TimelineEntry after) {
        if (before == null) {
            s.setTotalEntries(s.getTotalEntries() + 1);
            ProviderKind kind = after.getSource().getKind();
            if (!s.getProviderKinds().contains(kind)) {
                List<ProviderKind> kinds = new ArrayList<>(s.getProviderKinds());
                kinds.add(kind);
                kinds.sort(null);
                s.setProviderKinds(kinds);
            }
        }
        int currentDelta = (current(after) ? 1 : 0) - (current(before) ? 1 : 0);
        int withdrawnDelta = (withdrawn(after) ? 1 : 0) - (withdrawn(before) ? 1 : 0);
        s.setCurrentEntries(s.getCurrentEntries() + currentDelta);
        s.setWithdrawnEntries(s.getWithdrawnEntries() + withdrawnDelta);
        if (after.getType() == EventType.ATTENDANCE) {
            s.setAttendances(s.getAttendances() + currentDelta);
        }
    }

    /**
     * Recomputes the views into {@code s}.
     *
     * @param itemsOfType the displayed entries (current and withdrawn) of one of the {@link #VIEW_TYPES}
     * @param entriesAfter current entries that occurred after an instant, in timeline order (at most
     *                     {@link #MAX_LISTED} + 1 needed)
     * @param now what "current" means for prescriptions with an end date
     */
    public static void deriveViews(TimelineSummary s, Function<EventType, Collection<TimelineEntry>> itemsOfType,
            Function<Instant, List<TimelineEntry>> entriesAfter, Instant now) {
        s.setSpells(spells(current(itemsOfType.apply(EventType.ADMISSION)),
                current(itemsOfType.apply(EventType.TRANSFER)), current(itemsOfType.apply(EventType.DISCHARGE))));
        s.setOpenReferrals(newest(current(itemsOfType.apply(EventType.REFERRAL)).stream()
                .filter(r -> !CLOSED_REFERRAL.contains(lower(r.getDetails().get("status")))).toList()));
        s.setCurrentPrescriptions(newest(current(itemsOfType.apply(EventType.PRESCRIPTION)).stream()
                .filter(p -> {
                    String endsAt = p.getDetails().get("endsAt");
                    return endsAt == null || Instant.parse(endsAt).isAfter(now);
                }).toList()));
        List<TimelineEntry> registrations = current(itemsOfType.apply(EventType.GP_REGISTRATION));
        TimelineEntry latest = registrations.isEmpty() ? null : registrations.get(registrations.size() - 1);
        if (latest == null || ENDED_REGISTRATION.contains(lower(latest.getDetails().get("status")))) {
            s.setRegisteredPracticeOdsCode(null);
            s.setRegisteredPracticeName(null);
        } else {
            s.setRegisteredPracticeOdsCode(latest.getDetails().get("practiceOdsCode"));
            s.setRegisteredPracticeName(latest.getDetails().get("practiceName"));
        }
        List<TimelineEntry> deaths = current(itemsOfType.apply(EventType.DEATH));
        if (deaths.isEmpty()) {
            s.setDeceased(false);
            s.setDiedAt(null);
            s.setActivityAfterDeath(List.of());
        } else {
            Instant diedAt = deaths.get(0).getOccurredAt();
            s.setDeceased(true);
            s.setDiedAt(diedAt);
            s.setActivityAfterDeath(entriesAfter.apply(diedAt).stream()
                    .filter(e -> e.getType() != EventType.DEATH && current(e))
                    .limit(MAX_LISTED)
                    .map(TimelineEntry::getEntryId)
                    .toList());
        }
    }

    /** Spells from current admissions, transfers and discharges (each in timeline order). */
    static List<HospitalSpell> spells(List<TimelineEntry> admissions, List<TimelineEntry> transfers,
            List<TimelineEntry> discharges) {
        List<HospitalSpell> spells = new ArrayList<>();
        for (TimelineEntry admission : admissions) {
            String ods = admission.getSource().getOdsCode();
            String spellId = admission.getSubjectId();
            HospitalSpell spell = HospitalSpell.newBuilder()
                    .setSpellId(spellId)
                    .setOdsCode(ods)
                    .setSite(admission.getDetails().get("site"))
                    .setAdmittedAt(admission.getOccurredAt())
                    .setCurrentWard(admission.getDetails().get("ward"))
                    .build();
            int count = 0;
            for (TimelineEntry t : transfers) {
                if (inSpell(t, ods, spellId)) {
                    count++;
                    if (t.getDetails().get("toWard") != null) {
                        spell.setCurrentWard(t.getDetails().get("toWard"));
                    }
                    if (t.getDetails().get("toSite") != null) {
                        spell.setSite(t.getDetails().get("toSite"));
                    }
                }
            }
            spell.setTransfers(count);
            TimelineEntry discharge = null;
            for (TimelineEntry d : discharges) {
                if (inSpell(d, ods, spellId)) {
                    discharge = d;
                }
            }
            if (discharge != null) {
                spell.setDischargedAt(discharge.getOccurredAt());
                spell.setDischargeDestination(discharge.getDetails().get("destination"));
                if (discharge.getDetails().get("ward") != null) {
                    spell.setCurrentWard(discharge.getDetails().get("ward"));
                }
            }
            spells.add(spell);
        }
        return newest(spells);
    }

    private static boolean inSpell(TimelineEntry e, String ods, String spellId) {
        return e.getSource().getOdsCode().equals(ods) && spellId.equals(e.getDetails().get("spellId"));
    }

    private static <T> List<T> newest(List<T> inOrder) {
        return inOrder.size() <= MAX_LISTED ? List.copyOf(inOrder)
                : List.copyOf(inOrder.subList(inOrder.size() - MAX_LISTED, inOrder.size()));
    }

    private static List<TimelineEntry> current(Collection<TimelineEntry> entries) {
        return entries.stream().filter(TimelineSummaries::current).sorted(TimelineOrder.ORDER).toList();
    }

    private static boolean current(TimelineEntry e) {
        return e != null && e.getStatus() == EntryStatus.CURRENT;
    }

    private static boolean withdrawn(TimelineEntry e) {
        return e != null && e.getStatus() == EntryStatus.WITHDRAWN;
    }

    private static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }
}
