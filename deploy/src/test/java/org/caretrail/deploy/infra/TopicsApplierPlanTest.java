package org.caretrail.deploy.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.Replication;
import org.junit.jupiter.api.Test;

/** Which replication each topic gets, and when applying refuses: no broker needed. */
class TopicsApplierPlanTest {

    @Test
    void theEmbeddedBrokerGetsOneCopyAndAClusterThreeWithTwoInSync() {
        assertThat(new TopicsApplier("unused:1").plan(CareTopics.all(), 1).values()).containsOnly(new Replication(1, 1));
        assertThat(new TopicsApplier("unused:1").plan(CareTopics.all(), 3).values()).containsOnly(new Replication(3, 2));
    }

    @Test
    void anUnsafeReplicationOnAClusterIsRefusedUnlessTheOperatorSaysTheyKnow() {
        TopicsApplier weak = new TopicsApplier("unused:1").withReplication(new Replication(3, 1));
        assertThatThrownBy(() -> weak.plan(CareTopics.all(), 3))
                .isInstanceOf(TopicsApplier.UnsafeReplicationException.class)
                .hasMessageContaining("care.admissions 3/1").hasMessageContaining("--i-know");
        assertThat(weak.allowUnsafe(true).plan(CareTopics.all(), 3).values()).containsOnly(new Replication(3, 1));
        // two brokers cannot hold 3 copies: refused as well
        assertThatThrownBy(() -> new TopicsApplier("unused:1").plan(CareTopics.all(), 2))
                .isInstanceOf(TopicsApplier.UnsafeReplicationException.class).hasMessageContaining("2/1");
        // one broker is not a cluster: nothing to refuse
        assertThat(new TopicsApplier("unused:1").withReplication(new Replication(1, 1)).plan(CareTopics.all(), 1))
                .isNotEmpty();
    }

    @Test
    void moreCopiesThanBrokersIsAnError() {
        assertThatThrownBy(() -> new TopicsApplier("unused:1").withReplication(new Replication(5, 3))
                .plan(CareTopics.all(), 3)).hasMessageContaining("needs at least 5 brokers");
    }
}
