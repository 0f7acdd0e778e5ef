package org.caretrail.timeline.errors;

import org.apache.kafka.common.errors.SerializationException;

/**
 * An output record larger than the stream processor may write ({@code timeline.max.record.bytes}): refused by
 * its serializer ({@link BoundedSerde}) before it reaches the producer, so the record goes to the dead-letter
 * topic and the transaction goes on (see {@link DeadLetterHandlers.Production}).
 */
public class OversizedRecordException extends SerializationException {

    private final int size;
    private final int limit;

    public OversizedRecordException(String topic, int size, int limit) {
        super("a record for " + topic + " is " + size + " bytes; the limit is " + limit + " (timeline.max.record.bytes)");
        this.size = size;
        this.limit = limit;
    }

    public int size() {
        return size;
    }

    public int limit() {
        return limit;
    }
}
