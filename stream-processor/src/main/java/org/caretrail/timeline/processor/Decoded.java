package org.caretrail.timeline.processor;

import org.caretrail.events.model.TimelineEntry;

/**
 * What the decode step makes of one input record: the timeline entry of a valid event, or the
 * original bytes and the reason it was rejected. Lives only between two processors, never on a topic.
 */
public record Decoded(TimelineEntry entry, byte[] originalKey, byte[] originalValue, String reason) {

    public static Decoded valid(TimelineEntry entry) {
        return new Decoded(entry, null, null, null);
    }

    public static Decoded rejected(byte[] key, byte[] value, String reason) {
        return new Decoded(null, key, value, reason);
    }

    public boolean isValid() {
        return entry != null;
    }
}
