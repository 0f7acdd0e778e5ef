package org.caretrail.timeline.processor;

import org.apache.avro.specific.SpecificRecord;

/**
 * What the decode step makes of one input record: a valid care event, or the original bytes and
 * the reason it was rejected. Lives only between processors, never on a topic.
 */
public record Decoded(SpecificRecord event, byte[] originalKey, byte[] originalValue, String reason) {

    public static Decoded valid(SpecificRecord event) {
        return new Decoded(event, null, null, null);
    }

    public static Decoded rejected(byte[] key, byte[] value, String reason) {
        return new Decoded(null, key, value, reason);
    }

    public boolean isValid() {
        return event != null;
    }
}
