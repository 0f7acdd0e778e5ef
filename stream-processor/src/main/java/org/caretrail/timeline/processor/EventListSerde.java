package org.caretrail.timeline.processor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.SchemaRegistry;

/**
 * Store format of a set of events (a care item's, an identity's): a format byte ({@value #FORMAT}), the
 * number of events, then each event as a 4-byte length and a Confluent-framed Avro record registered under
 * {@code <subject>-value}, so the stores evolve with the schema as the topics do.
 *
 * @param <T> the event type
 */
final class EventListSerde<T extends SpecificRecord> implements Serializer<List<T>>, Deserializer<List<T>> {

    /** First byte of this format: distinct from the 0/1 flag that began the first care-item format. */
    static final byte FORMAT = 2;

    private final AvroSerde<T> events;
    private final String subject;

    EventListSerde(Class<T> type, SchemaRegistry registry, String subject) {
        this.events = AvroSerde.of(type, registry);
        this.subject = subject;
    }

    AvroSerde<T> events() {
        return events;
    }

    String subject() {
        return subject;
    }

    @Override
    public byte[] serialize(String topic, List<T> list) {
        if (list == null) {
            return null;
        }
        List<byte[]> encoded = new ArrayList<>(list.size());
        int size = 1 + 4;
        for (T e : list) {
            byte[] b = events.serialize(subject, e);
            encoded.add(b);
            size += 4 + b.length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size).put(FORMAT).putInt(list.size());
        encoded.forEach(b -> buf.putInt(b.length).put(b));
        return buf.array();
    }

    @Override
    public List<T> deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(data);
            if (buf.get() != FORMAT) {
                throw new SerializationException("not an event list (format byte " + data[0] + ")");
            }
            int n = buf.getInt();
            List<T> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[buf.getInt()];
                buf.get(b);
                list.add(events.deserialize(subject, b));
            }
            return list;
        } catch (RuntimeException e) {
            if (e instanceof SerializationException s) {
                throw s;
            }
            throw new SerializationException("not an event list (" + data.length + " bytes): " + e, e);
        }
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // configured by construction
    }

    @Override
    public void close() {
        // the registry belongs to whoever created it
    }
}
