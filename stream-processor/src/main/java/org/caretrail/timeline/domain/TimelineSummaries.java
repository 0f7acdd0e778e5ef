package org.caretrail.timeline.domain;

import org.caretrail.events.AvroTrust;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
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
 *       deceased and activity after death) are updated by {@link #update} for the one item that
 *       changed (its spell, its list), reading only what that item can affect; {@link #deriveViews}
 *       recomputes them all (the reference).
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
     * The whole summary of a set of displayed entries (current and withdrawn), e.g. a timeline as
     * it was known at some moment: counts, first/last occurredAt of current entries, and the views.
     */
    public static TimelineSummary of(List<TimelineEntry> entries, Instant now) {
        TimelineSummary s = empty();
        for (TimelineEntry e : entries) {
            count(s, null, e);
        }
        List<TimelineEntry> current = current(entries);
        s.setFirstOccurredAt(current.isEmpty() ? null : current.get(0).getOccurredAt());
        s.setLastOccurredAt(current.isEmpty() ? null : current.get(current.size() - 1).getOccurredAt());
        deriveViews(s, new ViewSource() {
            @Override
            public Collection<TimelineEntry> itemsOfType(EventType type) {
                return entries.stream().filter(e -> e.getType() == type).toList();
            }

            @Override
            public Collection<TimelineEntry> spellMembers(String odsCode, String spellId) {
                return entries.stream().filter(e -> e.getSource().getOdsCode().equals(odsCode)
                        && (e.getType() == EventType.ADMISSION || e.getType() == EventType.TRANSFER
                                || e.getType() == EventType.DISCHARGE)
                        && spellId.equals(spellId(e))).toList();
            }

            @Override
            public List<TimelineEntry> entriesAfter(Instant t, int limit) {
                return current.stream().filter(e -> e.getOccurredAt().isAfter(t)).limit(limit).toList();
            }
        }, now);
        return s;
    }

    /** What the views are computed from: the patient's stores, or lists in a test. */
    public interface ViewSource {
        /** Displayed entries (current and withdrawn) of every item of one type. */
        Collection<TimelineEntry> itemsOfType(EventType type);

        /** Displayed entries of the admission, transfers and discharges of one spell. */
        Collection<TimelineEntry> spellMembers(String odsCode, String spellId);

        /** Current entries that occurred after {@code t}, in timeline order, at most {@code limit}. */
        List<TimelineEntry> entriesAfter(Instant t, int limit);
    }

    /** The spell a spell event belongs to: the admission's subjectId, or a transfer's/discharge's spellId. */
    public static String spellId(TimelineEntry e) {
        return e.getType() == EventType.ADMISSION ? e.getSubjectId() : e.getDetails().get("spellId");
    }

    /**
     * Recomputes every view from scratch (the reference: incremental {@link #update} must always
     * give the same result).
     */
    public static void deriveViews(TimelineSummary s, ViewSource src, Instant now) {
        s.setSpells(newest(spells(current(src.itemsOfType(EventType.ADMISSION)),
                current(src.itemsOfType(EventType.TRANSFER)), current(src.itemsOfType(EventType.DISCHARGE))),
                MAX_LISTED));
        s.setOpenReferrals(newest(current(src.itemsOfType(EventType.REFERRAL)).stream()
                .filter(TimelineSummaries::openReferral).toList(), MAX_LISTED));
        s.setCurrentPrescriptions(newest(current(src.itemsOfType(EventType.PRESCRIPTION)).stream()
                .filter(p -> currentPrescription(p, now)).toList(), MAX_LISTED));
        registration(s, src);
        death(s, src);
    }

    /**
     * Updates the views for one item's displayed entry changing from {@code before} (null: new)
     * to {@code after}, touching only what that item can change: its spell, its list, the
     * registration or death views; activity after death whenever the patient has died. Falls back
     * to a scan of one type when a bounded list loses a member (an older one may have to come back).
     */
    public static void update(TimelineSummary s, TimelineEntry before, TimelineEntry after, ViewSource src,
            Instant now) {
        switch (after.getType()) {
            case ADMISSION, TRANSFER, DISCHARGE -> {
                updateSpell(s, after.getSource().getOdsCode(), spellId(after), src);
                if (before != null && !java.util.Objects.equals(spellId(before), spellId(after))) {
                    updateSpell(s, before.getSource().getOdsCode(), spellId(before), src);
                }
            }
            case REFERRAL -> s.setOpenReferrals(updateList(s.getOpenReferrals(), after,
                    e -> current(e) && openReferral(e),
                    () -> current(src.itemsOfType(EventType.REFERRAL)).stream()
                            .filter(TimelineSummaries::openReferral).toList()));
            case PRESCRIPTION -> s.setCurrentPrescriptions(updateList(s.getCurrentPrescriptions(), after,
                    e -> current(e) && currentPrescription(e, now),
                    () -> current(src.itemsOfType(EventType.PRESCRIPTION)).stream()
                            .filter(p -> currentPrescription(p, now)).toList()));
            case GP_REGISTRATION -> registration(s, src);
            case DEATH -> death(s, src);
            default -> {
                // no view of its own
            }
        }
        if (s.getDeceased() && after.getType() != EventType.DEATH) {
            activityAfterDeath(s, src);
        }
    }

    private static final Comparator<HospitalSpell> SPELL_ORDER = Comparator
            .comparing(HospitalSpell::getAdmittedAt)
            .thenComparing(HospitalSpell::getOdsCode)
            .thenComparing(HospitalSpell::getSpellId);

    private static void updateSpell(TimelineSummary s, String ods, String spellId, ViewSource src) {
        if (spellId == null) {
            return;
        }
        Collection<TimelineEntry> members = src.spellMembers(ods, spellId);
        List<TimelineEntry> admissions = current(members.stream()
                .filter(e -> e.getType() == EventType.ADMISSION).toList());
        List<HospitalSpell> computed = spells(admissions,
                current(members.stream().filter(e -> e.getType() == EventType.TRANSFER).toList()),
                current(members.stream().filter(e -> e.getType() == EventType.DISCHARGE).toList()));
        List<HospitalSpell> list = new ArrayList<>(s.getSpells());
        boolean wasFull = list.size() >= MAX_LISTED;
        HospitalSpell old = list.stream().filter(x -> x.getOdsCode().equals(ods) && x.getSpellId().equals(spellId))
                .findFirst().orElse(null);
        if (old != null) {
            list.remove(old);
        }
        HospitalSpell now = computed.isEmpty() ? null : computed.get(0);
        boolean mayNeedOlder = wasFull && old != null
                && (now == null || !now.getAdmittedAt().equals(old.getAdmittedAt()));
        if (mayNeedOlder) {
            s.setSpells(newest(spells(current(src.itemsOfType(EventType.ADMISSION)),
                    current(src.itemsOfType(EventType.TRANSFER)), current(src.itemsOfType(EventType.DISCHARGE))),
                    MAX_LISTED));
            return;
        }
        if (now != null) {
            list.add(now);
        }
        list.sort(SPELL_ORDER);
        s.setSpells(newest(list, MAX_LISTED));
    }

    /** A bounded list of entries (timeline order, newest kept) after one item changed. */
    private static List<TimelineEntry> updateList(List<TimelineEntry> current, TimelineEntry after,
            java.util.function.Predicate<TimelineEntry> belongs, java.util.function.Supplier<List<TimelineEntry>> all) {
        List<TimelineEntry> list = new ArrayList<>(current);
        boolean wasFull = list.size() >= MAX_LISTED;
        TimelineEntry old = list.stream().filter(e -> e.getEntryId().equals(after.getEntryId())).findFirst()
                .orElse(null);
        if (old != null) {
            list.remove(old);
        }
        boolean in = belongs.test(after);
        if (wasFull && old != null && (!in || TimelineOrder.ORDER.compare(old, after) != 0)) {
            return newest(all.get(), MAX_LISTED);
        }
        if (in) {
            list.add(after);
        }
        list.sort(TimelineOrder.ORDER);
        return newest(list, MAX_LISTED);
    }

    private static void registration(TimelineSummary s, ViewSource src) {
        List<TimelineEntry> registrations = current(src.itemsOfType(EventType.GP_REGISTRATION));
        TimelineEntry latest = registrations.isEmpty() ? null : registrations.get(registrations.size() - 1);
        if (latest == null || ENDED_REGISTRATION.contains(lower(latest.getDetails().get("status")))) {
            s.setRegisteredPracticeOdsCode(null);
            s.setRegisteredPracticeName(null);
        } else {
            s.setRegisteredPracticeOdsCode(latest.getDetails().get("practiceOdsCode"));
            s.setRegisteredPracticeName(latest.getDetails().get("practiceName"));
        }
    }

    private static void death(TimelineSummary s, ViewSource src) {
        List<TimelineEntry> deaths = current(src.itemsOfType(EventType.DEATH));
        if (deaths.isEmpty()) {
            s.setDeceased(false);
            s.setDiedAt(null);
            s.setActivityAfterDeath(List.of());
        } else {
            s.setDeceased(true);
            s.setDiedAt(deaths.get(0).getOccurredAt());
            activityAfterDeath(s, src);
        }
    }

    private static void activityAfterDeath(TimelineSummary s, ViewSource src) {
        s.setActivityAfterDeath(src.entriesAfter(s.getDiedAt(), MAX_LISTED + 1).stream()
                .filter(e -> e.getType() != EventType.DEATH && current(e))
                .limit(MAX_LISTED)
                .map(TimelineEntry::getEntryId)
                .toList());
    }

    /**
     * The summary as it stands at {@code at}: a stored summary was computed when its patient's last
     * event was processed, so a prescription whose end has passed since is no longer current.
     * Returns a copy; {@code summary} is not changed.
     */
    public static TimelineSummary at(TimelineSummary summary, Instant at) {
        TimelineSummary copy = TimelineSummary.newBuilder(summary).build();
        copy.setCurrentPrescriptions(summary.getCurrentPrescriptions().stream()
                .filter(p -> currentPrescription(p, at)).toList());
        return copy;
    }

    private static boolean openReferral(TimelineEntry r) {
        return !CLOSED_REFERRAL.contains(lower(r.getDetails().get("status")));
    }

    private static boolean currentPrescription(TimelineEntry p, Instant now) {
        String endsAt = p.getDetails().get("endsAt");
        return endsAt == null || Instant.parse(endsAt).isAfter(now);
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
        spells.sort(SPELL_ORDER);
        return spells;
    }

    private static boolean inSpell(TimelineEntry e, String ods, String spellId) {
        return e.getSource().getOdsCode().equals(ods) && spellId.equals(e.getDetails().get("spellId"));
    }

    private static <T> List<T> newest(List<T> inOrder, int max) {
        return inOrder.size() <= max ? List.copyOf(inOrder)
                : List.copyOf(inOrder.subList(inOrder.size() - max, inOrder.size()));
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
