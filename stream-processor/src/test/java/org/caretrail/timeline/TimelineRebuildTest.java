package org.caretrail.timeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.discharge;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.topic.CareTopics;
import org.caretrail.events.topic.TopicSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output topics are settings, so a rebuild can run next to the live application. */
class TimelineRebuildTest {

    private static final String PATIENT = nhs(70);

    @TempDir
    Path state;

    @Test
    void outputTopicsDefaultToTheContractNames() {
        TimelineSettings defaults = TimelineSettings.defaults();
        assertThat(defaults.timelinesTopic()).isEqualTo(CareTopics.TIMELINES).isEqualTo("care.timelines");
        assertThat(defaults.changesTopic()).isEqualTo(CareTopics.TIMELINE_CHANGES).isEqualTo("care.timeline-changes");
        TimelineSettings read = TimelineSettings.fromMap(Map.of("timeline.timelines.topic", "care.timelines.v2",
                "timeline.changes.topic", "care.timeline-changes.v2"));
        assertThat(read.timelinesTopic()).isEqualTo("care.timelines.v2");
        assertThat(read.changesTopic()).isEqualTo("care.timeline-changes.v2");
        assertThatThrownBy(() -> TimelineSettings.fromMap(Map.of("timeline.changes.topic", "care changes")))
                .hasMessageContaining("timeline.changes.topic").hasMessageContaining("Kafka topic name");
    }

    @Test
    void aRebuildHasItsOwnApplicationIdAndOutputTopicsDeclaredAsTheOriginals() {
        TimelineSettings live = TimelineSettings.defaults();
        TimelineSettings rebuild = TimelineRebuild.settings(live, "caretrail-timeline-v4", ".v2");
        assertThat(rebuild.applicationId()).isEqualTo("caretrail-timeline-v4");
        assertThat(rebuild.timelinesTopic()).isEqualTo("care.timelines.v2");
        assertThat(rebuild.changesTopic()).isEqualTo("care.timeline-changes.v2");
        assertThat(rebuild.mergeMovesTopic()).isEqualTo("care.timeline-merge-moves.v2");
        assertThat(TimelineRebuild.outputTopics(rebuild)).extracting(TopicSpec::name)
                .containsExactly("care.timelines.v2", "care.timeline-changes.v2", "care.timeline-merge-moves.v2");
        assertThat(TimelineRebuild.outputTopics(rebuild)).extracting(TopicSpec::configs).containsExactly(
                CareTopics.byName(CareTopics.TIMELINES).configs(), CareTopics.byName(CareTopics.TIMELINE_CHANGES).configs(),
                CareTopics.byName(CareTopics.TIMELINE_MERGE_MOVES).configs());
        assertThat(TimelineRebuild.outputTopics(rebuild)).extracting(TopicSpec::partitions)
                .containsOnly(CareTopics.PARTITIONS);
        assertThatThrownBy(() -> TimelineRebuild.settings(live, "caretrail-timeline-v3", ".v2"))
                .hasMessageContaining("new application id");
        assertThatThrownBy(() -> TimelineRebuild.settings(live, "caretrail-timeline-v4", ""))
                .hasMessageContaining("suffix");
        assertThat(TimelineRebuild.inputTopics()).contains("care.admissions", "care.patient-identities")
                .doesNotContain(CareTopics.TIMELINES, CareTopics.DEAD_LETTER);
    }

    @Test
    void theTopologyWritesToTheConfiguredTopicsOnly() {
        TimelineSettings rebuild = TimelineRebuild.settings(TimelineSettings.defaults(), "caretrail-timeline-v4",
                ".rebuild");
        try (TimelineDriver d = new TimelineDriver(state, rebuild)) {
            var timelines = d.driver.createOutputTopic("care.timelines.rebuild", new StringDeserializer(),
                    d.topics.timelines().valueSerde().deserializer());
            var changes = d.driver.createOutputTopic("care.timeline-changes.rebuild", new StringDeserializer(),
                    d.topics.timelineChanges().valueSerde().deserializer());
            d.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "rebuild-adm"),
                    attendance(PATIENT, "att-1", T0.plus(Duration.ofDays(1)), "rebuild-att"));

            assertThat(changes.readValuesToList()).extracting(TimelineChange::getChangeId)
                    .hasSize(2).allSatisfy(id -> assertThat(id).endsWith("|ADDED"));
            assertThat(timelines.readKeyValuesToMap()).containsOnlyKeys(PATIENT)
                    .hasValueSatisfying(new org.assertj.core.api.Condition<>(
                            t -> t.getEntries().size() == 2, "two entries"));
            assertThat(d.timelines.isEmpty()).as("nothing on the live care.timelines").isTrue();
            assertThat(d.changes.isEmpty()).as("nothing on the live care.timeline-changes").isTrue();
        }
    }

    @Test
    void comparisonIgnoresOnlyWhenTheRecordWasWritten() {
        try (TimelineDriver d = new TimelineDriver(state)) {
            // a discharged spell: a decoded array of records with an optional instant (dischargedAt),
            // which Avro's own equals cannot compare
            d.publish(admission(PATIENT, "spell-0", Action.NEW, 1, T0.minus(Duration.ofDays(9)), "AMU", "cmp-adm-0"),
                    discharge(PATIENT, "dis-0", "spell-0", Action.NEW, 1, T0.minus(Duration.ofDays(7)), "home",
                            "cmp-dis-0"));
            d.timelines.readValuesToList();
            d.publish(admission(PATIENT, "spell-1", Action.NEW, 1, T0, "AMU", "cmp-adm"));
            Timeline first = d.timelines.readValue();
            assertThat(first.getSummary().getSpells()).anySatisfy(s -> assertThat(s.getDischargedAt()).isNotNull());
            Timeline again = d.topics.timelines().valueSerde().deserializer().deserialize(CareTopics.TIMELINES,
                    d.topics.timelines().valueSerde().serializer().serialize(CareTopics.TIMELINES, first));
            assertThat(TimelineRebuild.sameContent(first, again)).isTrue();
            Timeline later = Timeline.newBuilder(first).setUpdatedAt(first.getUpdatedAt().plusSeconds(60)).build();
            assertThat(TimelineRebuild.compare(Map.of(PATIENT, first), Map.of(PATIENT, later)).identical()).isTrue();

            d.publish(admission(PATIENT, "spell-1", Action.UPDATE, 2, T0, "Ward 7", "cmp-adm-2"));
            Timeline moved = d.timelines.readValue();
            var c = TimelineRebuild.compare(Map.of(PATIENT, first), Map.of(PATIENT, moved, nhs(71), moved));
            assertThat(c.identical()).isFalse();
            assertThat(c.different()).containsExactly(PATIENT);
            assertThat(c.onlyRebuilt()).containsExactly(nhs(71));
            assertThat(c.identicalPatients()).isZero();
        }
    }
}
