package org.caretrail.timeline.domain;

import org.caretrail.events.AvroTrust;
import java.util.Comparator;
import java.util.Objects;
import java.util.TreeMap;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.TimelineEntry;

/**
 * What is known about one care item ({@code EventType, source ODS code, subjectId}): the winning
 * event and the best event that stated it (not a cancellation). Both are maxima over the set of
 * events seen, so the state depends only on that set: arrival order, duplicates and retries change
 * nothing (design rules 2 and 3).
 *
 * <p>Precedence: the highest {@code version} wins; at equal version a {@code CANCEL} beats any
 * other action; then the greater {@code eventId} (a deterministic, arbitrary tie-break). A winning
 * {@code CANCEL} withdraws the item, even when it arrived before the item itself; a later event with
 * a higher version reinstates it.
 *
 * @param winner the event with the highest precedence
 * @param stated the highest-precedence event that is not a cancellation, or null when only
 *               cancellations were seen
 */
public record CareItem(TimelineEntry winner, TimelineEntry stated) {

    /**
     * Highest version, then CANCEL over the rest, then eventId; then (only for a publisher that
     * reuses an eventId for different content, which the contract forbids) the content itself, so
     * the winner never depends on arrival order.
     */
    public static final Comparator<TimelineEntry> PRECEDENCE = Comparator
            .comparingLong(TimelineEntry::getVersion)
            .thenComparing(e -> e.getAction() == Action.CANCEL)
            .thenComparing(TimelineEntry::getEventId)
            .thenComparing(TimelineEntry::getOccurredAt)
            .thenComparing(TimelineEntry::getRecordedAt)
            .thenComparing(e -> new TreeMap<>(e.getDetails()).toString())
            .thenComparing(TimelineEntry::getSummary);

    static {
        AvroTrust.install(); // the generated model classes are used here before any serde
    }

    public CareItem {
        Objects.requireNonNull(winner, "winner");
    }

    /** The item as first seen through {@code event}. */
    public static CareItem of(TimelineEntry event) {
        return new CareItem(event, isCancel(event) ? null : event);
    }

    /**
     * The item after also seeing {@code event}; {@code this} (the same instance) when the event
     * changes nothing: a duplicate, a lower version, a losing tie.
     */
    public CareItem with(TimelineEntry event) {
        if (!event.getEntryId().equals(winner.getEntryId())) {
            throw new IllegalArgumentException("event " + event.getEventId() + " is about " + event.getEntryId()
                    + ", not " + winner.getEntryId());
        }
        TimelineEntry newWinner = PRECEDENCE.compare(event, winner) > 0 ? event : winner;
        TimelineEntry newStated = stated;
        if (!isCancel(event) && (stated == null || PRECEDENCE.compare(event, stated) > 0)) {
            newStated = event;
        }
        if (newWinner == winner && newStated == stated) {
            return this;
        }
        return new CareItem(newWinner, newStated);
    }

    public boolean withdrawn() {
        return isCancel(winner);
    }

    /**
     * The entry as shown on the timeline. Current: the winning event. Withdrawn: what the item
     * last stated (or the cancellation itself when nothing else was seen), status WITHDRAWN, with
     * the cancellation's eventId, version and action.
     */
    public TimelineEntry displayed() {
        if (!withdrawn()) {
            return TimelineEntry.newBuilder(winner).setStatus(EntryStatus.CURRENT).build();
        }
        TimelineEntry base = stated != null ? stated : winner;
        return TimelineEntry.newBuilder(base)
                .setStatus(EntryStatus.WITHDRAWN)
                .setAction(Action.CANCEL)
                .setEventId(winner.getEventId())
                .setVersion(winner.getVersion())
                .build();
    }

    private static boolean isCancel(TimelineEntry e) {
        return e.getAction() == Action.CANCEL;
    }
}
