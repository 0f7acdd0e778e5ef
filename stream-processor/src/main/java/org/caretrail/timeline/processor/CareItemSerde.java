package org.caretrail.timeline.processor;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.SchemaRegistry;
import org.caretrail.timeline.domain.CareItem;

/**
 * Store format of a {@link CareItem}: a 4-byte length, the winner, then the stated entry (absent
 * when only cancellations were seen); each a Confluent-framed {@code TimelineEntry} registered under
 * subject {@value #SUBJECT_TOPIC}-value, so the stores evolve with the schema like the topics do.
 */
public final class CareItemSerde implements Serde<CareItem>, Serializer<CareItem>, Deserializer<CareItem> {

    static final String SUBJECT_TOPIC = "caretrail.timeline-item";
    private final AvroSerde<TimelineEntry> entries;

    public CareItemSerde(SchemaRegistry registry) {
        this.entries = AvroSerde.of(TimelineEntry.class, registry);
    }

    @Override
    public byte[] serialize(String topic, CareItem item) {
        if (item == null) {
            return null;
        }
        byte[] winner = entries.serialize(SUBJECT_TOPIC, item.winner());
        byte[] stated = item.stated() == null || item.stated() == item.winner() ? new byte[0]
                : entries.serialize(SUBJECT_TOPIC, item.stated());
        boolean same = item.stated() == item.winner();
        return ByteBuffer.allocate(5 + winner.length + stated.length)
                .put((byte) (same ? 1 : 0)).putInt(winner.length).put(winner).put(stated).array();
    }

    @Override
    public CareItem deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < 5) {
            throw new SerializationException("care item record too short: " + data.length + " bytes");
        }
        ByteBuffer buf = ByteBuffer.wrap(data);
        boolean same = buf.get() == 1;
        int winnerLength = buf.getInt();
        TimelineEntry winner = entries.deserialize(SUBJECT_TOPIC, Arrays.copyOfRange(data, 5, 5 + winnerLength));
        TimelineEntry stated = same ? winner
                : data.length == 5 + winnerLength ? null
                : entries.deserialize(SUBJECT_TOPIC, Arrays.copyOfRange(data, 5 + winnerLength, data.length));
        return new CareItem(winner, stated);
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
