package org.caretrail.timeline.processor;

import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/**
 * One output of the timeline builder (exactly one part is set): a patient's timeline record, one
 * change, the removal of a merged-away patient's timeline record ({@code removesTimeline}: a tombstone on
 * care.timelines), or an entry {@code moved} to the surviving patient of a merge (keyed by the survivor).
 */
public record TimelineOutput(Timeline timeline, TimelineChange change, TimelineEntry moved, boolean removesTimeline) {

    public static TimelineOutput of(Timeline timeline) {
        return new TimelineOutput(timeline, null, null, false);
    }

    public static TimelineOutput of(TimelineChange change) {
        return new TimelineOutput(null, change, null, false);
    }

    /** An entry on its way to the surviving patient's timeline (keyed by the survivor's NHS number). */
    public static TimelineOutput moved(TimelineEntry entry) {
        return new TimelineOutput(null, null, entry, false);
    }

    /** The patient's care.timelines record is removed (a tombstone): the patient was merged away. */
    public static TimelineOutput tombstone() {
        return new TimelineOutput(null, null, null, true);
    }

    /** True for a care.timelines record or tombstone. */
    public boolean isTimelineRecord() {
        return timeline != null || removesTimeline;
    }
}
