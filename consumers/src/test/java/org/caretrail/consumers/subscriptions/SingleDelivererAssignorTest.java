package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** One instance delivers a FHIR Subscription: all partitions to one member, and to the same one while it stays. */
class SingleDelivererAssignorTest {

    private static final String TOPIC = "care.timeline-changes";
    private static final Node NODE = new Node(1, "localhost", 9092);
    private static final Cluster CLUSTER = new Cluster("c", List.of(NODE), List.of(
            new PartitionInfo(TOPIC, 0, NODE, null, null), new PartitionInfo(TOPIC, 1, NODE, null, null),
            new PartitionInfo(TOPIC, 2, NODE, null, null)), Set.of(), Set.of());
    private static final List<TopicPartition> ALL = List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1),
            new TopicPartition(TOPIC, 2));

    private static Map<String, ConsumerPartitionAssignor.Assignment> assign(
            Map<String, ConsumerPartitionAssignor.Subscription> members) {
        return new SingleDelivererAssignor().assign(CLUSTER, new ConsumerPartitionAssignor.GroupSubscription(members))
                .groupAssignment();
    }

    @Test
    void every_partition_goes_to_one_member_and_stays_with_it() {
        var fresh = assign(Map.of(
                "b-member", new ConsumerPartitionAssignor.Subscription(List.of(TOPIC)),
                "a-member", new ConsumerPartitionAssignor.Subscription(List.of(TOPIC)),
                "c-member", new ConsumerPartitionAssignor.Subscription(List.of(TOPIC))));
        assertThat(fresh.get("a-member").partitions()).containsExactlyInAnyOrderElementsOf(ALL);
        assertThat(fresh.get("b-member").partitions()).isEmpty();
        assertThat(fresh.get("c-member").partitions()).isEmpty();

        // a new member with a smaller id joins: the one delivering keeps every partition
        var rejoined = assign(Map.of(
                "0-new", new ConsumerPartitionAssignor.Subscription(List.of(TOPIC)),
                "b-member", new ConsumerPartitionAssignor.Subscription(List.of(TOPIC), null, ALL)));
        assertThat(rejoined.get("b-member").partitions()).containsExactlyInAnyOrderElementsOf(ALL);
        assertThat(rejoined.get("0-new").partitions()).isEmpty();
    }
}
