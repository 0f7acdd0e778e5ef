package org.caretrail.events.topic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplicationTest {

    @Test
    void everyCareTrailTopicWantsThreeCopiesWithTwoInSyncOnACluster() {
        assertThat(CareTopics.all()).allSatisfy(t -> assertThat(t.replication()).isEqualTo(new Replication(3, 2)));
        // the declared min ISR travels with the topic's configs once applied
        assertThat(CareTopics.byName(CareTopics.TIMELINES).configs(new Replication(3, 2)))
                .containsEntry("min.insync.replicas", "2").containsEntry("cleanup.policy", "compact");
    }

    @Test
    void onFewerBrokersATopicGetsWhatTheyCanHoldAndStillAcceptsWrites() {
        assertThat(Replication.CLUSTER.on(1)).isEqualTo(new Replication(1, 1));
        // two brokers: two copies, but min ISR 2 would stop every write while one is down
        assertThat(Replication.CLUSTER.on(2)).isEqualTo(new Replication(2, 1));
        assertThat(Replication.CLUSTER.on(3)).isEqualTo(Replication.CLUSTER);
        assertThat(Replication.CLUSTER.on(7)).isEqualTo(Replication.CLUSTER);
    }

    @Test
    void onlyThreeCopiesWithTwoInSyncSurviveTheLossOfABroker() {
        assertThat(new Replication(3, 2).survivesOneBrokerLoss()).isTrue();
        assertThat(new Replication(5, 3).survivesOneBrokerLoss()).isTrue();
        assertThat(new Replication(3, 1).survivesOneBrokerLoss()).as("acked on one copy, lost with it").isFalse();
        assertThat(new Replication(2, 1).survivesOneBrokerLoss()).isFalse();
        assertThat(new Replication(3, 3).survivesOneBrokerLoss()).as("no writes with one broker down").isFalse();
        assertThat(new Replication(1, 1).survivesOneBrokerLoss()).isFalse();
    }

    @Test
    void readsFactorSlashMinIsrAndRefusesNonsense() {
        assertThat(Replication.parse(" 3/2 ")).isEqualTo(Replication.CLUSTER);
        assertThatThrownBy(() -> Replication.parse("3")).hasMessageContaining("FACTOR/MIN_ISR");
        assertThatThrownBy(() -> Replication.parse("2/3")).hasMessageContaining("between 1 and the replication factor");
        assertThatThrownBy(() -> Replication.parse("0/0")).hasMessageContaining("at least 1");
    }
}
