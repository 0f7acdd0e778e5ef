package org.caretrail.timeline.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.model.Coding;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.HospitalSpell;
import org.caretrail.events.model.Location;
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
 *         <li>open referrals; current prescriptions; the current medication list ({@link #medicationLines}:
 *             one line per medicine, grouped by dm+d code when present, else by normalised name);
 *         <li>registered GP practice; deceased, when, who recorded it, and activity dated after death.
 *       </ul>
 * </ul>
 * <b>Bounded.</b> Lists keep at most {@link #MAX_LISTED} items (the newest) and say how many they leave out in
 * {@code omitted} (per list name); entries copied into the summary are brief ({@link #brief}: at most
 * {@value #BRIEF_DETAILS} details of {@value #BRIEF_CHARS} characters), so a summary never copies unbounded
 * text. {@link #fitBudget} trims a summary further to a byte budget for a record that must stay small.
 */
public final class TimelineSummaries {

    /** Entry types the views are derived from. */
    public static final Set<EventType> VIEW_TYPES = EnumSet.of(EventType.ADMISSION, EventType.TRANSFER,
            EventType.DISCHARGE, EventType.REFERRAL, EventType.PRESCRIPTION, EventType.GP_REGISTRATION,
            EventType.DEATH);
    /** At most this many spells, open referrals, current prescriptions, medicines and after-death entries. */
    public static final int MAX_LISTED = 50;
    /** Characters kept of each text copied into a summary. */
    public static final int BRIEF_CHARS = 120;
    /** Details kept of each entry copied into a summary. */
    public static final int BRIEF_DETAILS = 16;

    public static final String SPELLS = "spells";
    public static final String OPEN_REFERRALS = "openReferrals";
    public static final String CURRENT_PRESCRIPTIONS = "currentPrescriptions";
    public static final String MEDICATIONS = "medications";
    public static final String ACTIVITY_AFTER_DEATH = "activityAfterDeath";

    private static final Set<String> CLOSED_REFERRAL = Set.of("completed", "complete", "closed", "discharged",
            "cancelled", "rejected", "declined", "seen", "finished");
    private static final Set<String> ENDED_REGISTRATION = Set.of("deregistered", "ended", "removed", "left",
            "inactive", "deducted");

    private static final Comparator<HospitalSpell> SPELL_ORDER = Comparator
            .comparing(HospitalSpell::getAdmittedAt)
            .thenComparing(HospitalSpell::getOdsCode)
            .thenComparing(HospitalSpell::getSpellId);
    private static final Comparator<MedicationLine> MEDICATION_ORDER = Comparator
            .comparing(MedicationLine::getLastIssuedAt)
            .thenComparing(MedicationLine::getLastEntryId);

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
        List<TimelineEntry> current = current(entries);
        s.setFirstOccurredAt(current.isEmpty() ? null : current.get(0).getOccurredAt());
        s.setLastOccurredAt(current.isEmpty() ? null : current.get(current.size() - 1).getOccurredAt());
        deriveViews(s, listSource(entries, admissionSeen), now);
        return s;
    }

    /** As {@link #of(List, Predicate, Instant)}, every admission taken as seen. */
    public static TimelineSummary of(List<TimelineEntry> entries, Instant now) {
        return of(entries, e -> true, now);
    }

    /** A view source over a list of displayed entries. */
    public static ViewSource listSource(List<TimelineEntry> entries, Predicate<TimelineEntry> admissionSeen) {
        List<TimelineEntry> current = current(entries);
        return new ViewSource() {
            @Override
            public Collection<TimelineEntry> itemsOfType(EventType type) {
                return entries.stream().filter(e -> e.getType() == type).toList();
            }

            @Override
            public Collection<TimelineEntry> spellMembers(String odsCode, String spellId) {
                return entries.stream().filter(e -> isSpellMember(e) && e.getSource().getOdsCode().equals(odsCode)
                        && spellId.equals(spellId(e))).toList();
            }

            @Override
            public List<TimelineEntry> entriesAfter(Instant t, int limit) {
                return current.stream().filter(e -> e.getOccurredAt().isAfter(t)).limit(limit).toList();
            }

            @Override
            public boolean admissionSeen(TimelineEntry admission) {
                return admissionSeen.test(admission);
            }
        };
    }

    /** The spell a spell event belongs to: the admission's subjectId, or a transfer's/discharge's spellId. */
    public static String spellId(TimelineEntry e) {
        return e.getType() == EventType.ADMISSION ? e.getSubjectId() : e.getDetails().get("spellId");
    }

    /** True for admissions, transfers and discharges. */
    public static boolean isSpellMember(TimelineEntry e) {
        return e.getType() == EventType.ADMISSION || e.getType() == EventType.TRANSFER
                || e.getType() == EventType.DISCHARGE;
    }

    /**
     * Recomputes every view from scratch (the reference: incremental {@link #update} must always
     * give the same result).
     */
    public static void deriveViews(TimelineSummary s, ViewSource src, Instant now) {
        Map<String, Integer> omitted = new TreeMap<>();
        Listed<HospitalSpell> spells = newest(allSpells(src), MAX_LISTED);
        s.setSpells(spells.items());
        put(omitted, SPELLS, spells.omitted());
        Listed<TimelineEntry> referrals = newest(allOpenReferrals(src), MAX_LISTED);
        s.setOpenReferrals(referrals.items());
        put(omitted, OPEN_REFERRALS, referrals.omitted());
        Listed<TimelineEntry> prescriptions = newest(allCurrentPrescriptions(src, now), MAX_LISTED);
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
                if (after != null && spellId(after) != null) {
                    updateSpell(s, omitted, ods, spellId(after), before, after, src);
                }
                if (before != null && spellId(before) != null
                        && (after == null || !Objects.equals(spellId(before), spellId(after)))) {
                    updateSpell(s, omitted, ods, spellId(before), before, after, src);
                }
            }
            case REFERRAL -> {
                Listed<TimelineEntry> l = maintain(s.getOpenReferrals(), omitted.getOrDefault(OPEN_REFERRALS, 0),
                        member(before, TimelineSummaries::openReferral), member(after, TimelineSummaries::openReferral),
                        TimelineOrder.ORDER, TimelineEntry::getEntryId, () -> allOpenReferrals(src));
                s.setOpenReferrals(l.items());
                put(omitted, OPEN_REFERRALS, l.omitted());
            }
            case PRESCRIPTION -> {
                Predicate<TimelineEntry> isCurrent = p -> currentPrescription(p, now);
                Listed<TimelineEntry> l = maintain(s.getCurrentPrescriptions(),
                        omitted.getOrDefault(CURRENT_PRESCRIPTIONS, 0), member(before, isCurrent),
                        member(after, isCurrent), TimelineOrder.ORDER, TimelineEntry::getEntryId,
                        () -> allCurrentPrescriptions(src, now));
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

    // ---- lists ---------------------------------------------------------------------------------

    /** A bounded list: the newest items kept and how many older ones were left out. */
    private record Listed<T>(List<T> items, int omitted) {
    }

    private static <T> Listed<T> newest(List<T> inOrder, int max) {
        return inOrder.size() <= max ? new Listed<>(List.copyOf(inOrder), 0)
                : new Listed<>(List.copyOf(inOrder.subList(inOrder.size() - max, inOrder.size())),
                        inOrder.size() - max);
    }

    /**
     * A bounded list (newest {@link #MAX_LISTED} kept, {@code omitted} older ones left out) after one member
     * changed from {@code then} to {@code now} (null: not a member). Rescans ({@code all}) only when the list is
     * full and a member leaves or moves.
     */
    private static <T> Listed<T> maintain(List<T> listed, int omitted, T then, T now, Comparator<T> order,
            Function<T, String> id, Supplier<List<T>> all) {
        if (then == null && now == null) {
            return new Listed<>(listed, omitted);
        }
        String key = id.apply(now != null ? now : then);
        int index = -1;
        for (int i = 0; i < listed.size(); i++) {
            if (id.apply(listed.get(i)).equals(key)) {
                index = i;
                break;
            }
        }
        boolean bounded = omitted > 0 || listed.size() >= MAX_LISTED;
        if (!bounded || then == null) {
            // the list holds every member, or a new member joins: add it, keep the newest
            List<T> list = new ArrayList<>(listed);
            if (index >= 0) {
                list.remove(index);
            }
            if (now != null) {
                list.add(now);
            }
            list.sort(order);
            Listed<T> kept = newest(list, MAX_LISTED);
            return new Listed<>(kept.items(), (bounded ? omitted : 0) + kept.omitted());
        }
        if (index < 0) {
            // the member was among those left out
            if (now == null) {
                return new Listed<>(listed, omitted - 1);
            }
            if (!listed.isEmpty() && order.compare(now, listed.get(0)) < 0) {
                return new Listed<>(listed, omitted); // still older than every listed one
            }
            return newest(all.get(), MAX_LISTED);
        }
        if (now != null && order.compare(now, listed.get(index)) == 0) {
            List<T> list = new ArrayList<>(listed);
            list.set(index, now);
            return new Listed<>(List.copyOf(list), omitted);
        }
        return newest(all.get(), MAX_LISTED); // a listed member left or moved: an older one may come back
    }

    private static TimelineEntry member(TimelineEntry e, Predicate<TimelineEntry> belongs) {
        return current(e) && belongs.test(e) ? brief(e) : null;
    }

    private static void put(Map<String, Integer> omitted, String list, int count) {
        if (count > 0) {
            omitted.put(list, count);
        } else {
            omitted.remove(list);
        }
    }

    private static List<TimelineEntry> allOpenReferrals(ViewSource src) {
        return current(src.itemsOfType(EventType.REFERRAL)).stream().filter(TimelineSummaries::openReferral)
                .map(TimelineSummaries::brief).toList();
    }

    private static List<TimelineEntry> allCurrentPrescriptions(ViewSource src, Instant now) {
        return current(src.itemsOfType(EventType.PRESCRIPTION)).stream().filter(p -> currentPrescription(p, now))
                .map(TimelineSummaries::brief).toList();
    }

    // ---- spells --------------------------------------------------------------------------------

    private static List<HospitalSpell> allSpells(ViewSource src) {
        List<TimelineEntry> members = new ArrayList<>();
        members.addAll(src.itemsOfType(EventType.ADMISSION));
        members.addAll(src.itemsOfType(EventType.TRANSFER));
        members.addAll(src.itemsOfType(EventType.DISCHARGE));
        return spells(members, src::admissionSeen);
    }

    private static void updateSpell(TimelineSummary s, Map<String, Integer> omitted, String ods, String spellId,
            TimelineEntry before, TimelineEntry after, ViewSource src) {
        Collection<TimelineEntry> members = src.spellMembers(ods, spellId);
        String changed = (after != null ? after : before).getEntryId();
        List<TimelineEntry> earlier = new ArrayList<>(members.stream()
                .filter(e -> !e.getEntryId().equals(changed)).toList());
        if (before != null && spellId.equals(spellId(before))) {
            earlier.add(before);
        }
        HospitalSpell then = spell(ods, spellId, earlier, src::admissionSeen);
        HospitalSpell now = spell(ods, spellId, members, src::admissionSeen);
        if (then == null && now == null) {
            return;
        }
        Listed<HospitalSpell> l = maintain(s.getSpells(), omitted.getOrDefault(SPELLS, 0), then, now, SPELL_ORDER,
                x -> x.getOdsCode() + "|" + x.getSpellId(), () -> allSpells(src));
        s.setSpells(l.items());
        put(omitted, SPELLS, l.omitted());
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
        spells.sort(SPELL_ORDER);
        return spells;
    }

    /**
     * One spell from its members' displayed entries, or null when there is none: nothing current names it, or
     * its admission was cancelled (the visit did not happen).
     */
    static HospitalSpell spell(String ods, String spellId, Collection<TimelineEntry> members,
            Predicate<TimelineEntry> admissionSeen) {
        List<TimelineEntry> current = current(members);
        TimelineEntry admission = current.stream().filter(e -> e.getType() == EventType.ADMISSION).findFirst()
                .orElse(null);
        boolean admissionCancelled = members.stream()
                .anyMatch(e -> e.getType() == EventType.ADMISSION && withdrawn(e));
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
            spell.setPatientClass(cut(admission.getDetails().get("patientClass")));
        }
        if (discharge != null) {
            spell.setDischargedAt(discharge.getOccurredAt());
            spell.setDischargeDestination(cut(discharge.getDetails().get("destination")));
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
        return new Location(cut(pointOfCare), cut(room), cut(bed), cut(where), cut(building), cut(floor));
    }

    // ---- medication list -------------------------------------------------------------------------

    private static void medications(TimelineSummary s, ViewSource src, Instant now) {
        List<TimelineEntry> prescriptions = s.getOmitted().containsKey(CURRENT_PRESCRIPTIONS)
                ? allCurrentPrescriptions(src, now) : s.getCurrentPrescriptions();
        Listed<MedicationLine> lines = newest(medicationLines(prescriptions), MAX_LISTED);
        s.setMedications(lines.items());
        Map<String, Integer> omitted = new TreeMap<>(s.getOmitted());
        put(omitted, MEDICATIONS, lines.omitted());
        s.setOmitted(omitted);
    }

    /**
     * The current medication list from current prescriptions, issues and dispensings: one line per medicine.
     * Entries are grouped by their dm+d {@code medicationCode} when they carry one, else by normalised name
     * (case, whitespace and punctuation ignored: "Metformin 500 mg" and "metformin 500mg" are one medicine);
     * an uncoded entry whose normalised name is that of a coded one joins the coded line. Each line shows the
     * latest issue's name, dose, time and who issued it, and how many current entries it groups. Ordered by
     * the time of the latest issue.
     */
    public static List<MedicationLine> medicationLines(Collection<TimelineEntry> prescriptions) {
        Map<String, String> codeByName = new HashMap<>();
        for (TimelineEntry p : prescriptions) {
            Coding code = TimelineEntries.coding(p.getDetails().get("medicationCode"));
            if (code != null) {
                codeByName.merge(normalisedName(p), codeKey(code), (a, b) -> a.compareTo(b) <= 0 ? a : b);
            }
        }
        Map<String, List<TimelineEntry>> groups = new TreeMap<>();
        for (TimelineEntry p : prescriptions) {
            Coding code = TimelineEntries.coding(p.getDetails().get("medicationCode"));
            String key = code != null ? codeKey(code)
                    : codeByName.getOrDefault(normalisedName(p), "name|" + normalisedName(p));
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(p);
        }
        List<MedicationLine> lines = new ArrayList<>();
        for (List<TimelineEntry> group : groups.values()) {
            group.sort(TimelineOrder.ORDER);
            TimelineEntry latest = group.get(group.size() - 1);
            Coding code = null;
            for (TimelineEntry p : group) {
                Coding c = TimelineEntries.coding(p.getDetails().get("medicationCode"));
                code = c != null ? c : code;
            }
            Map<String, String> d = latest.getDetails();
            lines.add(MedicationLine.newBuilder()
                    .setMedication(Objects.requireNonNullElse(cut(d.get("medication")), ""))
                    .setCode(code == null ? null : new Coding(cut(code.getSystem()), cut(code.getCode()),
                            cut(code.getDisplay())))
                    .setDose(cut(d.get("dose")))
                    .setLastIssuedAt(latest.getOccurredAt())
                    .setLastIssuedBy(briefSource(latest.getSource()))
                    .setLastEntryId(latest.getEntryId())
                    .setIssues(group.size())
                    .setRepeat(Boolean.parseBoolean(d.get("repeat")))
                    .build());
        }
        lines.sort(MEDICATION_ORDER);
        return lines;
    }

    private static String codeKey(Coding code) {
        return "code|" + code.getSystem() + "|" + code.getCode();
    }

    /** A medicine's name without case, whitespace or punctuation. */
    static String normalisedName(TimelineEntry p) {
        String name = Objects.requireNonNullElse(p.getDetails().get("medication"), "");
        StringBuilder s = new StringBuilder(name.length());
        name.toLowerCase(Locale.ROOT).codePoints().filter(Character::isLetterOrDigit).forEach(s::appendCodePoint);
        return s.toString();
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
            s.setRegisteredPracticeName(cut(latest.getDetails().get("practiceName")));
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
                : cut(source.getName()) + " (" + source.getOdsCode() + ")";
        String person = cut(death.getDetails().get("recordedBy"));
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
            Listed<MedicationLine> lines = newest(medicationLines(stillCurrent), MAX_LISTED);
            copy.setMedications(lines.items());
            Map<String, Integer> omitted = new TreeMap<>(summary.getOmitted());
            put(omitted, MEDICATIONS, lines.omitted());
            copy.setOmitted(omitted);
        }
        return copy;
    }

    /**
     * A copy of {@code summary} no larger than {@code maxBytes} (Avro binary): the oldest items of the largest
     * lists are left out, one at a time, and counted in {@code omitted}. A pure function of the summary.
     */
    public static TimelineSummary fitBudget(TimelineSummary summary, long maxBytes) {
        long size = EncodedSize.of(summary);
        if (size <= maxBytes) {
            return summary;
        }
        TimelineSummary copy = TimelineSummary.newBuilder(summary).build();
        Map<String, List<?>> lists = new LinkedHashMap<>();
        lists.put(OPEN_REFERRALS, new ArrayList<>(copy.getOpenReferrals()));
        lists.put(CURRENT_PRESCRIPTIONS, new ArrayList<>(copy.getCurrentPrescriptions()));
        lists.put(MEDICATIONS, new ArrayList<>(copy.getMedications()));
        lists.put(SPELLS, new ArrayList<>(copy.getSpells()));
        lists.put(ACTIVITY_AFTER_DEATH, new ArrayList<>(copy.getActivityAfterDeath()));
        Map<String, List<Long>> sizes = new LinkedHashMap<>();
        lists.forEach((name, items) -> sizes.put(name, new ArrayList<>(items.stream().map(TimelineSummaries::bytes)
                .toList())));
        Map<String, Integer> omitted = new TreeMap<>(copy.getOmitted());
        while (size > maxBytes) {
            String largest = null;
            long largestBytes = 0;
            for (Map.Entry<String, List<Long>> e : sizes.entrySet()) {
                long total = e.getValue().stream().mapToLong(Long::longValue).sum();
                if (total > largestBytes) {
                    largest = e.getKey();
                    largestBytes = total;
                }
            }
            if (largest == null) {
                break; // nothing left to leave out
            }
            lists.get(largest).remove(0);
            size -= sizes.get(largest).remove(0);
            omitted.merge(largest, 1, Integer::sum);
        }
        copy.setOpenReferrals(cast(lists.get(OPEN_REFERRALS)));
        copy.setCurrentPrescriptions(cast(lists.get(CURRENT_PRESCRIPTIONS)));
        copy.setMedications(cast(lists.get(MEDICATIONS)));
        copy.setSpells(cast(lists.get(SPELLS)));
        copy.setActivityAfterDeath(cast(lists.get(ACTIVITY_AFTER_DEATH)));
        copy.setOmitted(omitted);
        boolean more = lists.values().stream().anyMatch(l -> !l.isEmpty());
        // the sizes of the parts are an estimate of the whole (array lengths are variable-length numbers)
        return more && EncodedSize.of(copy) > maxBytes ? fitBudget(copy, maxBytes) : copy;
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> cast(List<?> list) {
        return (List<T>) list;
    }

    private static long bytes(Object item) {
        if (item instanceof org.apache.avro.generic.IndexedRecord r) {
            return EncodedSize.of(r);
        }
        return String.valueOf(item).length() + 2L;
    }

    // ---- brief copies --------------------------------------------------------------------------------

    /**
     * The copy of an entry a summary keeps: every field, but at most {@value #BRIEF_DETAILS} details (the
     * body's own fields first, then the parts of nested ones, each in name order) of at most
     * {@value #BRIEF_CHARS} characters, and the summary line cut alike.
     */
    public static TimelineEntry brief(TimelineEntry e) {
        Map<String, String> details = new LinkedHashMap<>();
        e.getDetails().keySet().stream()
                .sorted(Comparator.comparing((String k) -> k.contains(".")).thenComparing(Comparator.naturalOrder()))
                .limit(BRIEF_DETAILS)
                .forEach(k -> details.put(k, cut(e.getDetails().get(k))));
        return TimelineEntry.newBuilder(e).setDetails(details).setSummary(cut(e.getSummary()))
                .setSource(briefSource(e.getSource())).build();
    }

    private static Source briefSource(Source s) {
        return new Source(s.getOdsCode(), cut(s.getName()), s.getKind(), cut(s.getSystem()));
    }

    private static String cut(String s) {
        return s == null || s.length() <= BRIEF_CHARS ? s : s.substring(0, BRIEF_CHARS - 1) + "…";
    }

    private static String first(String a, String b) {
        return a != null && !a.isBlank() ? a : b != null && !b.isBlank() ? b : null;
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
