package org.caretrail.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a contender's output topic as a downstream consumer would (read_committed: under exactly-once a record
 * is visible only once its transaction committed), from its end when the watcher starts, and hands each record
 * to {@link Output} with the moment it arrived. Counts the input events the output accounts for, and notes when
 * the first and the last of them showed.
 */
final class OutputWatcher implements AutoCloseable {

    /** What one output record says. */
    interface Output {
        /** Input events this record newly accounts for (0 for a record that repeats what was known). */
        long accounted(byte[] key, byte[] value);

        /** The input event that caused the record, for latency; null when it does not say. */
        String eventId(byte[] key, byte[] value);
    }

    /** Called for each record with the input event that caused it and when the record became visible. */
    interface Arrival {
        void arrived(String eventId, long nanoTime);
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicLong accounted = new AtomicLong();
    private volatile long firstNanos;
    private volatile long lastNanos;
    private volatile Arrival arrival = (id, t) -> { };
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    OutputWatcher(String bootstrapServers, String topic, Output output) {
        this.consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position); // fix the start before the contender writes anything
        this.thread = new Thread(() -> loop(output), "watch-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private void loop(Output output) {
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(50));
                long now = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    long n = output.accounted(r.key(), r.value());
                    if (n > 0) {
                        if (firstNanos == 0) {
                            firstNanos = now;
                        }
                        lastNanos = now;
                        accounted.addAndGet(n);
                    }
                    Arrival a = arrival;
                    String eventId = output.eventId(r.key(), r.value());
                    if (eventId != null) {
                        a.arrived(eventId, now);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close();
        }
    }

    void onArrival(Arrival a) {
        this.arrival = a;
    }

    long accounted() {
        if (failure != null) {
            throw new IllegalStateException("reading the output failed: " + failure, failure);
        }
        return accounted.get();
    }

    long firstNanos() {
        return firstNanos;
    }

    long lastNanos() {
        return lastNanos;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
