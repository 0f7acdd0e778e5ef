package org.caretrail.bench.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.TimelineSettings;
import org.caretrail.timeline.TimelineTopology;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.HospitalSpells;
import org.caretrail.timeline.domain.TimelineChanges;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.domain.TimelineOrder;
import org.caretrail.timeline.domain.TimelineRecords;
import org.caretrail.timeline.domain.TimelineSummaries;
import org.caretrail.timeline.processor.CareItemSerde;

/**
 * The same timeline job on Apache Flink 2.3, as a team choosing Flink instead would write it: a Kafka source of
 * every care event topic (read_committed), keyed by patient, a keyed process function with the patient's care
 * items and summary in RocksDB state, and an exactly-once Kafka sink (transactions committed on each
 * checkpoint; the checkpoint interval is CareTrail's commit interval). It computes with CareTrail's own pure rules
 * ({@code org.caretrail.timeline.domain}: {@link CareItem}, {@link TimelineEntries}, {@link TimelineSummaries},
 * {@link TimelineChanges}, {@link TimelineRecords}), so it writes the same timeline changes and the same
 * care.timelines records (each patient's at most once a second, as {@code timeline.emit.interval}); the bench
 * checks that on a sample. Its scope is CareTrail's hot path (events keyed by NHS number): no identity
 * resolution, merges or dead letters (the bench's events need none).
 *
 * <p>Runs in a local MiniCluster in this JVM until SIGTERM, which cancels the job keeping its last checkpoint;
 * the next start restores from it.
 *
 * <pre>
 * java -cp ... org.caretrail.bench.jobs.FlinkTimelineJob BOOTSTRAP REGISTRY_URL GROUP STATE_DIR CHANGES_TOPIC
 *     TIMELINES_TOPIC PARALLELISM CHECKPOINT_INTERVAL_MS
 * </pre>
 */
public final class FlinkTimelineJob {

