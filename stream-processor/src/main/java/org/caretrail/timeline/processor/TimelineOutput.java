package org.caretrail.timeline.processor;

import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;

/**
 * One output of the timeline sub-topology (exactly one part is set): a patient's timeline record, one
 * change, the removal of a patient's timeline record ({@code removesTimeline}: a tombstone on care.timelines),
 * an entry {@code moved} to another patient (keyed by that patient), or a {@code returnRequest} to the survivor
 * of an undone merge (keyed by the survivor; what to give back is in the record's headers, see
 * {@link MoveHeaders}).
 */
public record TimelineOutput(Timeline timeline, TimelineChange change, TimelineEntry moved, boolean removesTimeline,
        boolean returnRequest) {

    public static TimelineOutput of(Timeline timeline) {
        return new TimelineOutput(timeline, null, null, false, false);
    }

    public static TimelineOutput of(TimelineChange change) {
        return new TimelineOutput(null, change, null, false, false);
    }

    /** An entry on its way to another patient's timeline (keyed by that patient's NHS number). */
    public static TimelineOutput moved(TimelineEntry entry) {
        return new TimelineOutput(null, null, entry, false, false);
    }

    /** A request to the survivor of an undone merge to give back entries (keyed by the survivor). */
    public static TimelineOutput askingBack() {
        return new TimelineOutput(null, null, null, false, true);
    }

    /** The patient's care.timelines record is removed (a tombstone): the patient was merged away. */
    public static TimelineOutput tombstone() {
        return new TimelineOutput(null, null, null, true, false);
    }

    /** True for a care.timelines record or tombstone. */
    public boolean isTimelineRecord() {
        return timeline != null || removesTimeline;
    }

    /** True for what goes on to another patient's partition (a moved entry or a return request). */
    public boolean goesOn() {
        return moved != null || returnRequest;
    }
}
