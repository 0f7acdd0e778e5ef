package org.caretrail.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.caretrail.bench.jobs.CareTrailJob;
import org.caretrail.bench.jobs.FlinkTimelineJob;
import org.caretrail.bench.jobs.StreamsAggregationJob;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.timeline.TimelineTopology;

/**
 * One job the bench runs on the same events, in JVMs of its own: how to start it (or resume it: the same ids
 * continue from its committed offsets and state), what it reads, and what its output says.
 */
abstract class Contender {

    /** What every contender is started with. */
    record Context(String bootstrapServers, String registryUrl, Path dataDir, List<String> jvmOptions,
            long commitIntervalMs) {
    }

    private final String name;

    Contender(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    /** The topic whose records show the contender's progress (read as a downstream consumer would). */
    abstract String outputTopic();

    /** Output topics the bench creates before the run (a contender's own). */
    List<String> ownTopics() {
        return List.of();
    }

    /** A fresh reader of the output (it may keep state per key). */
    abstract OutputWatcher.Output output();

    /** The consumer group whose committed offsets say how far it has read. */
    abstract String group();

    /** The topics it reads. */
    List<String> inputs() {
        return TimelineTopology.timelineEventTypes().stream().map(CareEventType::topic).toList();
    }

    /** Starts {@code instances} JVMs of the job (the same ids, so they share the work and the group). */
    abstract List<ChildJvm> start(Context c, int instances) throws IOException;

    /** Output: one {@code TimelineChange} per input event (CareTrail, Flink). */
    static OutputWatcher.Output changes(Deserializer<TimelineChange> changes, String topic) {
        return new OutputWatcher.Output() {
            @Override
            public long accounted(byte[] key, byte[] value) {
                return 1;
            }

            @Override
            public String eventId(byte[] key, byte[] value) {
                return changes.deserialize(topic, value).getEntry().getEventId();
            }
        };
    }

    /** CareTrail's timeline stream processor, as {@code caretrail up} runs it. */
    static final class CareTrail extends Contender {
        private final String applicationId;
        private final Deserializer<TimelineChange> changes;
        private final List<String> settings;

        CareTrail(String applicationId, Deserializer<TimelineChange> changes, List<String> settings) {
            super("CareTrail");
            this.applicationId = applicationId;
            this.changes = changes;
            this.settings = settings;
        }

        @Override
        String outputTopic() {
            return "care.timeline-changes";
        }

        @Override
        OutputWatcher.Output output() {
            return changes(changes, outputTopic());
        }

        @Override
        String group() {
            return applicationId;
        }

        @Override
        List<String> inputs() {
            List<String> all = new ArrayList<>(super.inputs());
            all.add(CareEventType.PATIENT_IDENTITY.topic());
            return all;
        }

        @Override
        List<ChildJvm> start(Context c, int instances) throws IOException {
            List<ChildJvm> jvms = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                List<String> args = new ArrayList<>(List.of(c.registryUrl(),
                        "timeline.bootstrap.servers=" + c.bootstrapServers(),
                        "timeline.application.id=" + applicationId,
                        "timeline.commit.interval=PT" + c.commitIntervalMs() / 1000.0 + "S",
                        "timeline.state.dir=" + c.dataDir().resolve("state/" + applicationId + "-" + i)));
                args.addAll(settings);
                jvms.add(ChildJvm.start(applicationId + "-" + i, CareTrailJob.class, args, ChildJvm::withoutFlink,
                        c.jvmOptions(), c.dataDir().resolve("logs")));
            }
            return jvms;
        }
    }

    /** The least a per-patient Kafka Streams job does with the same events (the framework's cost). */
    static final class StreamsAggregation extends Contender {
        static final String OUTPUT = "bench.streams.patient-counts";
        private final String applicationId;

        StreamsAggregation(String applicationId) {
            super("Kafka Streams, count per patient");
            this.applicationId = applicationId;
        }

        @Override
        String outputTopic() {
            return OUTPUT;
        }

        @Override
        List<String> ownTopics() {
            return List.of(OUTPUT);
        }

        @Override
        OutputWatcher.Output output() {
            Map<String, Long> seen = new HashMap<>();
            return new OutputWatcher.Output() {
                @Override
                public long accounted(byte[] key, byte[] value) {
                    long count = Long.parseLong(text(value).substring(0, text(value).indexOf('|')));
                    Long before = seen.put(text(key), count);
                    return Math.max(0, count - (before == null ? 0 : before));
                }

                @Override
                public String eventId(byte[] key, byte[] value) {
                    String v = text(value);
                    return v.substring(v.indexOf('|') + 1);
                }
            };
        }

        @Override
        String group() {
            return applicationId;
        }

        @Override
        List<ChildJvm> start(Context c, int instances) throws IOException {
            List<ChildJvm> jvms = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                jvms.add(ChildJvm.start(applicationId + "-" + i, StreamsAggregationJob.class,
                        List.of(c.bootstrapServers(), c.registryUrl(), applicationId,
                                c.dataDir().resolve("state/" + applicationId + "-" + i).toString(), OUTPUT,
                                Long.toString(c.commitIntervalMs())),
                        ChildJvm::withoutFlink, c.jvmOptions(), c.dataDir().resolve("logs")));
            }
            return jvms;
        }

        private static String text(byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    /** The same timeline job on Apache Flink (MiniCluster, RocksDB state, exactly-once Kafka sink). */
    static final class Flink extends Contender {
        static final String CHANGES = "bench.flink.timeline-changes";
        static final String TIMELINES = "bench.flink.timelines";
        private final String group;
        private final Deserializer<TimelineChange> changes;
        private final int parallelism;

        Flink(String group, Deserializer<TimelineChange> changes, int parallelism) {
            super("Apache Flink 2.3, same timeline job");
            this.group = group;
            this.changes = changes;
            this.parallelism = parallelism;
        }

        @Override
        String outputTopic() {
            return CHANGES;
        }

        @Override
        List<String> ownTopics() {
            return List.of(CHANGES, TIMELINES);
        }

        @Override
        OutputWatcher.Output output() {
            return changes(changes, CHANGES);
        }

        @Override
        String group() {
            return group;
        }

        @Override
        List<ChildJvm> start(Context c, int instances) throws IOException {
            if (instances != 1) {
                throw new IllegalArgumentException("the Flink job runs in one MiniCluster (parallelism "
                        + parallelism + ")");
            }
            return List.of(ChildJvm.start(group, FlinkTimelineJob.class,
                    List.of(c.bootstrapServers(), c.registryUrl(), group,
                            c.dataDir().resolve("state/" + group).toString(), CHANGES, TIMELINES,
                            Integer.toString(parallelism), Long.toString(c.commitIntervalMs())),
                    ChildJvm::forFlink, List.of(ChildJvm.flinkKafkaClient()), c.jvmOptions(), c.dataDir().resolve("logs")));
        }
    }
}
