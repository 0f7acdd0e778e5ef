package org.caretrail.timeline.processor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.timeline.domain.CareItem;

/**
 * Store format of a {@link CareItem}: a format byte ({@value #STAMPED}), the item's stamp (8 bytes, see
 * {@link CareItem#stamp()}), then its distinct events ({@link EventListSerde}, Confluent-framed
 * {@code TimelineEntry} records under subject {@value #SUBJECT_TOPIC}-value), read back as stored (not sorted and
 * capped again).
 *
 * <p>Also reads the unstamped list of the previous version (format byte {@value EventListSerde#FORMAT}).
 * <p>Also reads the format of earlier versions (a 0/1 flag, the winner's length and bytes, then the stated
 * entry), so state written by an earlier version never stops a start: such an item becomes the set of its
 * winner and stated events.
 */
public final class CareItemSerde implements Serde<CareItem>, Serializer<CareItem>, Deserializer<CareItem> {

    static final String SUBJECT_TOPIC = "caretrail.timeline-item";
    /** First byte of the stamped format (after the 0/1 flag of the first format and the plain list's 2). */
    static final byte STAMPED = 3;
    private final EventListSerde<TimelineEntry> lists;

    public CareItemSerde(SchemaRegistry registry) {
        this.lists = new EventListSerde<>(TimelineEntry.class, registry, SUBJECT_TOPIC);
    }

    @Override
    public byte[] serialize(String topic, CareItem item) {
        if (item == null) {
            return null;
        }
        byte[] events = lists.serialize(topic, item.events());
        return ByteBuffer.allocate(1 + 8 + events.length).put(STAMPED).putLong(item.stamp()).put(events).array();
    }

    @Override
    public CareItem deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length > 9 && data[0] == STAMPED) {
            long stamp = ByteBuffer.wrap(data, 1, 8).getLong();
            return CareItem.stored(lists.deserialize(topic, Arrays.copyOfRange(data, 9, data.length)), stamp);
        }
        if (data.length > 0 && data[0] == EventListSerde.FORMAT) {
            return CareItem.of(lists.deserialize(topic, data));
        }
        return legacy(data);
    }

    /** The first format: flag (1: stated is the winner), winner length, winner, stated (absent: none). */
    private CareItem legacy(byte[] data) {
        if (data.length < 5 || (data[0] != 0 && data[0] != 1)) {
            throw new SerializationException("not a care item (" + data.length + " bytes, first byte "
                    + (data.length == 0 ? "none" : data[0]) + ")");
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        boolean same = buf.get() == 1;
        int winnerLength = buf.getInt();
        if (winnerLength < 0 || 5 + winnerLength > data.length) {
            throw new SerializationException("not a care item: winner length " + winnerLength);
        }
        List<TimelineEntry> events = new ArrayList<>();
        events.add(lists.events().deserialize(lists.subject(), Arrays.copyOfRange(data, 5, 5 + winnerLength)));
        if (!same && data.length > 5 + winnerLength) {
            events.add(lists.events().deserialize(lists.subject(),
                    Arrays.copyOfRange(data, 5 + winnerLength, data.length)));
        }
        return CareItem.of(events);
    }

    @Override
    public Serializer<CareItem> serializer() {
        return this;
    }

    @Override
    public Deserializer<CareItem> deserializer() {
        return this;
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
