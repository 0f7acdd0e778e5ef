package org.caretrail.timeline.domain;

import java.time.Instant;
import java.util.Comparator;
import org.caretrail.events.model.TimelineEntry;

/**
 * Timeline order (design rule 1): {@code occurredAt}, then {@code recordedAt}, then
 * {@code eventId} (then {@code entryId}, should two items share an event id). Also the sortable text
 * form of that order used as state-store keys, so a byte-wise range scan walks the timeline in order.
 */
public final class TimelineOrder {

    public static final Comparator<TimelineEntry> ORDER = Comparator
            .comparing(TimelineEntry::getOccurredAt)
            .thenComparing(TimelineEntry::getRecordedAt)
            .thenComparing(TimelineEntry::getEventId)
            .thenComparing(TimelineEntry::getEntryId);

    private TimelineOrder() {
    }

    /**
     * An instant as 16 hex digits whose text order is time order (the sign bit flipped, so dates
     * before 1970 sort first).
     */
    public static String sortable(Instant t) {
        return String.format("%016x", t.toEpochMilli() ^ Long.MIN_VALUE);
    }

    /** {@code occurredAt|recordedAt|eventId|entryId} in sortable form. */
    public static String sortKey(TimelineEntry e) {
        return sortable(e.getOccurredAt()) + "|" + sortable(e.getRecordedAt()) + "|" + e.getEventId() + "|"
                + e.getEntryId();
    }
}
