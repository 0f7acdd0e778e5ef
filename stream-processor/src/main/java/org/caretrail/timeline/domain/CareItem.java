package org.caretrail.timeline.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.caretrail.events.AvroTrust;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineEntry;

/**
 * What is known about one care item ({@code EventType, source ODS code, subjectId}): the SET of its
 * distinct events (each as the timeline entry it states). Everything shown is a pure function of that
 * set ({@link Supersession}), so arrival order, duplicates and retries change nothing (design rules 2
 * and 3), and the set is also the item's history for "as of" queries ({@link #knownAt}).
 *
 * <ul>
 *   <li><b>Winner</b>: among the events no other event of the set names in {@code supersedes}, the highest
 *       by {@link #PRECEDENCE} (version, CANCEL over the rest, eventId, content). A cancel or correction that
 *       names its target therefore wins over it whatever the senders' clocks say; a re-issue that names the
 *       cancel reinstates the item; events without links are ordered by version, as before.
 *   <li><b>Withdrawn</b> when the winner is a CANCEL: the item shows what it last stated ({@link #stated()}),
 *       status WITHDRAWN, with the cancel's eventId, version and supersedes.
 *   <li><b>Invisible</b> while only cancellations are known (a cancel of something never shown, e.g. an HL7
 *       A11 for a visit the adapter could not class): no entry, no change, not counted; it appears, withdrawn,
 *       when a stated event arrives.
 *   <li><b>Cap</b>: at most {@value #MAX_EVENTS} events and {@value #MAX_BYTES} bytes are kept; beyond that the
 *       oldest superseded events are dropped first, then the lowest in precedence (never the winner nor what
 *       the item states). Only an item corrected dozens of times reaches it; its as-of history then starts
 *       at the oldest event kept.
 * </ul>
 */
public final class CareItem {

    /** Events kept per item at most. */
    public static final int MAX_EVENTS = 64;
    /** Bytes (Avro binary of the entries) kept per item at most: the store value stays far below a record's limit. */
    public static final long MAX_BYTES = 256 * 1024;

    /** Deterministic order of content, for events that tie on everything a sender controls. */
    static final Comparator<TimelineEntry> CONTENT = Comparator
            .comparing(TimelineEntry::getOccurredAt)
            .thenComparing(TimelineEntry::getRecordedAt)
            .thenComparing(TimelineEntry::getAction)
            .thenComparing(e -> new TreeMap<>(e.getDetails()).toString())
            .thenComparing(TimelineEntry::getSummary)
            .thenComparing(TimelineEntry::getSupersedes, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(TimelineEntry::getSensitivity)
            .thenComparing(e -> source(e.getSource()))
            .thenComparing(e -> local(e.getLocalId()))
            .thenComparing(TimelineEntry::getOriginNhsNumber, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(TimelineEntry::getStatus);

    /**
     * Which of two unlinked events wins: the highest version, then CANCEL over the rest, then eventId; then
     * (only for a publisher that reuses an eventId for different content, which the contract forbids) the
     * content, so the winner never depends on arrival order.
     */
    public static final Comparator<TimelineEntry> PRECEDENCE = Comparator
            .comparingLong(TimelineEntry::getVersion)
            .thenComparing(e -> e.getAction() == Action.CANCEL)
            .thenComparing(TimelineEntry::getEventId)
            .thenComparing(CONTENT);

    /** Of two copies of one eventId, the one kept is the LOWEST: lowest version, then content. */
    static final Comparator<TimelineEntry> SAME_EVENT = Comparator.comparingLong(TimelineEntry::getVersion)
            .thenComparing(CONTENT);

    static final Supersession.Rules<TimelineEntry> RULES = new Supersession.Rules<>(TimelineEntry::getEventId,
            TimelineEntry::getSupersedes, CareItem::isCancel, PRECEDENCE, SAME_EVENT,
            Comparator.comparing(TimelineEntry::getRecordedAt).thenComparing(PRECEDENCE),
            EncodedSize::of, MAX_EVENTS, MAX_BYTES);

    static {
        AvroTrust.install(); // the generated model classes are used here before any serde
    }

    private final List<TimelineEntry> events;
    private final TimelineEntry winner;
    private final TimelineEntry stated;
    private final long stamp;
    /** {@link #displayed()}, made once (an item is immutable): null until made, {@link #NONE} for none. */
    private TimelineEntry displayed;
    private static final TimelineEntry NONE = new TimelineEntry();

    private CareItem(List<TimelineEntry> distinct) {
        this.events = List.copyOf(distinct);
        if (events.size() == 1) {
            // the usual item: one event, its own winner and (unless a cancel) what it states
            TimelineEntry only = events.get(0);
            this.winner = only;
            this.stated = isCancel(only) ? null : only;
        } else {
            this.winner = Supersession.winner(events, RULES);
            this.stated = stated(events);
        }
        this.stamp = 0;
    }

    private CareItem(CareItem same, long stamp) {
        this.events = same.events;
        this.winner = same.winner;
        this.stated = same.stated;
        this.stamp = stamp;
        this.displayed = same.displayed;
    }

    /** The item as first seen through {@code event}. */
    public static CareItem of(TimelineEntry event) {
        return new CareItem(List.of(event));
    }

    /** The item made of {@code events} (any order, repeats allowed; all about one item, at least one). */
    public static CareItem of(Collection<TimelineEntry> events) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("a care item has at least one event");
        }
        String entryId = events.iterator().next().getEntryId();
        for (TimelineEntry e : events) {
            requireSameItem(entryId, e);
        }
        return new CareItem(Supersession.capped(Supersession.distinct(events, RULES), RULES, CareItem::mustKeep));
    }

