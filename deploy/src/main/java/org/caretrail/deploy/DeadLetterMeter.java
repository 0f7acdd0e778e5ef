package org.caretrail.deploy;

import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.caretrail.events.kafka.KafkaClientSettings;
import org.caretrail.events.metrics.CareMetrics;
import org.caretrail.events.topic.CareTopics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the records written to {@code care.dead-letter} from the time the platform started, by reason
 * category and origin ({@link CareMetrics#DEAD_LETTERS}): every writer (the MLLP listener, the FHIR
 * gateway, the stream processor's handlers, file imports, a third party's publisher) is seen, because it is
 * counted where they all meet, the topic, and not in each of them. Only the headers are read; the
 * original bytes (which may hold a patient's details) are never looked at, and the free-text reason is
 * turned into one of a few categories ({@link CareMetrics#deadLetterReason}).
 *
 * <p>A consumer without a group (it commits nothing and joins nothing), from the end of each partition,
 * on its own thread.
 */
final class DeadLetterMeter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterMeter.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final MeterRegistry registry;
    private final Thread thread;
    private volatile boolean running = true;

    /** @param kafka a principal that may read {@code care.dead-letter} (the operator's) */
    DeadLetterMeter(KafkaClientSettings kafka, MeterRegistry registry) {
        this.registry = registry;
        this.consumer = new KafkaConsumer<>(kafka.config(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-dead-letter-meter",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024 * 1024)),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // every category starts at zero (a few dozen series), so a rate over them is defined from the start
        for (String reason : CareMetrics.DEAD_LETTER_REASONS) {
            for (String origin : CareMetrics.DEAD_LETTER_ORIGINS) {
                registry.counter(CareMetrics.DEAD_LETTERS, CareMetrics.REASON, reason, CareMetrics.ORIGIN, origin);
            }
        }
        this.thread = new Thread(this::run, "caretrail-dead-letter-meter");
        this.thread.setDaemon(true);
    }

    DeadLetterMeter start() {
        List<TopicPartition> partitions = consumer.partitionsFor(CareTopics.DEAD_LETTER, Duration.ofSeconds(10))
                .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // fix "the end" now: what is written after start is counted
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
                        count(header(record, CareTopics.HEADER_REASON), header(record, CareTopics.HEADER_SOURCE_TOPIC));
                    }
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) { // Kafka away, a rebalance of nothing: said, then tried again
                    LOG.warn("cannot read {} to count dead letters: {}", CareTopics.DEAD_LETTER, e.toString());
                    Thread.sleep(5_000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    void count(String reason, String origin) {
        registry.counter(CareMetrics.DEAD_LETTERS, CareMetrics.REASON, CareMetrics.deadLetterReason(reason),
                CareMetrics.ORIGIN, CareMetrics.deadLetterOrigin(origin)).increment();
    }

    private static String header(ConsumerRecord<?, ?> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5_000);
    }
}
