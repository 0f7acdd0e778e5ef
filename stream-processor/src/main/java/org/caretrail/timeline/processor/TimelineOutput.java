package org.caretrail.timeline.processor;

import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;

/** One output of the timeline builder: a patient's timeline record or one change (exactly one is set). */
public record TimelineOutput(Timeline timeline, TimelineChange change) {

    public static TimelineOutput of(Timeline timeline) {
        return new TimelineOutput(timeline, null);
    }

    public static TimelineOutput of(TimelineChange change) {
        return new TimelineOutput(null, change);
    }
}
