package org.caretrail.producers.hl7;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.topic.CareTopics;

/**
 * Message logs over Kafka's MockProducer and MockConsumer, for unit tests (the real broker is in
 * deploy's integration tests). {@link #restartedFrom} gives a second instance that reads what a first
 * one wrote: a restart, or another pod.
 */
final class TestMessageLogs {

    static final String TOPIC = CareTopics.HL7_MESSAGE_LOG;
    private static final TopicPartition PARTITION = new TopicPartition(TOPIC, 0);

    /** A log and the producer it writes with. */
    record TestLog(Hl7MessageLog log, MockProducer<String, byte[]> producer) {
        /** What this log wrote to Kafka, in order. */
        List<ProducerRecord<String, byte[]>> written() {
            return producer.history();
        }
    }

    private TestMessageLogs() {
    }

    /** A log over an empty topic. */
    static TestLog empty(Hl7Settings settings) {
        return over(List.of(), settings, true);
    }

    /** A log whose topic holds what {@code earlier} wrote: it reads it all at start. */
    static TestLog restartedFrom(List<ProducerRecord<String, byte[]>> earlier, Hl7Settings settings) {
        return over(earlier, settings, true);
    }

    /** A log whose writes fail (Kafka refuses them) once started. */
    static TestLog failingWrites(Hl7Settings settings) {
        return over(List.of(), settings, false);
    }

    private static TestLog over(List<ProducerRecord<String, byte[]>> records, Hl7Settings settings,
                                boolean writesSucceed) {
        MockProducer<String, byte[]> producer = new MockProducer<>(writesSucceed, null, new StringSerializer(),
                new ByteArraySerializer());
        if (!writesSucceed) {
            producer.sendException = new org.apache.kafka.common.errors.TimeoutException("log write refused");
        }
        MockConsumer<String, byte[]> consumer = new PacedConsumer();
        consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(PARTITION, 0L));
        consumer.updateEndOffsets(Map.of(PARTITION, (long) records.size()));
        List<ConsumerRecord<String, byte[]>> stored = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            ProducerRecord<String, byte[]> r = records.get(i);
            stored.add(new ConsumerRecord<>(TOPIC, 0, i, r.key(), r.value()));
        }
        if (!stored.isEmpty()) {
            consumer.schedulePollTask(() -> stored.forEach(consumer::addRecord));
        }
        return new TestLog(new Hl7MessageLog(TOPIC, producer, consumer, settings, Clock.systemUTC()), producer);
    }

    /** MockConsumer's poll returns at once; this one waits a little when there is nothing, as a real one would. */
    private static final class PacedConsumer extends MockConsumer<String, byte[]> {
        PacedConsumer() {
            super("earliest");
        }

        @Override
        public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
            ConsumerRecords<String, byte[]> records = super.poll(timeout);
            if (records.isEmpty()) {
                try {
                    wait(Math.min(50, timeout.toMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return records;
        }
    }
}
