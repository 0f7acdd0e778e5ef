package org.caretrail.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * The end offset of every partition of every topic on the broker (internal topics included), so two snapshots
 * give what a run made the broker write: records appended to each topic — outputs, changelogs, repartition
 * topics, transaction markers (under exactly-once each transaction writes one marker per partition it touched),
 * committed offsets and the transaction log.
 */
record EndOffsets(Map<String, Long> byTopic) {

    static EndOffsets of(Admin admin) {
        try {
            var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(60, TimeUnit.SECONDS);
            Map<String, TopicDescription> topics = admin.describeTopics(names).allTopicNames().get(60, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            topics.values().forEach(t -> t.partitions().forEach(p ->
                    ask.put(new TopicPartition(t.name(), p.partition()), OffsetSpec.latest())));
            Map<String, Long> sums = new TreeMap<>();
            admin.listOffsets(ask).all().get(60, TimeUnit.SECONDS)
                    .forEach((tp, info) -> sums.merge(tp.topic(), info.offset(), Long::sum));
            return new EndOffsets(sums);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the end offsets: " + e.getMessage(), e);
        }
    }

    /** Records appended to each topic since {@code before} (topics with none left out). */
    Map<String, Long> since(EndOffsets before) {
        Map<String, Long> out = new TreeMap<>();
        byTopic.forEach((topic, end) -> {
            long n = end - before.byTopic.getOrDefault(topic, 0L);
            if (n > 0) {
                out.put(topic, n);
            }
        });
        return out;
    }
}
