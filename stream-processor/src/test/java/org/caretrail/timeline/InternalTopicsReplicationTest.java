package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** The stream processor's own changelog and repartition topics are replicated like the care topics. */
class InternalTopicsReplicationTest {

    @Test
    void onAClusterInternalTopicsGetThreeCopiesWithTwoInSync() {
        Properties p = TimelineSettings.fromMap(Map.of("timeline.internal.topics.replication", "3/2"))
                .toStreamsProperties();
        assertThat(p.get(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(3);
        assertThat(p.get(StreamsConfig.topicPrefix("min.insync.replicas"))).isEqualTo("2");
    }

    @Test
    void unsetTheyFollowTheBrokersDefaults() {
        Properties p = TimelineSettings.defaults().toStreamsProperties();
        assertThat(p).doesNotContainKey(StreamsConfig.REPLICATION_FACTOR_CONFIG)
                .doesNotContainKey(StreamsConfig.topicPrefix("min.insync.replicas"));
    }

    @Test
    void nonsenseIsRefusedWithTheSettingsName() {
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.internal.topics.replication", "2/3")))
                .hasMessageContaining("timeline.internal.topics.replication");
    }
}
