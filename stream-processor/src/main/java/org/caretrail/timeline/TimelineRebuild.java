package org.caretrail.timeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;
import org.caretrail.events.topic.Topics;

/**
 * Rebuilding every timeline from the retained event topics, side by side with the live stream
 * processor (see consumers/README.md, "Rebuilding every timeline"):
 *
 * <pre>{@code
 * TimelineSettings rebuild = TimelineRebuild.settings(live, "caretrail-timeline-v3", ".v2")
 *         .with(TimelineSettings.STATE_DIR, Path.of("data", "streams-v3"));
 * new TopicsApplier(bootstrap).apply(TimelineRebuild.outputTopics(rebuild));   // same specs, new names
 * try (var app = new TimelineApplication(rebuild, topics)) {
 *     app.start();
 *     // wait until TimelineRebuild.lag(admin, rebuild) == 0 (every input and repartition topic read)
 *     var live = TimelineRebuild.readTimelines(bootstrap, live.timelinesTopic(), topics);
 *     var rebuilt = TimelineRebuild.readTimelines(bootstrap, rebuild.timelinesTopic(), topics);
 *     TimelineRebuild.Comparison c = TimelineRebuild.compare(live, rebuilt);   // c.identical()
 * }
 * }</pre>
 *
 * Reading the output topics uses assigned partitions and no consumer group (nothing is committed).
 */
public final class TimelineRebuild {

    private static final Duration READ_TIMEOUT = Duration.ofMinutes(5);

    private TimelineRebuild() {
    }

    /**
     * The settings of a rebuild next to {@code live}: a new application id (so no committed offsets,
     * no internal topics, no state: every event is read from offset 0) and the live output topic
     * names with {@code suffix} appended. Give it its own {@code timeline.state.dir} too when it
     * runs on the same machine.
     */
    public static TimelineSettings settings(TimelineSettings live, String applicationId, String suffix) {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(suffix, "suffix");
        if (applicationId.equals(live.applicationId())) {
            throw new IllegalArgumentException("a rebuild needs a new application id, not the live one ("
                    + applicationId + "): the same id would continue from the live offsets and state");
        }
        if (suffix.isEmpty()) {
            throw new IllegalArgumentException("a rebuild needs a topic suffix (e.g. .v2): without one it would "
                    + "write into the live " + live.timelinesTopic() + " and " + live.changesTopic());
        }
        return live.with(TimelineSettings.APPLICATION_ID, applicationId)
                .with(TimelineSettings.TIMELINES_TOPIC, live.timelinesTopic() + suffix)
                .with(TimelineSettings.CHANGES_TOPIC, live.changesTopic() + suffix)
                .with(TimelineSettings.MERGE_MOVES_TOPIC, live.mergeMovesTopic() + suffix);
    }

    /**
     * The output topics of {@code settings} declared as the originals are ({@code care.timelines}:
     * compacted, kept for ever; {@code care.timeline-changes}: 90 days; the internal
     * {@code care.timeline-merge-moves}), under the settings' names.
     * Apply them (e.g. with deploy's {@code TopicsApplier}) before starting the rebuild.
     */
    public static List<TopicSpec> outputTopics(TimelineSettings settings) {
        return List.of(renamed(CareTopics.byName(CareTopics.TIMELINES), settings.timelinesTopic()),
                renamed(CareTopics.byName(CareTopics.TIMELINE_CHANGES), settings.changesTopic()),
                renamed(CareTopics.byName(CareTopics.TIMELINE_MERGE_MOVES), settings.mergeMovesTopic()));
    }

    private static TopicSpec renamed(TopicSpec spec, String name) {
        return new TopicSpec(name, spec.partitions(), spec.cleanup(), spec.retentionMs(),
                spec.purpose() + " (" + spec.name() + " rebuilt)");
    }

    /** The topics the stream processor reads: every timeline event topic and the patient identities. */
    public static List<String> inputTopics() {
        List<String> topics = new ArrayList<>(TimelineTopology.timelineEventTypes().stream()
                .map(CareEventType::topic).toList());
        topics.add(CareEventType.PATIENT_IDENTITY.topic());
        return topics;
    }

    /**
     * How many records the application {@code settings} names has not processed yet: over every input
     * topic partition, its merge-moves topic and every partition of its repartition topics ({@code <application.id>-*-repartition};
     * a partition with no committed offset counts from its start). 0 means caught up with what was there
     * when asked. (Changelog topics are written, not read, by a running application: not counted.)
     */
    public static long lag(Admin admin, TimelineSettings settings) throws InterruptedException, ExecutionException,
            TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets(settings.applicationId()).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        List<String> read = new ArrayList<>(inputTopics());
        String internal = settings.applicationId() + "-";
        Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        existing.stream().filter(t -> t.startsWith(internal) && t.endsWith("-repartition")).forEach(read::add);
        if (existing.contains(settings.mergeMovesTopic())) {
            read.add(settings.mergeMovesTopic());
        }
        admin.describeTopics(read).allTopicNames().get(30, TimeUnit.SECONDS).forEach((topic, d) ->
                d.partitions().forEach(p -> wanted.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        wanted.keySet().forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(wanted).all()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all()
                .get(30, TimeUnit.SECONDS);
        long lag = 0;
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long position = c != null ? c.offset() : starts.get(e.getKey()).offset();
            lag += Math.max(0, e.getValue().offset() - position);
        }
        return lag;
    }

