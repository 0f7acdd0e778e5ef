package org.caretrail.timeline.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.MedicationLine;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/**
 * The derived views of a timeline summary (design rule 6), from displayed entries. Pure: the
 * stream processor feeds it from its stores, tests feed it lists.
 *
 * <ul>
 *   <li><b>counts</b> ({@code totalEntries}, {@code currentEntries}, {@code withdrawnEntries},
 *       {@code attendances}, {@code providerKinds}) are kept incrementally with {@link #count};
 *   <li><b>views</b> are updated by {@link #update} for the one item that changed, reading only what that item
 *       can affect; {@link #deriveViews} recomputes them all (the reference: both always agree):
 *       <ul>
 *         <li>hospital spells: a spell exists from the first message naming it (admission, transfer or
 *             discharge): without its admission it has {@code admissionSeen=false} and {@code admittedAt} is
 *             its earliest member's time; a cancelled admission means no spell; an open spell means "in
 *             hospital now"; {@code location} is where the patient is (or was at discharge): ward, bay, bed,
 *             site of the latest admission, transfer or discharge that says;
 *         <li>open referrals; current prescriptions; the current medication list ({@link MedicationList}:
 *             one line per medicine, grouped by dm+d code when present, else by normalised name);
 *         <li>registered GP practice; deceased, when, who recorded it, and activity dated after death.
 *       </ul>
 * </ul>
 * <b>Bounded.</b> Lists keep at most {@link #MAX_LISTED} items (the newest) and say how many they leave out in
 * {@code omitted} (per list name); entries copied into the summary are brief ({@link SummaryBudget#brief}: at most
 * {@value SummaryBudget#BRIEF_DETAILS} details of {@value SummaryBudget#BRIEF_CHARS} characters), so a summary never
 * copies unbounded text. {@link SummaryBudget#fitBudget} trims a summary further to a byte budget for a record that must stay small.
 */
public final class TimelineSummaries {

    /** Entry types the views are derived from. */
    public static final Set<EventType> VIEW_TYPES = EnumSet.of(EventType.ADMISSION, EventType.TRANSFER,
            EventType.DISCHARGE, EventType.REFERRAL, EventType.PRESCRIPTION, EventType.GP_REGISTRATION,
            EventType.DEATH);
    /** At most this many spells, open referrals, current prescriptions, medicines and after-death entries. */
    public static final int MAX_LISTED = 50;

    public static final String SPELLS = "spells";
    public static final String OPEN_REFERRALS = "openReferrals";
    public static final String CURRENT_PRESCRIPTIONS = "currentPrescriptions";
    public static final String MEDICATIONS = "medications";
    public static final String ACTIVITY_AFTER_DEATH = "activityAfterDeath";

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

    /** What the views are computed from: the patient's stores, or lists in a test. */
    public interface ViewSource {
        /** Displayed entries (current and withdrawn) of every item of one type. */
        Collection<TimelineEntry> itemsOfType(EventType type);

        /** Displayed entries (current and withdrawn) of the admission, transfers and discharges of one spell. */
        Collection<TimelineEntry> spellMembers(String odsCode, String spellId);

        /** Current entries that occurred after {@code t}, in timeline order, at most {@code limit}. */
        List<TimelineEntry> entriesAfter(Instant t, int limit);

        /** How many current entries of the given types occurred after {@code t}. */
        default long countAfter(Instant t, Predicate<EventType> types) {
            return entriesAfter(t, Integer.MAX_VALUE).stream().filter(e -> types.test(e.getType())).count();
        }

        /** True when the admission's NEW event arrived (not only an update of it). */
        default boolean admissionSeen(TimelineEntry admission) {
            return true;
        }

        /** occurredAt of the first current entry in timeline order; null when there is none. */
        default Instant firstOccurredAt() {
            return currentEntries().stream().min(TimelineOrder.ORDER).map(TimelineEntry::getOccurredAt).orElse(null);
        }

        /** occurredAt of the last current entry in timeline order; null when there is none. */
        default Instant lastOccurredAt() {
            return currentEntries().stream().max(TimelineOrder.ORDER).map(TimelineEntry::getOccurredAt).orElse(null);
        }

        private List<TimelineEntry> currentEntries() {
            List<TimelineEntry> all = new ArrayList<>();
            for (EventType type : EventType.values()) {
                all.addAll(itemsOfType(type));
            }
            return current(all);
        }
    }