    /**
     * The item as a store kept it: {@code events} exactly as {@link #events()} returned them (already distinct
     * and within the cap, ordered by eventId), so they are not sorted and capped again on every read.
     *
     * @param stamp see {@link #stamp()}
     */
    public static CareItem stored(List<TimelineEntry> events, long stamp) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("a care item has at least one event");
        }
        CareItem item = new CareItem(events);
        return stamp == 0 ? item : new CareItem(item, stamp);
    }

    /**
     * Where the item's set last changed in the sequence of changes of the store that keeps it (0: not known).
     * Bookkeeping of the stream processor, not part of the item: equal items may have different stamps.
     */
    public long stamp() {
        return stamp;
    }

    /** This item with {@code stamp} (see {@link #stamp()}). */
    public CareItem stamped(long stamp) {
        return stamp == this.stamp ? this : new CareItem(this, stamp);
    }

    /**
     * The item after also seeing {@code event}; {@code this} (the same instance) when its set of events
     * does not change: a duplicate, or a copy of a known eventId with a higher version.
     */
    public CareItem with(TimelineEntry event) {
        requireSameItem(entryId(), event);
        List<TimelineEntry> all = new ArrayList<>(events.size() + 1);
        all.addAll(events);
        all.add(event);
        List<TimelineEntry> next = Supersession.capped(Supersession.distinct(all, RULES), RULES, CareItem::mustKeep);
        return next.equals(events) ? this : new CareItem(next);
    }

    /** The item without the events {@code leaving} matches; null when none remains; {@code this} if none matches. */
    public CareItem without(Predicate<TimelineEntry> leaving) {
        List<TimelineEntry> rest = events.stream().filter(leaving.negate()).toList();
        if (rest.size() == events.size()) {
            return this;
        }
        return rest.isEmpty() ? null : new CareItem(rest);
    }

    /** The item as it was known from the events recorded at or before {@code asOf}; null when none was. */
    public CareItem knownAt(Instant asOf) {
        return without(e -> e.getRecordedAt().isAfter(asOf));
    }

    /** The item's distinct events, ordered by eventId. */
    public List<TimelineEntry> events() {
        return events;
    }

    public String entryId() {
        return events.get(0).getEntryId();
    }

    /** The standing event (see the class comment). */
    public TimelineEntry winner() {
        return winner;
    }

    /**
     * What the item last stated: among its events that are not cancellations, those no later statement
     * replaced (by naming it, directly or through the cancel it re-issues), the highest by precedence; null
     * when only cancellations are known.
     */
    public TimelineEntry stated() {
        return stated;
    }

    public boolean withdrawn() {
        return isCancel(winner);
    }

    /** False while only cancellations are known: such an item is not on the timeline at all. */
    public boolean visible() {
        return stated != null;
    }

    /** True when a NEW event of the item is known (for a spell: its admission arrived, not only an update). */
    public boolean statedByNew() {
        return events.stream().anyMatch(e -> e.getAction() == Action.NEW);
    }

    /**
     * The entry as shown on the timeline, or null while the item is invisible. Current: the winning event.
     * Withdrawn: what the item last stated, status WITHDRAWN, with the cancellation's eventId, version and
     * supersedes. Made once per item: callers must not modify it.
     */
    public TimelineEntry displayed() {
        TimelineEntry shown = displayed;
        if (shown == null) {
            shown = display();
            displayed = shown == null ? NONE : shown;
        }
        return shown == NONE ? null : shown;
    }

    private TimelineEntry display() {
        if (!withdrawn() && winner.getStatus() == EntryStatus.CURRENT) {
            return winner; // as stated (events are kept as CURRENT entries): no copy
        }
        if (!withdrawn()) {
            return TimelineEntry.newBuilder(winner).setStatus(EntryStatus.CURRENT).build();
        }
        if (stated == null) {
            return null;
        }
        return TimelineEntry.newBuilder(stated)
                .setStatus(EntryStatus.WITHDRAWN)
                .setAction(Action.CANCEL)
                .setEventId(winner.getEventId())
                .setVersion(winner.getVersion())
                .setSupersedes(winner.getSupersedes())
                .build();
    }

    private static TimelineEntry stated(List<TimelineEntry> events) {
        List<TimelineEntry> statements = events.stream().filter(e -> !isCancel(e)).toList();
        if (statements.isEmpty()) {
            return null;
        }
        // a statement that a later one replaced, directly or through a cancel it re-issues, is not the last
        Map<String, TimelineEntry> byId = new HashMap<>();
        events.forEach(e -> byId.put(e.getEventId(), e));
        Set<String> replaced = new HashSet<>();
        for (TimelineEntry t : statements) {
            Set<String> seen = new HashSet<>(Set.of(t.getEventId()));
            for (TimelineEntry e = byId.get(t.getSupersedes()); e != null && seen.add(e.getEventId());
                    e = byId.get(e.getSupersedes())) {
                if (!isCancel(e)) {
                    replaced.add(e.getEventId());
                }
            }
        }
        List<TimelineEntry> last = statements.stream().filter(e -> !replaced.contains(e.getEventId())).toList();
        return (last.isEmpty() ? statements : last).stream().max(PRECEDENCE).orElseThrow();
    }

    private static Collection<TimelineEntry> mustKeep(List<TimelineEntry> events) {
        TimelineEntry w = Supersession.winner(events, RULES);
        TimelineEntry s = stated(events);
        return s == null ? List.of(w) : List.of(w, s);
    }

    private static void requireSameItem(String entryId, TimelineEntry e) {
        if (!e.getEntryId().equals(entryId)) {
            throw new IllegalArgumentException("event " + e.getEventId() + " is about " + e.getEntryId() + ", not "
                    + entryId);
        }
    }

    private static boolean isCancel(TimelineEntry e) {
        return e.getAction() == Action.CANCEL;
    }

    private static String source(Source s) {
        return s.getOdsCode() + "|" + s.getName() + "|" + s.getKind() + "|" + s.getSystem();
    }

    private static String local(LocalIdentifier id) {
        return id == null ? "" : id.getSystem() + "|" + id.getValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CareItem other && events.equals(other.events);
    }

    @Override
    public int hashCode() {
        return Objects.hash(events);
    }

    @Override
    public String toString() {
        return "CareItem" + events.stream().map(e -> e.getEventId() + "/" + e.getAction() + "/v" + e.getVersion()
                + (e.getSupersedes() == null ? "" : "→" + e.getSupersedes())).toList();
    }
}
