package org.caretrail.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.events.model.Timeline;

/**
 * Checks that two jobs wrote the same timelines: the latest care.timelines record of a sample of patients from
 * each topic, compared whole (summary and entries) but for {@code updatedAt} (when it was written).
 */
final class SameTimelines {

    private SameTimelines() {
    }

    static String compare(BenchBroker broker, String topicA, String topicB, int sample) {
        Map<String, byte[]> a = latest(broker, topicA);
        Map<String, byte[]> b = latest(broker, topicB);
        var serde = broker.topics().timelines().valueSerde();
        List<String> common = new ArrayList<>(a.keySet());
        common.retainAll(b.keySet());
        java.util.Collections.sort(common);
        int step = Math.max(1, common.size() / Math.max(1, sample));
        int compared = 0;
        int equal = 0;
        String firstDifference = null;
        for (int i = 0; i < common.size() && compared < sample; i += step) {
            String nhs = common.get(i);
            Timeline x = serde.deserializer().deserialize(topicA, a.get(nhs));
            Timeline y = serde.deserializer().deserialize(topicB, b.get(nhs));
            x.setUpdatedAt(Instant.EPOCH);
            y.setUpdatedAt(Instant.EPOCH);
            compared++;
            // compared as Avro binary (the generated equals cannot compare instants inside lists)
            if (java.util.Arrays.equals(serde.serializer().serialize(topicA, x), serde.serializer().serialize(topicA, y))) {
                equal++;
            } else if (firstDifference == null) {
                firstDifference = nhs + ": " + topicA + " " + x + "\n    " + topicB + " " + y;
            }
        }
        return String.format("same timelines: %d of %d sampled patients equal (of %,d in %s and %,d in %s)%s", equal,
                compared, a.size(), topicA, b.size(), topicB,
                firstDifference == null ? "" : "\n  first difference: " + firstDifference);
    }

    private static Map<String, byte[]> latest(BenchBroker broker, String topic) {
        Map<String, byte[]> latest = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value() == null) {
                        latest.remove(r.key());
                    } else {
                        latest.put(r.key(), r.value());
                    }
                });
            }
        }
        return latest;
    }
}
