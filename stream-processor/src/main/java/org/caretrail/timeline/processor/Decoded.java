package org.caretrail.timeline.processor;

import org.apache.avro.specific.SpecificRecord;

/**
 * What the decode step makes of one input record: a valid care event (with the original bytes and
 * topic, kept for events that must wait for identity resolution), or the original bytes and the
 * reason it was rejected. Lives only between processors, never on a topic.
 */
public record Decoded(SpecificRecord event, HeldEvent original, String reason) {

    public static Decoded valid(SpecificRecord event, HeldEvent original) {
        return new Decoded(event, original, null);
    }

    public static Decoded rejected(byte[] key, byte[] value, String reason) {
        return new Decoded(null, new HeldEvent(null, -1, -1, 0, key, value), reason);
    }

    public byte[] originalKey() {
        return original.originalKey();
    }

    public byte[] originalValue() {
        return original.originalValue();
    }

    public boolean isValid() {
        return event != null;
    }
}
