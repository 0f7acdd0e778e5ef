package org.caretrail.timeline.domain;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;

/**
 * A patient's {@code care.timelines} record: what a downstream reader gets without asking the API — the summary
 * and the newest current entries, built to a byte budget so the record always fits on the topic.
 */
public final class TimelineRecords {

    /** Bytes a record's own fields take besides summary and entries (NHS number, updatedAt, lengths). */
    static final int OVERHEAD = 64;

    private TimelineRecords() {
    }

    /**
     * The record, built to {@code budgetBytes} (Avro binary): the summary within half of it
     * ({@link SummaryBudget#fitBudget}: the oldest list items left out and counted in {@code omitted}), then as
     * many of {@code newestFirst} (current entries, newest first; at most {@code maxEntries} are read) as the
     * rest holds, in timeline order; {@code truncated} when any current entry is left out.
     */
    public static Timeline build(String nhs, TimelineSummary summary, List<TimelineEntry> newestFirst, Instant now,
            int maxEntries, long budgetBytes) {
        TimelineSummary shown = SummaryBudget.fitBudget(summary, budgetBytes / 2);
        long room = budgetBytes - EncodedSize.of(shown) - OVERHEAD;
        List<TimelineEntry> kept = new ArrayList<>(Math.min(maxEntries, newestFirst.size()));
        for (TimelineEntry e : newestFirst) {
            if (kept.size() >= maxEntries) {
                break;
            }
            long size = EncodedSize.of(e);
            if (size > room) {
                break;
            }
            kept.add(e);
            room -= size;
        }
        Collections.reverse(kept);
        return Timeline.newBuilder()
                .setNhsNumber(nhs)
                .setUpdatedAt(now)
                .setSummary(shown)
                .setEntries(kept)
                .setTruncated(summary.getCurrentEntries() > kept.size())
                .build();
    }
}
