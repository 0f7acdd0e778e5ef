package org.caretrail.consumers.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.junit.jupiter.api.Test;

class SerdeSmokeTest {

    @Test
    void timelineChangesRoundTripThroughTheTopicSerde() {
        org.caretrail.events.AvroTrust.install();
        Topics topics = new Topics(new InMemorySchemaRegistry());
        TimelineChange change = Changes.change("e1:ADDED", EventType.DEATH, ChangeKind.ADDED, "RJ1", "A81001",
                Sensitivity.RESTRICTED);
        var serde = topics.timelineChanges().valueSerde();
        byte[] bytes = serde.serializer().serialize("care.timeline-changes", change);
        assertThat(serde.deserializer().deserialize("care.timeline-changes", bytes)).isEqualTo(change);
    }
}