    /**
     * One item's displayed entry changes from {@code before} (null: new on the timeline) to {@code after} (null:
     * gone from it): the counts ({@link #count}), the views ({@link #update}) and the first and last occurredAt of
     * the current entries, each read from {@code src} (which already shows the change) only where this change can
     * move it. The one incremental step of a summary, for every way a timeline is kept.
     */
    public static void change(TimelineSummary s, TimelineEntry before, TimelineEntry after, ViewSource src,
            Instant now) {
        count(s, before, after);
        update(s, before, after, src, now);
        Instant first = s.getFirstOccurredAt();
        Instant last = s.getLastOccurredAt();
        boolean boundaryLeft = current(before) && (first == null || last == null
                || !before.getOccurredAt().isAfter(first) || !before.getOccurredAt().isBefore(last));
        if (boundaryLeft) {
            s.setFirstOccurredAt(src.firstOccurredAt());
            s.setLastOccurredAt(src.lastOccurredAt());
        } else if (current(after)) {
            Instant at = after.getOccurredAt();
            s.setFirstOccurredAt(first == null || at.isBefore(first) ? at : first);
            s.setLastOccurredAt(last == null || at.isAfter(last) ? at : last);
        }
    }

    /**
     * Adjusts the counts for one item's displayed entry changing from {@code before} (null: the item is new
     * on the timeline) to {@code after} (null: the item left this timeline, e.g. an unmerge moved it away).
     * Exact deltas, so the totals depend only on the final set.
     */
    public static void count(TimelineSummary s, TimelineEntry before, TimelineEntry after) {
        if (before == null && after != null) {
            s.setTotalEntries(s.getTotalEntries() + 1);
            ProviderKind kind = after.getSource().getKind();
            if (!s.getProviderKinds().contains(kind)) {
                List<ProviderKind> kinds = new ArrayList<>(s.getProviderKinds());
                kinds.add(kind);
                kinds.sort(null);
                s.setProviderKinds(kinds);
            }
        } else if (before != null && after == null) {
            s.setTotalEntries(s.getTotalEntries() - 1);
        }
        int currentDelta = (current(after) ? 1 : 0) - (current(before) ? 1 : 0);
        int withdrawnDelta = (withdrawn(after) ? 1 : 0) - (withdrawn(before) ? 1 : 0);
        s.setCurrentEntries(s.getCurrentEntries() + currentDelta);
        s.setWithdrawnEntries(s.getWithdrawnEntries() + withdrawnDelta);
        EventType type = (after != null ? after : before).getType();
        if (type == EventType.ATTENDANCE) {
            s.setAttendances(s.getAttendances() + currentDelta);
        }
    }

    /**
     * The whole summary of a set of displayed entries (current and withdrawn), e.g. a timeline as it was
     * known at some moment: counts, first/last occurredAt of current entries, and the views.
     *
     * @param admissionSeen whether an admission entry's NEW event is known
     */
    public static TimelineSummary of(List<TimelineEntry> entries, Predicate<TimelineEntry> admissionSeen,
            Instant now) {
        TimelineSummary s = empty();
        for (TimelineEntry e : entries) {
            count(s, null, e);
        }
        ViewSource src = listSource(entries, admissionSeen);
        s.setFirstOccurredAt(src.firstOccurredAt());
        s.setLastOccurredAt(src.lastOccurredAt());
        deriveViews(s, src, now);
        return s;
    }

    /** As {@link #of(List, Predicate, Instant)}, every admission taken as seen. */
    public static TimelineSummary of(List<TimelineEntry> entries, Instant now) {
        return of(entries, e -> true, now);
    }

    /** A view source over a list of displayed entries. */
    public static ViewSource listSource(List<TimelineEntry> entries, Predicate<TimelineEntry> admissionSeen) {
        List<TimelineEntry> current = current(entries);
        Map<EventType, List<TimelineEntry>> byType = new java.util.EnumMap<>(EventType.class);
        for (TimelineEntry e : entries) {
            byType.computeIfAbsent(e.getType(), t -> new ArrayList<>()).add(e);
        }
        return new ViewSource() {
            @Override
            public Collection<TimelineEntry> itemsOfType(EventType type) {
                return byType.getOrDefault(type, List.of());
            }

            @Override
            public Collection<TimelineEntry> spellMembers(String odsCode, String spellId) {
                return entries.stream().filter(e -> HospitalSpells.isMember(e) && e.getSource().getOdsCode().equals(odsCode)
                        && spellId.equals(HospitalSpells.spellId(e))).toList();
            }

            @Override
            public List<TimelineEntry> entriesAfter(Instant t, int limit) {
                return current.stream().filter(e -> e.getOccurredAt().isAfter(t)).limit(limit).toList();
            }

            @Override
            public boolean admissionSeen(TimelineEntry admission) {
                return admissionSeen.test(admission);
            }

            @Override
            public Instant firstOccurredAt() {
                return current.isEmpty() ? null : current.get(0).getOccurredAt();
            }

            @Override
            public Instant lastOccurredAt() {
                return current.isEmpty() ? null : current.get(current.size() - 1).getOccurredAt();
            }
        };
    }

