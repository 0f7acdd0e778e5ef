package org.caretrail.deploy.bench;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.events.CareEvents;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.publisher.CarePublisher;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationProfile;

/**
 * Events through the whole pipeline: synthetic events published as fast as the publisher library
 * goes, each timed from its send until its change appears on {@code care.timeline-changes}
 * (validated, re-keyed, ordered, written by the timeline stream processor under exactly-once).
 */
public final class PipelineBenchmark {

    /** What one run measured. */
    public record Result(long published, long failed, String firstFailure, long seen, Duration publishTime, Duration pipelineTime, double publishedPerSecond,
                         double pipelinePerSecond, double p50Millis, double p99Millis, double maxMillis,
                         double averageEventBytes) {
    }

    private final String bootstrapServers;
    private final Topics topics;

    public PipelineBenchmark(String bootstrapServers, Topics topics) {
        this.bootstrapServers = bootstrapServers;
        this.topics = topics;
    }

    /**
     * @param ratePerSecond 0 publishes as fast as the publisher goes (a backlog: latency then measures the queue);
     *     a rate below the pipeline's capacity measures latency of a steady flow
     */
    public Result run(int events, double ratePerSecond, long seed, Duration timeout, Consumer<String> progress)
            throws InterruptedException {
        Map<String, Long> sentAt = new ConcurrentHashMap<>(events * 2);
        long[] latencies = new long[events];
        AtomicLong seen = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong lastSeenAt = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        java.util.concurrent.atomic.AtomicReference<String> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topics.timelineChanges().name())
                    .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fix the start before anything is published

            Thread publisherThread;
            long[] publishWindow = new long[2];
            try (CarePublisher publisher = CarePublisher.connect(bootstrapServers, topics, "caretrail-bench")) {
                PopulationSimulator population = new PopulationSimulator(seed, Math.max(1, events / 4), Clock.systemUTC(),
                        SimulationProfile.BENCHMARK);
                List<SpecificRecord> batch = population.events().limit(events).toList();
                if (batch.size() < events) {
                    throw new IllegalStateException("the simulator made only " + batch.size() + " events");
                }
                progress.accept(String.format("publishing %,d events", events));
                publisherThread = new Thread(() -> {
                    publishWindow[0] = System.nanoTime();
                    long sent = 0;
                    for (SpecificRecord event : batch) {
                        if (ratePerSecond > 0) {
                            long due = publishWindow[0] + (long) (sent++ * 1e9 / ratePerSecond);
                            long wait = due - System.nanoTime();
                            if (wait > 0) {
                                java.util.concurrent.locks.LockSupport.parkNanos(wait);
                            }
                        }
                        sentAt.put(CareEvents.header(event).getEventId(), System.nanoTime());
                        String eventId = CareEvents.header(event).getEventId();
                        publisher.publish(event).whenComplete((m, error) -> {
                            if (error != null) {
                                failed.incrementAndGet();
                                firstFailure.compareAndSet(null, eventId + ": " + error);
                                sentAt.remove(eventId);
                            } else {
                                bytes.addAndGet(m.serializedValueSize());
                            }
                        });
                    }
                    publisher.flush();
                    publishWindow[1] = System.nanoTime();
                }, "bench-publisher");
                publisherThread.start();
                long deadline = System.nanoTime() + timeout.toNanos();
                long lastReport = System.nanoTime();
                while (seen.get() + failed.get() < events && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        long now = System.nanoTime();
                        TimelineChange change = topics.timelineChanges().valueSerde().deserializer()
                                .deserialize(record.topic(), record.value());
                        Long sent = sentAt.remove(change.getEntry().getEventId());
                        if (sent != null) {
                            latencies[(int) seen.getAndIncrement()] = now - sent;
                            lastSeenAt.set(now);
                        }
                    }
                    if (System.nanoTime() - lastReport > 2_000_000_000L) {
                        lastReport = System.nanoTime();
                        progress.accept(String.format("%,d of %,d events through the pipeline", seen.get(), events));
                    }
                }
                publisherThread.join();
                if (!sentAt.isEmpty()) {
                    progress.accept("not seen on " + topics.timelineChanges().name() + ": "
                            + sentAt.keySet().stream().limit(5).toList() + (sentAt.size() > 5 ? " ..." : ""));
                }
            }
            long n = seen.get();
            long[] measured = Arrays.copyOf(latencies, (int) n);
            Arrays.sort(measured);
            Duration publishTime = Duration.ofNanos(publishWindow[1] - publishWindow[0]);
            Duration pipelineTime = Duration.ofNanos(Math.max(1, lastSeenAt.get() - publishWindow[0]));
            return new Result(events, failed.get(), firstFailure.get(), n, publishTime, pipelineTime, events / seconds(publishTime),
                    n / seconds(pipelineTime), percentile(measured, 0.50), percentile(measured, 0.99),
                    n == 0 ? Double.NaN : measured[measured.length - 1] / 1e6, bytes.get() / (double) Math.max(1, events - failed.get()));
        }
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }
}
