package org.caretrail.consumers.subscriptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.topic.CareTopics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A FHIR Subscription's past events, by number, for {@code $events}: replayed from Kafka, never from a
 * store of notifications. Each numbered event's delivery record ({@code care.deliveries}, delivered or
 * parked) says where its change is on {@code care.timeline-changes}; the change is read back from there.
 * So a receiver that was away can fetch what it missed for as long as the topics keep it
 * ({@code care.timeline-changes}: 90 days).
 *
 * <p>Bounded: at most {@value #MAX_EVENTS} events per call, {@value #MAX_SCAN} delivery records read,
 * {@value #MAX_SECONDS} s spent.
 */
public final class SubscriptionEvents {

    public static final int MAX_EVENTS = 100;
    static final long MAX_SCAN = 2_000_000;
    static final int MAX_SECONDS = 20;
    private static final Logger LOG = LoggerFactory.getLogger(SubscriptionEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One past event: its number, its change (null when the topic no longer has it), and its delivery outcome. */
    public record Past(long number, TimelineChange change, String outcome, Instant recordedAt) {
    }

    private final Map<String, Object> kafka;
    private final Supplier<Deserializer<TimelineChange>> changes;
    private final String deliveriesTopic;
    private final String changesTopic;

    public SubscriptionEvents(Map<String, Object> kafka, Supplier<Deserializer<TimelineChange>> changes) {
        this(kafka, changes, CareTopics.DELIVERIES, CareTopics.TIMELINE_CHANGES);
    }

    SubscriptionEvents(Map<String, Object> kafka, Supplier<Deserializer<TimelineChange>> changes,
            String deliveriesTopic, String changesTopic) {
        this.kafka = Map.copyOf(kafka);
        this.changes = changes;
        this.deliveriesTopic = deliveriesTopic;
        this.changesTopic = changesTopic;
    }

    /** Events {@code since}..{@code until} (inclusive) of {@code subscription}, in number order, at most {@value #MAX_EVENTS}. */
    public List<Past> between(Subscription subscription, long since, long until) {
        TreeMap<Long, JsonNode> numbered = numbered(subscription, since, until);
        List<Past> found = new ArrayList<>();
        Map<TopicPartition, List<Long>> wanted = new HashMap<>();
        for (JsonNode record : numbered.values()) {
            if (found.size() + wanted.values().stream().mapToInt(List::size).sum() >= MAX_EVENTS) {
                break;
            }
            wanted.computeIfAbsent(new TopicPartition(changesTopic, record.path("changePartition").asInt()),
                    k -> new ArrayList<>()).add(record.path("changeOffset").asLong());
        }
        Map<String, TimelineChange> read = readChanges(wanted);
        int n = 0;
        for (Map.Entry<Long, JsonNode> e : numbered.entrySet()) {
            if (n++ >= MAX_EVENTS) {
                break;
            }
            JsonNode record = e.getValue();
            String position = record.path("changePartition").asInt() + ":" + record.path("changeOffset").asLong();
            found.add(new Past(e.getKey(), read.get(position), record.path("outcome").asText(),
                    Instant.parse(record.path("at").asText())));
        }
        return found;
    }

    /** The delivery records of the subscription's numbered events in range, by number (the latest record of each). */
    private TreeMap<Long, JsonNode> numbered(Subscription subscription, long since, long until) {
        TreeMap<Long, JsonNode> numbered = new TreeMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config(), new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(deliveriesTopic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            Map<TopicPartition, Long> from = new HashMap<>();
            partitions.forEach(p -> from.put(p, subscription.createdAt().minus(Duration.ofMinutes(1)).toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(from);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            for (TopicPartition p : partitions) {
                OffsetAndTimestamp at = start.get(p);
                consumer.seek(p, at == null ? ends.get(p) : at.offset());
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(MAX_SECONDS).toNanos();
            long scanned = 0;
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline || scanned > MAX_SCAN) {
                    LOG.warn("$events of {} stopped after {} delivery records", subscription.id(), scanned);
                    break;
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    scanned++;
                    if (!subscription.id().equals(record.key()) || record.value() == null) {
                        continue;
                    }
                    JsonNode node = JSON.readTree(record.value());
                    long number = node.path("eventNumber").asLong(0);
                    if (number >= since && number <= until && number > 0) {
                        numbered.put(number, node);
                    }
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("an unreadable delivery record on " + deliveriesTopic, e);
        }
        return numbered;
    }

    /** The changes at the positions wanted, keyed {@code partition:offset}; gone ones are left out. */
    private Map<String, TimelineChange> readChanges(Map<TopicPartition, List<Long>> wanted) {
        Map<String, TimelineChange> found = new HashMap<>();
        if (wanted.isEmpty()) {
            return found;
        }
        Deserializer<TimelineChange> deserializer = changes.get();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config(), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            for (Map.Entry<TopicPartition, List<Long>> entry : wanted.entrySet()) {
                TopicPartition p = entry.getKey();
                consumer.assign(List.of(p));
                long first = consumer.beginningOffsets(List.of(p)).get(p);
                for (long offset : entry.getValue()) {
                    if (offset < first) {
                        continue; // gone: older than the topic's retention
                    }
                    consumer.seek(p, offset);
                    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    boolean got = false;
                    while (!got && System.nanoTime() < deadline) {
                        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                            if (record.offset() == offset) {
                                found.put(p.partition() + ":" + offset, deserializer.deserialize(p.topic(),
                                        record.headers(), record.value()));
                                got = true;
                                break;
                            }
                        }
                    }
                }
            }
        } finally {
            deserializer.close();
        }
        return found;
    }

    private Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>(kafka);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "caretrail-subscription-events");
        return config;
    }
}
