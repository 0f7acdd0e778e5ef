package org.caretrail.timeline;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.apache.kafka.streams.TopologyTestDriver;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.processor.InputPartitions;
import org.caretrail.timeline.processor.TimelineReader;
import org.caretrail.timeline.processor.TimelineStores;

/** The timeline topology in a {@link TopologyTestDriver}, configured by the app's own settings method. */
public final class TimelineDriver implements AutoCloseable {

    public final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    public final Topics topics = new Topics(registry);
    public final TopologyTestDriver driver;
    public final TestOutputTopic<String, Timeline> timelines;
    public final TestOutputTopic<String, TimelineChange> changes;
    public final TestOutputTopic<byte[], byte[]> deadLetters;

    public TimelineDriver(Path stateDir) {
        this(stateDir, TimelineSettings.defaults());
    }

    /** Timelines records after every event (easy to assert on). */
    public TimelineDriver(Path stateDir, TimelineSettings base) {
        this(stateDir, base.with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ZERO), true);
    }

    /** With {@code base}'s emit interval as it is (advance the wall clock to emit). */
    public TimelineDriver(Path stateDir, TimelineSettings base, boolean asGiven) {
        // TopologyTestDriver gives every topic one partition: every NHS-keyed event is in its patient's partition
        this(stateDir, base, asGiven, new InputPartitions(1));
    }

    /**
     * As {@link #TimelineDriver(Path, TimelineSettings, boolean)}, with the partition count the topology assumes the
     * care event topics have (the driver itself reads every record from partition 0).
     */
    public TimelineDriver(Path stateDir, TimelineSettings base, boolean asGiven, InputPartitions partitions) {
        TimelineSettings settings = base
                .with(TimelineSettings.BOOTSTRAP_SERVERS, "unused:9092")
                .with(TimelineSettings.STATE_DIR, stateDir);
        StreamsBuilder builder = new StreamsBuilder();
        TimelineTopology.build(builder, topics, settings, java.time.Clock.systemUTC(), partitions);
        Properties props = settings.toStreamsProperties();
        driver = new TopologyTestDriver(builder.build(props), props);
        timelines = driver.createOutputTopic(topics.timelines().name(), new StringDeserializer(),
                topics.timelines().valueSerde().deserializer());
        changes = driver.createOutputTopic(topics.timelineChanges().name(), new StringDeserializer(),
                topics.timelineChanges().valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetter().name(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
    }

    /** Publishes events as a provider would: to their topic, keyed by patient, Confluent-framed Avro. */
    @SafeVarargs
    public final void publish(SpecificRecord... events) {
        publish(List.of(events));
    }

    /** Publishes an event under the record key {@code key}, as a third-party producer might key it. */
    public void publishKeyed(String key, SpecificRecord event) {
        var topic = topics.events(CareEventType.of(event));
        driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer())
                .pipeInput(key, event);
    }

    public void publish(List<? extends SpecificRecord> events) {
        for (SpecificRecord event : events) {
            var topic = topics.events(CareEventType.of(event));
            driver.createInputTopic(topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer())
                    .pipeInput(CareEvents.patientKey(event), event);
        }
    }

    /** Publishes raw bytes to a topic, as a broken producer would. */
    public void publishBytes(String topic, byte[] key, byte[] value) {
        driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer())
                .pipeInput(new TestRecord<>(key, value));
    }

    public TimelineReader reader() {
        return new TimelineReader(driver.getKeyValueStore(TimelineStores.ITEMS),
                driver.getKeyValueStore(TimelineStores.ORDER), driver.getKeyValueStore(TimelineStores.SUMMARIES),
                driver.getKeyValueStore(TimelineStores.MERGED_INTO));
    }

    /** The full history (current and withdrawn) in timeline order. */
    public List<TimelineEntry> history(String nhs) {
        return reader().walk(nhs, null, null, false, true, t -> true, 0, Integer.MAX_VALUE);
    }

    /** The current timeline in order. */
    public List<TimelineEntry> current(String nhs) {
        return reader().walk(nhs, null, null, false, false, t -> true, 0, Integer.MAX_VALUE);
    }

    @Override
    public void close() {
        driver.close();
    }
}