    /**
     * Recomputes every view from scratch (the reference: incremental {@link #update} must always
     * give the same result).
     */
    public static void deriveViews(TimelineSummary s, ViewSource src, Instant now) {
        Map<String, Integer> omitted = new TreeMap<>();
        BoundedList<HospitalSpell> spells = BoundedList.newest(allSpells(src), MAX_LISTED);
        s.setSpells(spells.items());
        put(omitted, SPELLS, spells.omitted());
        BoundedList<TimelineEntry> referrals = newestBrief(openReferrals(src));
        s.setOpenReferrals(referrals.items());
        put(omitted, OPEN_REFERRALS, referrals.omitted());
        BoundedList<TimelineEntry> prescriptions = newestBrief(currentPrescriptions(src, now));
        s.setCurrentPrescriptions(prescriptions.items());
        put(omitted, CURRENT_PRESCRIPTIONS, prescriptions.omitted());
        s.setOmitted(omitted);
        medications(s, src, now);
        registration(s, src);
        death(s, src);
    }

    /**
     * Updates the views for one item's displayed entry changing from {@code before} (null: new on the
     * timeline) to {@code after} (null: gone from it), touching only what that item can change: its spell, its
     * list, the registration or death views; activity after death whenever the patient has died. A list that
     * is full is rescanned only when one of its members leaves or moves (an older one may have to come back).
     */
    public static void update(TimelineSummary s, TimelineEntry before, TimelineEntry after, ViewSource src,
            Instant now) {
        TimelineEntry any = after != null ? after : before;
        Map<String, Integer> omitted = new TreeMap<>(s.getOmitted());
        switch (any.getType()) {
            case ADMISSION, TRANSFER, DISCHARGE -> {
                String ods = any.getSource().getOdsCode();
                if (after != null && HospitalSpells.spellId(after) != null) {
                    updateSpell(s, omitted, ods, HospitalSpells.spellId(after), before, after, src);
                }
                if (before != null && HospitalSpells.spellId(before) != null
                        && (after == null || !Objects.equals(HospitalSpells.spellId(before), HospitalSpells.spellId(after)))) {
                    updateSpell(s, omitted, ods, HospitalSpells.spellId(before), before, after, src);
                }
            }
            case REFERRAL -> {
                BoundedList<TimelineEntry> l = BoundedList.maintain(s.getOpenReferrals(), omitted.getOrDefault(OPEN_REFERRALS, 0),
                        member(before, TimelineSummaries::openReferral), member(after, TimelineSummaries::openReferral),
                        TimelineOrder.ORDER, TimelineEntry::getEntryId, () -> allOpenReferrals(src), MAX_LISTED);
                s.setOpenReferrals(l.items());
                put(omitted, OPEN_REFERRALS, l.omitted());
            }
            case PRESCRIPTION -> {
                Predicate<TimelineEntry> isCurrent = p -> currentPrescription(p, now);
                BoundedList<TimelineEntry> l = BoundedList.maintain(s.getCurrentPrescriptions(),
                        omitted.getOrDefault(CURRENT_PRESCRIPTIONS, 0), member(before, isCurrent),
                        member(after, isCurrent), TimelineOrder.ORDER, TimelineEntry::getEntryId,
                        () -> allCurrentPrescriptions(src, now), MAX_LISTED);
                s.setCurrentPrescriptions(l.items());
                put(omitted, CURRENT_PRESCRIPTIONS, l.omitted());
            }
            default -> {
                // no list of its own
            }
        }
        s.setOmitted(omitted);
        switch (any.getType()) {
            case PRESCRIPTION -> medications(s, src, now);
            case GP_REGISTRATION -> registration(s, src);
            case DEATH -> death(s, src);
            default -> {
                // no view of its own
            }
        }
        if (s.getDeceased() && any.getType() != EventType.DEATH) {
            activityAfterDeath(s, src);
        }
        if (after == null) {
            // an item left: the kinds of provider seen are those of what is still here
            Set<ProviderKind> kinds = new TreeSet<>();
            for (EventType type : EventType.values()) {
                src.itemsOfType(type).forEach(e -> kinds.add(e.getSource().getKind()));
            }
            s.setProviderKinds(List.copyOf(kinds));
        }
    }