    /**
     * The latest timeline record per NHS number on {@code topic}, read (read_committed, no group)
     * from the beginning to the end offsets as they were when called.
     */
    public static Map<String, Timeline> readTimelines(String bootstrapServers, String topic, Topics topics) {
        return readTimelines(org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers), topic, topics);
    }

    /** As {@link #readTimelines(String, String, Topics)}, connecting as {@code kafka}. */
    public static Map<String, Timeline> readTimelines(org.caretrail.events.kafka.KafkaClientSettings kafka, String topic,
            Topics topics) {
        Map<String, Timeline> latest = new HashMap<>();
        read(kafka, topic, topics.timelines().valueSerde().deserializer(), (nhs, t) -> {
            if (t == null) {
                latest.remove(nhs);
            } else {
                latest.put(nhs, t);
            }
        });
        return latest;
    }

    /** Every timeline change on {@code topic} (as {@link #readTimelines}), in partition order. */
    public static List<TimelineChange> readChanges(String bootstrapServers, String topic, Topics topics) {
        List<TimelineChange> changes = new ArrayList<>();
        read(org.caretrail.events.kafka.KafkaClientSettings.plaintext(bootstrapServers), topic,
                topics.timelineChanges().valueSerde().deserializer(), (nhs, c) -> changes.add(c));
        return changes;
    }

    private static <V> void read(org.caretrail.events.kafka.KafkaClientSettings kafka, String topic,
            Deserializer<V> values, BiConsumer<String, V> sink) {
        Map<String, Object> config = kafka.config(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            var infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist");
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + READ_TIMEOUT);
                }
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, byte[]> r : records) {
                    sink.accept(r.key(), r.value() == null ? null : values.deserialize(r.topic(), r.value()));
                }
            }
        }
    }

    /**
     * Compares two sets of timelines per NHS number: summary, entries and {@code truncated} must be
     * equal; {@code updatedAt} (when the record was written) is ignored.
     */
    public static Comparison compare(Map<String, Timeline> live, Map<String, Timeline> rebuilt) {
        SortedSet<String> onlyLive = new TreeSet<>(live.keySet());
        onlyLive.removeAll(rebuilt.keySet());
        SortedSet<String> onlyRebuilt = new TreeSet<>(rebuilt.keySet());
        onlyRebuilt.removeAll(live.keySet());
        SortedSet<String> different = new TreeSet<>();
        int same = 0;
        for (Map.Entry<String, Timeline> e : live.entrySet()) {
            Timeline other = rebuilt.get(e.getKey());
            if (other == null) {
                continue;
            }
            if (sameContent(e.getValue(), other)) {
                same++;
            } else {
                different.add(e.getKey());
            }
        }
        return new Comparison(live.size(), rebuilt.size(), same, onlyLive, onlyRebuilt, different);
    }

    /** Equal but for {@code updatedAt}. */
    public static boolean sameContent(Timeline a, Timeline b) {
        Schema schema = Timeline.getClassSchema();
        return EQUALITY.same(a.getNhsNumber(), b.getNhsNumber(), schema.getField("nhsNumber").schema())
                && EQUALITY.same(a.getSummary(), b.getSummary(), schema.getField("summary").schema())
                && EQUALITY.same(a.getEntries(), b.getEntries(), schema.getField("entries").schema())
                && a.getTruncated() == b.getTruncated();
    }

    private static final Equality EQUALITY = new Equality();

    /**
     * Field-by-field equality that knows the logical types everywhere. Avro's own {@code equals}
     * on a decoded array ({@code GenericData.Array}) resolves unions with {@code GenericData.get()},
     * which knows no logical types, and fails on e.g. a spell's optional {@code dischargedAt}.
     */
    private static final class Equality extends SpecificData {
        Equality() {
            addLogicalTypeConversion(new TimeConversions.TimestampMillisConversion());
            addLogicalTypeConversion(new TimeConversions.DateConversion());
        }

        boolean same(Object a, Object b, Schema schema) {
            return compare(a, b, schema, true) == 0;
        }
    }

    /** The outcome of {@link #compare}: patients on each side, equal ones, and which NHS numbers differ. */
    public record Comparison(int livePatients, int rebuiltPatients, int identicalPatients,
            SortedSet<String> onlyLive, SortedSet<String> onlyRebuilt, SortedSet<String> different) {

        public boolean identical() {
            return onlyLive.isEmpty() && onlyRebuilt.isEmpty() && different.isEmpty();
        }

        @Override
        public String toString() {
            return "live " + livePatients + " patients, rebuilt " + rebuiltPatients + ", identical "
                    + identicalPatients + ", only live " + first(onlyLive) + ", only rebuilt " + first(onlyRebuilt)
                    + ", different " + first(different);
        }

        private static String first(SortedSet<String> s) {
            return s.size() + (s.isEmpty() ? "" : " " + s.stream().limit(10).toList());
        }
    }
}
