package org.caretrail.consumers.subscriptions;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Gives every partition of a FHIR Subscription's consumer group to ONE member: with several CareTrail
 * instances, one delivers it (numbering its events in one sequence, in order, with one handshake and
 * one heartbeat); the others wait, and one of them takes over if it leaves. The member that already holds
 * the partitions keeps them (no move on every rebalance); else the first member by id.
 */
public final class SingleDelivererAssignor implements ConsumerPartitionAssignor {

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        Map<String, Subscription> members = group.groupSubscription();
        String deliverer = members.entrySet().stream()
                .filter(e -> !e.getValue().ownedPartitions().isEmpty())
                .map(Map.Entry::getKey).min(Comparator.naturalOrder())
                .orElseGet(() -> new TreeSet<>(members.keySet()).first());
        List<TopicPartition> all = new ArrayList<>();
        TreeSet<String> topics = new TreeSet<>();
        members.values().forEach(s -> topics.addAll(s.topics()));
        for (String topic : topics) {
            List<PartitionInfo> partitions = metadata.partitionsForTopic(topic);
            if (partitions != null) {
                partitions.forEach(p -> all.add(new TopicPartition(topic, p.partition())));
            }
        }
        Map<String, Assignment> assignments = new HashMap<>();
        members.keySet().forEach(m -> assignments.put(m, new Assignment(m.equals(deliverer) ? all : List.of())));
        return new GroupAssignment(assignments);
    }

    @Override
    public String name() {
        return "caretrail-single-deliverer";
    }
}