    private static TimelineEntry member(TimelineEntry e, Predicate<TimelineEntry> belongs) {
        return current(e) && belongs.test(e) ? SummaryBudget.brief(e) : null;
    }

    private static void put(Map<String, Integer> omitted, String list, int count) {
        if (count > 0) {
            omitted.put(list, count);
        } else {
            omitted.remove(list);
        }
    }

    private static List<TimelineEntry> allOpenReferrals(ViewSource src) {
        return openReferrals(src).stream().map(SummaryBudget::brief).toList();
    }

    private static List<TimelineEntry> allCurrentPrescriptions(ViewSource src, Instant now) {
        return currentPrescriptions(src, now).stream().map(SummaryBudget::brief).toList();
    }

    private static List<TimelineEntry> openReferrals(ViewSource src) {
        return current(src.itemsOfType(EventType.REFERRAL)).stream().filter(TimelineSummaries::openReferral).toList();
    }

    private static List<TimelineEntry> currentPrescriptions(ViewSource src, Instant now) {
        return current(src.itemsOfType(EventType.PRESCRIPTION)).stream().filter(p -> currentPrescription(p, now))
                .toList();
    }

    /** The newest {@value #MAX_LISTED} of {@code inOrder}, each brief (as {@link BoundedList#newest}, briefed after). */
    private static BoundedList<TimelineEntry> newestBrief(List<TimelineEntry> inOrder) {
        BoundedList<TimelineEntry> kept = BoundedList.newest(inOrder, MAX_LISTED);
        return new BoundedList<>(kept.items().stream().map(SummaryBudget::brief).toList(), kept.omitted());
    }

    // ---- spells --------------------------------------------------------------------------------

    private static List<HospitalSpell> allSpells(ViewSource src) {
        List<TimelineEntry> members = new ArrayList<>();
        members.addAll(src.itemsOfType(EventType.ADMISSION));
        members.addAll(src.itemsOfType(EventType.TRANSFER));
        members.addAll(src.itemsOfType(EventType.DISCHARGE));
        return HospitalSpells.spells(members, src::admissionSeen);
    }

    private static void updateSpell(TimelineSummary s, Map<String, Integer> omitted, String ods, String spellId,
            TimelineEntry before, TimelineEntry after, ViewSource src) {
        Collection<TimelineEntry> members = src.spellMembers(ods, spellId);
        String changed = (after != null ? after : before).getEntryId();
        List<TimelineEntry> earlier = new ArrayList<>(members.stream()
                .filter(e -> !e.getEntryId().equals(changed)).toList());
        if (before != null && spellId.equals(HospitalSpells.spellId(before))) {
            earlier.add(before);
        }
        HospitalSpell then = HospitalSpells.spell(ods, spellId, earlier, src::admissionSeen);
        HospitalSpell now = HospitalSpells.spell(ods, spellId, members, src::admissionSeen);
        if (then == null && now == null) {
            return;
        }
        BoundedList<HospitalSpell> l = BoundedList.maintain(s.getSpells(), omitted.getOrDefault(SPELLS, 0), then, now, HospitalSpells.ORDER,
                x -> x.getOdsCode() + "|" + x.getSpellId(), () -> allSpells(src), MAX_LISTED);
        s.setSpells(l.items());
        put(omitted, SPELLS, l.omitted());
    }

    // ---- medication list -------------------------------------------------------------------------

    private static void medications(TimelineSummary s, ViewSource src, Instant now) {
        List<TimelineEntry> prescriptions = s.getOmitted().containsKey(CURRENT_PRESCRIPTIONS)
                ? allCurrentPrescriptions(src, now) : s.getCurrentPrescriptions();
        BoundedList<MedicationLine> lines = BoundedList.newest(MedicationList.lines(prescriptions), MAX_LISTED);
        s.setMedications(lines.items());
        Map<String, Integer> omitted = new TreeMap<>(s.getOmitted());
        put(omitted, MEDICATIONS, lines.omitted());
        s.setOmitted(omitted);
    }