    private FlinkTimelineJob() {
    }

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String registryUrl = args[1];
        String group = args[2];
        Path stateDir = Path.of(args[3]).toAbsolutePath();
        String changesTopic = args[4];
        String timelinesTopic = args[5];
        int parallelism = Integer.parseInt(args[6]);
        long checkpointMs = Long.parseLong(args[7]);

        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, stateDir.resolve("checkpoints").toUri().toString());
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(checkpointMs));
        conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        latestCheckpoint(stateDir.resolve("checkpoints"))
                .ifPresent(p -> conf.set(StateRecoveryOptions.SAVEPOINT_PATH, p.toUri().toString()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);

        List<String> inputs = TimelineTopology.timelineEventTypes().stream().map(CareEventType::topic).toList();
        KafkaSource<Tuple3<String, String, byte[]>> source = KafkaSource.<Tuple3<String, String, byte[]>>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(inputs)
                .setGroupId(group)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperty("isolation.level", "read_committed")
                .setDeserializer(new RawRecords())
                .build();
        KafkaSink<Tuple3<String, String, byte[]>> sink = KafkaSink.<Tuple3<String, String, byte[]>>builder()
                .setBootstrapServers(bootstrap)
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(group)
                .setProperty("transaction.timeout.ms", "60000")
                .setProperty("compression.type", "lz4")
                .setRecordSerializer(new ToTopic())
                .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "care-events")
                .keyBy(t -> t.f1)
                .process(new Timelines(registryUrl, changesTopic, timelinesTopic))
                .returns(RawRecords.TYPE)
                .name("timeline-builder")
                .sinkTo(sink)
                .name("timeline-outputs");

        JobClient job = env.executeAsync("caretrail-timeline-on-flink");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                job.cancel().get();
            } catch (Exception e) {
                System.err.println("cancelling the Flink job failed: " + e);
            }
            stopped.countDown();
        }, "cancel-flink-job"));
        stopped.await();
    }

    /** The newest retained checkpoint under {@code dir} ({@code <job>/chk-N} with its metadata), if any. */
    static Optional<Path> latestCheckpoint(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> all = Files.walk(dir, 2)) {
            return all.filter(p -> p.getFileName().toString().startsWith("chk-"))
                    .filter(p -> Files.exists(p.resolve("_metadata")))
                    .max(Comparator.comparingLong(p -> p.toFile().lastModified()));
        }
    }

    /** A Kafka record as (topic, key, value bytes). */
    static final class RawRecords implements KafkaRecordDeserializationSchema<Tuple3<String, String, byte[]>> {
        static final TypeInformation<Tuple3<String, String, byte[]>> TYPE = Types.TUPLE(Types.STRING, Types.STRING,
                PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Tuple3<String, String, byte[]>> out) {
            if (record.key() != null && record.value() != null) {
                out.collect(Tuple3.of(record.topic(), new String(record.key(), java.nio.charset.StandardCharsets.UTF_8),
                        record.value()));
            }
        }

        @Override
        public TypeInformation<Tuple3<String, String, byte[]>> getProducedType() {
            return TYPE;
        }
    }

    /** Writes (topic, key, value bytes). */
    static final class ToTopic implements KafkaRecordSerializationSchema<Tuple3<String, String, byte[]>> {
        @Override
        public ProducerRecord<byte[], byte[]> serialize(Tuple3<String, String, byte[]> t, KafkaSinkContext context,
                Long timestamp) {
            return new ProducerRecord<>(t.f0, t.f1.getBytes(java.nio.charset.StandardCharsets.UTF_8), t.f2);
        }
    }

    /**
     * One patient's timeline in Flink keyed state: its care items ({@code entryId} → the item, CareTrail's store
     * format) and its summary; outputs the timeline changes at once and the care.timelines record on a timer.
     */
    static final class Timelines extends KeyedProcessFunction<String, Tuple3<String, String, byte[]>,
            Tuple3<String, String, byte[]>> {
        private final String registryUrl;
        private final String changesTopic;
        private final String timelinesTopic;
        private transient Topics topics;
        private transient CareItemSerde itemSerde;
        private transient AvroSerde<TimelineSummary> summarySerde;
        private transient CareEventValidator validator;
        private transient MapState<String, byte[]> items;
        private transient ValueState<byte[]> summaryState;
        private transient ValueState<Long> due;
        private final int maxEntries = TimelineSettings.MAX_TIMELINE_ENTRIES.defaultValue();
        private final long budget = TimelineSettings.RECORD_BUDGET.defaultValue();
        private final long emitMs = TimelineSettings.TIMELINE_EMIT_INTERVAL.defaultValue().toMillis();

        Timelines(String registryUrl, String changesTopic, String timelinesTopic) {
            this.registryUrl = registryUrl;
            this.changesTopic = changesTopic;
            this.timelinesTopic = timelinesTopic;
        }

        @Override
        public void open(OpenContext context) {
            topics = new Topics(new RestSchemaRegistry(registryUrl));
            itemSerde = new CareItemSerde(topics.registry());
            summarySerde = AvroSerde.of(TimelineSummary.class, topics.registry());
            validator = new CareEventValidator(Clock.systemUTC(), TimelineSettings.MAX_FUTURE_SKEW.defaultValue());
            items = getRuntimeContext().getMapState(new MapStateDescriptor<>("items", Types.STRING,
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            summaryState = getRuntimeContext().getState(new ValueStateDescriptor<>("summary",
                    PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            due = getRuntimeContext().getState(new ValueStateDescriptor<>("due", Types.LONG));
        }

        @Override
        public void processElement(Tuple3<String, String, byte[]> in, Context ctx,
                Collector<Tuple3<String, String, byte[]>> out) throws Exception {
            CareEventType type = CareEventType.byTopic(in.f0).orElse(null);
            if (type == null) {
                return;
            }
            SpecificRecord event;
            try {
                event = CareEvents.canonical(topics.events(type).valueSerde().deserializer().deserialize(in.f0, in.f2));
            } catch (RuntimeException e) {
                return; // CareTrail dead-letters it; the bench's events are all valid
            }
            if (!validator.problems(event).isEmpty()) {
                return;
            }
            String nhs = ctx.getCurrentKey();
            TimelineEntry entry = TimelineEntries.placedFor(TimelineEntries.fromEvent(event), nhs);
            byte[] stored = items.get(entry.getEntryId());
            CareItem before = stored == null ? null : itemSerde.deserialize("", stored);
            CareItem after = before == null ? CareItem.of(entry) : before.with(entry);
            if (after == before) {
                return; // a duplicate
            }
            items.put(entry.getEntryId(), itemSerde.serialize("", after));
            if (!TimelineChanges.shows(before, after)) {
                return;
            }
            long now = ctx.timerService().currentProcessingTime();
            TimelineEntry was = before == null ? null : before.displayed();
            TimelineEntry is = after.displayed();
            byte[] s = summaryState.value();
            TimelineSummary summary = s == null ? TimelineSummaries.empty() : summarySerde.deserialize("", s);
            TimelineSummaries.change(summary, was, is, new StateView(), Instant.ofEpochMilli(now));
            summaryState.update(summarySerde.serialize("", summary));
            Optional<ChangeKind> kind = TimelineChanges.between(was, is);
            if (kind.isPresent()) {
                TimelineEntry announced = is != null ? is
                        : TimelineEntry.newBuilder(was).setStatus(EntryStatus.WITHDRAWN).build();
                TimelineChange change = TimelineChange.newBuilder()
                        .setChangeId(TimelineChanges.changeId(announced, kind.get()))
                        .setNhsNumber(nhs)
                        .setKind(kind.get())
                        .setEntry(announced)
                        .setChangedAt(Instant.ofEpochMilli(now))
                        .setRegisteredPracticeOdsCode(summary.getRegisteredPracticeOdsCode())
                        .build();
                out.collect(Tuple3.of(changesTopic, nhs,
                        topics.timelineChanges().valueSerde().serializer().serialize(changesTopic, change)));
            }
            if (due.value() == null) {
                long at = (now / emitMs + 1) * emitMs;
                ctx.timerService().registerProcessingTimeTimer(at);
                due.update(at);
            }
        }

        @Override
        public void onTimer(long timestamp, OnTimerContext ctx, Collector<Tuple3<String, String, byte[]>> out)
                throws Exception {
            due.clear();
            byte[] s = summaryState.value();
            if (s == null) {
                return;
            }
            TimelineSummary summary = summarySerde.deserialize("", s);
            List<TimelineEntry> newestFirst = new ArrayList<>();
            for (CareItem item : all()) {
                TimelineEntry e = item.displayed();
                if (e != null && e.getStatus() == EntryStatus.CURRENT) {
                    newestFirst.add(e);
                }
            }
            newestFirst.sort(TimelineOrder.ORDER.reversed());
            Timeline timeline = TimelineRecords.build(ctx.getCurrentKey(), summary,
                    newestFirst.subList(0, Math.min(maxEntries, newestFirst.size())), Instant.ofEpochMilli(timestamp),
                    maxEntries, budget);
            out.collect(Tuple3.of(timelinesTopic, ctx.getCurrentKey(),
                    topics.timelines().valueSerde().serializer().serialize(timelinesTopic, timeline)));
        }

        private List<CareItem> all() throws Exception {
            List<CareItem> all = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : items.entries()) {
                all.add(itemSerde.deserialize("", e.getValue()));
            }
            return all;
        }

        /** The derived views' reads, over the patient's items in keyed state (read once per event). */
        private final class StateView implements TimelineSummaries.ViewSource {
            private List<CareItem> loaded;

            private List<CareItem> items() {
                if (loaded == null) {
                    try {
                        loaded = all();
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot read the patient's items: " + e, e);
                    }
                }
                return loaded;
            }

            private List<TimelineEntry> shown() {
                List<TimelineEntry> out = new ArrayList<>();
                items().forEach(i -> {
                    if (i.displayed() != null) {
                        out.add(i.displayed());
                    }
                });
                out.sort(TimelineOrder.ORDER);
                return out;
            }

            @Override
            public List<TimelineEntry> itemsOfType(EventType type) {
                return shown().stream().filter(e -> e.getType() == type).toList();
            }

            @Override
            public List<TimelineEntry> spellMembers(String odsCode, String spellId) {
                return shown().stream().filter(e -> HospitalSpells.isMember(e)
                        && e.getSource().getOdsCode().equals(odsCode) && spellId.equals(HospitalSpells.spellId(e)))
                        .toList();
            }

            @Override
            public List<TimelineEntry> entriesAfter(Instant t, int limit) {
                return shown().stream().filter(e -> e.getStatus() == EntryStatus.CURRENT && e.getOccurredAt().isAfter(t))
                        .limit(limit).toList();
            }

            @Override
            public boolean admissionSeen(TimelineEntry admission) {
                Set<String> seen = new HashSet<>();
                items().stream().filter(CareItem::statedByNew).forEach(i -> seen.add(i.entryId()));
                return seen.contains(admission.getEntryId());
            }
        }
    }
}
