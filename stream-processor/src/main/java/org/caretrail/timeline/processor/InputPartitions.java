package org.caretrail.timeline.processor;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many partitions the care event topics have, so the timeline can tell whether an event already sits in the
 * partition that holds its patient's timeline. A patient's timeline lives in the task of partition
 * {@code murmur2(NHS number) mod count}: where Kafka's default partitioner (and the repartition topic) puts a
 * record keyed by that number. An event the publisher library wrote, keyed by the canonical NHS number, is
 * already there and is placed at once; one keyed otherwise (a hyphenated number, a local identifier later
 * linked, another client's partitioner) goes through the {@code timeline-by-patient} repartition topic first.
 *
 * @param count the partition count of every care event topic; 0 when unknown or when the topics differ, in
 *     which case every event takes the repartition topic (always right, one hop slower)
 */
public record InputPartitions(int count) {

    private static final Logger LOG = LoggerFactory.getLogger(InputPartitions.class);

    /** Nothing known: every event takes the repartition topic. */
    public static final InputPartitions UNKNOWN = new InputPartitions(0);

    /** True when a record keyed (canonically) by {@code nhs} read from {@code partition} is in its patient's partition. */
    public boolean holds(String nhs, int partition) {
        return count > 0 && partition >= 0 && partitionOf(nhs) == partition;
    }

    /** The partition of a record keyed by {@code key} (Kafka's default partitioner for keyed records). */
    public int partitionOf(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % count;
    }

    /** The partition count shared by {@code topics}, read from the cluster; {@link #UNKNOWN} if they differ or fail. */
    public static InputPartitions of(Admin admin, Collection<String> topics) {
        try {
            Set<Integer> counts = new HashSet<>();
            admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS)
                    .values().forEach(d -> counts.add(d.partitions().size()));
            if (counts.size() == 1) {
                return new InputPartitions(counts.iterator().next());
            }
            LOG.warn("The care event topics have different partition counts {}: every event goes through the "
                    + "timeline-by-patient repartition topic", counts);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("Cannot read the partition counts of the care event topics ({}): every event goes through the "
                    + "timeline-by-patient repartition topic", e.toString());
        }
        return UNKNOWN;
    }
}