    // ---- registration, death ---------------------------------------------------------------------

    private static void registration(TimelineSummary s, ViewSource src) {
        List<TimelineEntry> registrations = current(src.itemsOfType(EventType.GP_REGISTRATION));
        TimelineEntry latest = registrations.isEmpty() ? null : registrations.get(registrations.size() - 1);
        if (latest == null || ENDED_REGISTRATION.contains(lower(latest.getDetails().get("status")))) {
            s.setRegisteredPracticeOdsCode(null);
            s.setRegisteredPracticeName(null);
        } else {
            s.setRegisteredPracticeOdsCode(latest.getDetails().get("practiceOdsCode"));
            s.setRegisteredPracticeName(SummaryBudget.cut(latest.getDetails().get("practiceName")));
        }
    }

    private static void death(TimelineSummary s, ViewSource src) {
        List<TimelineEntry> deaths = current(src.itemsOfType(EventType.DEATH));
        if (deaths.isEmpty()) {
            s.setDeceased(false);
            s.setDiedAt(null);
            s.setDeathRecordedBy(null);
            s.setActivityAfterDeath(List.of());
            Map<String, Integer> omitted = new TreeMap<>(s.getOmitted());
            omitted.remove(ACTIVITY_AFTER_DEATH);
            s.setOmitted(omitted);
        } else {
            TimelineEntry death = deaths.get(0);
            s.setDeceased(true);
            s.setDiedAt(death.getOccurredAt());
            s.setDeathRecordedBy(recordedBy(death));
            activityAfterDeath(s, src);
        }
    }

    /** Who recorded a death: the practitioner or role where the source says, and the organisation. */
    static String recordedBy(TimelineEntry death) {
        Source source = death.getSource();
        String organisation = source.getName() == null ? source.getOdsCode()
                : SummaryBudget.cut(source.getName()) + " (" + source.getOdsCode() + ")";
        String person = SummaryBudget.cut(death.getDetails().get("recordedBy"));
        return person == null || person.isBlank() ? organisation : person + ", " + organisation;
    }

    private static void activityAfterDeath(TimelineSummary s, ViewSource src) {
        List<String> ids = src.entriesAfter(s.getDiedAt(), MAX_LISTED + 1).stream()
                .filter(e -> e.getType() != EventType.DEATH && current(e))
                .limit(MAX_LISTED)
                .map(TimelineEntry::getEntryId)
                .toList();
        s.setActivityAfterDeath(ids);
        Map<String, Integer> omitted = new TreeMap<>(s.getOmitted());
        int left = ids.size() < MAX_LISTED ? 0
                : (int) Math.max(0, src.countAfter(s.getDiedAt(), t -> t != EventType.DEATH) - MAX_LISTED);
        put(omitted, ACTIVITY_AFTER_DEATH, left);
        s.setOmitted(omitted);
    }

    // ---- reading -----------------------------------------------------------------------------------

    /**
     * The summary as it stands at {@code at}: a stored summary was computed when its patient's last
     * event was processed, so a prescription whose end has passed since is no longer current (and leaves the
     * medication list, when the summary holds every current prescription). Returns a copy.
     */
    public static TimelineSummary at(TimelineSummary summary, Instant at) {
        TimelineSummary copy = TimelineSummary.newBuilder(summary).build();
        List<TimelineEntry> stillCurrent = summary.getCurrentPrescriptions().stream()
                .filter(p -> currentPrescription(p, at)).toList();
        copy.setCurrentPrescriptions(stillCurrent);
        if (!summary.getOmitted().containsKey(CURRENT_PRESCRIPTIONS)
                && stillCurrent.size() != summary.getCurrentPrescriptions().size()) {
            BoundedList<MedicationLine> lines = BoundedList.newest(MedicationList.lines(stillCurrent), MAX_LISTED);
            copy.setMedications(lines.items());
            Map<String, Integer> omitted = new TreeMap<>(summary.getOmitted());
            put(omitted, MEDICATIONS, lines.omitted());
            copy.setOmitted(omitted);
        }
        return copy;
    }

    // ---- predicates ----------------------------------------------------------------------------------

    private static boolean openReferral(TimelineEntry r) {
        return !CLOSED_REFERRAL.contains(lower(r.getDetails().get("status")));
    }

    private static boolean currentPrescription(TimelineEntry p, Instant now) {
        String endsAt = p.getDetails().get("endsAt");
        return endsAt == null || Instant.parse(endsAt).isAfter(now);
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
