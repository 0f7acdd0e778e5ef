package org.caretrail.bench;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ObjLongConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEvents;
import org.caretrail.events.topic.Topics;
import org.caretrail.producers.simulator.PopulationSimulator;
import org.caretrail.producers.simulator.SimulationProfile;

/**
 * The events every contender reads: the synthetic population's care (the simulator's BENCHMARK profile: valid,
 * unique events, each carrying its NHS number, so each one makes exactly one timeline change), serialized once
 * in the Confluent wire format and written to the care event topics keyed by NHS number, as the publisher
 * library writes them.
 */
final class SyntheticEvents {

    /** One event, ready to send. */
    record Encoded(String topic, String key, byte[] value, String eventId) {
    }

    private SyntheticEvents() {
    }

    /** {@code count} events of {@code patients} synthetic patients (deterministic for a seed). */
    static List<Encoded> make(Topics topics, long seed, int patients, int count) {
        PopulationSimulator population = new PopulationSimulator(seed, Math.max(1, patients), Clock.systemUTC(),
                SimulationProfile.BENCHMARK);
        List<Encoded> out = new ArrayList<>(count);
        for (SpecificRecord event : (Iterable<SpecificRecord>) () -> population.events().limit(count).iterator()) {
            var topic = topics.events(CareEventType.of(event));
            out.add(new Encoded(topic.name(), CareEvents.patientKey(event),
                    topic.valueSerde().serializer().serialize(topic.name(), event),
                    CareEvents.header(event).getEventId()));
        }
        if (out.size() < count) {
            throw new IllegalStateException("the simulator made only " + out.size() + " of " + count + " events");
        }
        return out;
    }

    static double averageBytes(List<Encoded> events) {
        return events.stream().mapToInt(e -> e.value().length).average().orElse(0);
    }

    static KafkaProducer<String, byte[]> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"), new StringSerializer(), new ByteArraySerializer());
    }

    /** Writes every event as fast as the producer goes and waits until the broker has them all. */
    static void publish(String bootstrapServers, List<Encoded> events) {
        publish(bootstrapServers, events, 0, (e, t) -> { });
    }

    /**
     * Writes the events at {@code perSecond} (0: as fast as possible), calling {@code sent} with each event and
     * the {@link System#nanoTime()} just before it was handed to the producer; fails if any write failed.
     */
    static void publish(String bootstrapServers, List<Encoded> events, double perSecond,
            ObjLongConsumer<Encoded> sent) {
        AtomicLong failed = new AtomicLong();
        AtomicReference<Exception> first = new AtomicReference<>();
        try (KafkaProducer<String, byte[]> producer = producer(bootstrapServers)) {
            long start = System.nanoTime();
            long i = 0;
            for (Encoded e : events) {
                if (perSecond > 0) {
                    long wait = start + (long) (i++ * 1e9 / perSecond) - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
                sent.accept(e, System.nanoTime());
                producer.send(new ProducerRecord<>(e.topic(), e.key(), e.value()), (m, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                        first.compareAndSet(null, error);
                    }
                });
            }
            producer.flush();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " events were not written: " + first.get(), first.get());
        }
    }
}
