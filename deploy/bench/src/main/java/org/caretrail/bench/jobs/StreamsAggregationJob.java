package org.caretrail.bench.jobs;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.serde.RestSchemaRegistry;
import org.caretrail.events.topic.Topics;

/**
 * The framework's own cost: the least a per-patient job on Kafka Streams can do with the same events, under
 * the same guarantee (exactly_once_v2, the same commit interval). Reads every care event topic, decodes each
 * event (Avro, Confluent framing, through the same registry), and keeps per patient how many events it has
 * seen and the last one's id (a cached, logged store); every change of that goes to {@code OUTPUT} as
 * {@code count|eventId}. No validation, no timeline rules, no derived views.
 *
 * <pre>
 * java -cp ... org.caretrail.bench.jobs.StreamsAggregationJob BOOTSTRAP REGISTRY_URL APPLICATION_ID STATE_DIR OUTPUT
 *     COMMIT_INTERVAL_MS
 * </pre>
 */
public final class StreamsAggregationJob {

    private StreamsAggregationJob() {
    }

    public static void main(String[] args) throws InterruptedException {
        Topics topics = new Topics(new RestSchemaRegistry(args[1]));
        Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[2]);
        p.put(StreamsConfig.STATE_DIR_CONFIG, Path.of(args[3]).toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(args[5]));
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        p.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
        List<String> inputs = java.util.Arrays.stream(CareEventType.values())
                .filter(t -> t.timelineType().isPresent()).map(CareEventType::topic).toList();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(inputs, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("care-events"))
                .processValues(() -> new Decode(topics), Named.as("decode"))
                .groupByKey(Grouped.with("by-patient", Serdes.String(), Serdes.String()))
                .aggregate(() -> "0|", (patient, eventId, seen) -> (count(seen) + 1) + "|" + eventId,
                        Named.as("count-per-patient"),
                        Materialized.<String, String, org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]>>as("patient-counts")
                                .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
                .toStream(Named.as("changes"))
                .to(args[4], Produced.with(Serdes.String(), Serdes.String()).withName("output"));
        KafkaStreams streams = new KafkaStreams(builder.build(p), p);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            closed.countDown();
        }, "close-aggregation"));
        streams.start();
        closed.await();
    }

    /** The event's id, decoded with its topic's serde (the framing's schema id names the writer's schema). */
    private static final class Decode implements FixedKeyProcessor<String, byte[], String> {
        private final Topics topics;
        private FixedKeyProcessorContext<String, String> context;

        Decode(Topics topics) {
            this.topics = topics;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, String> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> record) {
            String topic = context.recordMetadata().map(RecordMetadata::topic).orElseThrow();
            CareEventType type = CareEventType.byTopic(topic).orElseThrow();
            SpecificRecord event = topics.events(type).valueSerde().deserializer().deserialize(topic, record.value());
            context.forward(record.withValue(CareEvents.header(event).getEventId()));
        }
    }

    static long count(String value) {
        return Long.parseLong(value.substring(0, value.indexOf('|')));
    }
}
