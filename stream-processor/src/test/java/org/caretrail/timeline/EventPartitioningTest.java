package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.GP_PRACTICE;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.appointment;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.streams.StreamsBuilder;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.processor.InputPartitions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An event keyed by its patient's canonical NHS number already sits in the partition of its patient's timeline
 * (the publisher library keys by it and Kafka's partitioner puts it there), so it is placed without the
 * {@code timeline-by-patient} repartition hop; any other event (a third party's hyphenated key, a record a
 * client put in another partition) takes the hop and still lands on the right timeline.
 */
class EventPartitioningTest {

    @TempDir
    Path state;

    @Test
    void thePartitionOfAPatientIsWhereKafkasPartitionerPutsARecordKeyedByTheNumber() {
        InputPartitions three = new InputPartitions(3);
        for (int i = 0; i < 500; i++) {
            String nhs = nhs(1000 + i);
            int expected = BuiltInPartitioner.partitionForKey(nhs.getBytes(StandardCharsets.UTF_8), 3);
            assertThat(three.partitionOf(nhs)).isEqualTo(expected);
            assertThat(three.holds(nhs, expected)).isTrue();
            assertThat(three.holds(nhs, (expected + 1) % 3)).isFalse();
        }
        assertThat(InputPartitions.UNKNOWN.holds(nhs(1), 0)).as("unknown: always repartition").isFalse();
    }

    @Test
    void aHyphenKeyedRecordOfAnotherPartitionLandsOnTheCanonicalTimeline() {
        // the driver reads every record from partition 0; with three partitions assumed, a patient of
        // partition 1 or 2 is "elsewhere": its records must take the repartition topic to reach its timeline
        InputPartitions three = new InputPartitions(3);
        String elsewhere = firstPatient(three, p -> p != 0);
        String here = firstPatient(three, p -> p == 0);
        String hyphenated = elsewhere.substring(0, 3) + "-" + elsewhere.substring(3, 6) + "-" + elsewhere.substring(6);
        try (TimelineDriver t = new TimelineDriver(state, TimelineSettings.defaults()
                .with(TimelineSettings.TIMELINE_EMIT_INTERVAL, Duration.ZERO), true, three)) {
            t.publishKeyed(hyphenated, admission(hyphenated, "spell-1", Action.NEW, 1, T0, "AMU", "third-party"));
            t.publish(appointment(elsewhere, GP_PRACTICE, ProviderKind.GP, "appt-1", Action.NEW, 1,
                    T0.plus(Duration.ofDays(1)), "own"));
            t.publish(appointment(here, GP_PRACTICE, ProviderKind.GP, "appt-2", Action.NEW, 1, T0, "in-place"));

            assertThat(t.current(elsewhere)).extracting(TimelineEntry::getSubjectId).containsExactly("spell-1", "appt-1");
            assertThat(t.current(elsewhere)).extracting(TimelineEntry::getOriginNhsNumber).containsOnly(elsewhere);
            assertThat(t.current(here)).extracting(TimelineEntry::getSubjectId).containsExactly("appt-2");
            assertThat(t.reader().summary(hyphenated)).isEmpty();
            assertThat(t.timelines.readKeyValuesToMap()).containsOnlyKeys(elsewhere, here);
        }
    }

    @Test
    void theTopologyTakesTheRepartitionHopOnlyForEventsElsewhere() {
        String known = describe(new InputPartitions(3));
        assertThat(known).contains("events-in-place").contains("events-elsewhere")
                .contains(TimelineTopology.REPARTITION + "-repartition");
        // the builder reads the care event topics directly (one sub-topology with them), and the repartition topic
        String builderSubtopology = known.substring(0, known.indexOf(TimelineTopology.BUILDER));
        builderSubtopology = builderSubtopology.substring(builderSubtopology.lastIndexOf("Sub-topology"));
        assertThat(builderSubtopology).contains("care.admissions").contains(TimelineTopology.REPARTITION + "-repartition");
    }

    private static String describe(InputPartitions partitions) {
        StreamsBuilder builder = new StreamsBuilder();
        TimelineTopology.build(builder, new Topics(new InMemorySchemaRegistry()), TimelineSettings.defaults(),
                java.time.Clock.systemUTC(), partitions);
        return builder.build().describe().toString();
    }

    private static String firstPatient(InputPartitions partitions, java.util.function.IntPredicate partition) {
        for (int i = 0; ; i++) {
            String nhs = nhs(5000 + i);
            if (partition.test(partitions.partitionOf(nhs))) {
                return nhs;
            }
        }
    }
}
