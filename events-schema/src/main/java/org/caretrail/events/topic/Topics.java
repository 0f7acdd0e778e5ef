package org.caretrail.events.topic;

import java.util.EnumMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.SchemaRegistry;

/**
 * The typed topics of CareTrail, bound to one schema registry. Immutable: build one per registry
 * and share it. Keys are plain strings (the NHS number, or {@code system|localId}).
 */
public final class Topics {

    private final SchemaRegistry registry;
    private final Map<CareEventType, Topic<String, SpecificRecord>> events = new EnumMap<>(CareEventType.class);
    private final Topic<String, Timeline> timelines;
    private final Topic<String, TimelineChange> timelineChanges;
    private final Topic<byte[], byte[]> deadLetter;

    @SuppressWarnings("unchecked")
    public Topics(SchemaRegistry registry) {
        this.registry = registry;
        for (CareEventType type : CareEventType.values()) {
            Serde<SpecificRecord> serde = (Serde<SpecificRecord>) (Serde<?>) AvroSerde.of(type.recordClass(), registry);
            events.put(type, new Topic<>(type.topic(), Serdes.String(), serde));
        }
        this.timelines = new Topic<>(CareTopics.TIMELINES, Serdes.String(), AvroSerde.of(Timeline.class, registry));
        this.timelineChanges = new Topic<>(CareTopics.TIMELINE_CHANGES, Serdes.String(),
                AvroSerde.of(TimelineChange.class, registry));
        this.deadLetter = new Topic<>(CareTopics.DEAD_LETTER, Serdes.ByteArray(), Serdes.ByteArray());
    }

    public SchemaRegistry registry() {
        return registry;
    }

    public Topic<String, SpecificRecord> events(CareEventType type) {
        return events.get(type);
    }

    public Topic<String, Timeline> timelines() {
        return timelines;
    }

    public Topic<String, TimelineChange> timelineChanges() {
        return timelineChanges;
    }

    public Topic<byte[], byte[]> deadLetter() {
        return deadLetter;
    }

    /**
     * Registers every value schema under its subject with FULL_TRANSITIVE compatibility, so an
     * incompatible change is refused by the registry before any producer writes it.
     */
    public void registerSchemas() {
        for (CareEventType type : CareEventType.values()) {
            register(type.topic(), AvroSerde.of(type.recordClass(), registry));
        }
        register(timelines.name(), (AvroSerde<?>) timelines.valueSerde());
        register(timelineChanges.name(), (AvroSerde<?>) timelineChanges.valueSerde());
    }

    private static void register(String topic, AvroSerde<?> serde) {
        serde.register(topic);
    }
}
