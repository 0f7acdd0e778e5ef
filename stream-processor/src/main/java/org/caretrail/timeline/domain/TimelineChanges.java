package org.caretrail.timeline.domain;

import java.util.Optional;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.TimelineEntry;

/**
 * Which change subscribers see when a care item's displayed entry goes from {@code before} to
 * {@code after} (null: the item is not, or no longer, on this timeline). Nothing when nothing visible
 * changed (a duplicate, a lower version) or when the item was never on the timeline and still is not (a
 * cancellation that arrived first); WITHDRAWN when a current item is cancelled or leaves the timeline (an
 * unmerge or a visit move took it to another patient).
 */
public final class TimelineChanges {

    private TimelineChanges() {
    }

    public static Optional<ChangeKind> between(TimelineEntry before, TimelineEntry after) {
        boolean wasCurrent = before != null && before.getStatus() == EntryStatus.CURRENT;
        boolean isCurrent = after != null && after.getStatus() == EntryStatus.CURRENT;
        if (!wasCurrent) {
            return isCurrent ? Optional.of(ChangeKind.ADDED) : Optional.empty();
        }
        if (!isCurrent) {
            return Optional.of(ChangeKind.WITHDRAWN);
        }
        return after.equals(before) ? Optional.empty() : Optional.of(ChangeKind.UPDATED);
    }

    /**
     * True when a care item going from {@code before} to {@code after} (null: absent) changes what the timeline
     * shows: its displayed entry, or (for an admission) whether the admission itself is known, which the spell
     * shows. When false only the item's set of events changed: nothing else is touched, no change announced.
     */
    public static boolean shows(CareItem before, CareItem after) {
        TimelineEntry was = before == null ? null : before.displayed();
        TimelineEntry is = after == null ? null : after.displayed();
        CareItem any = after != null ? after : before;
        boolean admissionSeenChanged = any.winner().getType() == EventType.ADMISSION
                && (before != null && before.statedByNew()) != (after != null && after.statedByNew());
        return !java.util.Objects.equals(was, is) || admissionSeenChanged;
    }

    /** The stable id of a change: the entry's eventId and the change kind (same on every replay). */
    public static String changeId(TimelineEntry after, ChangeKind kind) {
        return after.getEventId() + "|" + kind.name();
    }
}
