package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineEntries;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The timeline builder and the placer of moved entries on their own, with Kafka Streams'
 * {@link MockProcessorContext} and in-memory stores: what they store and forward for one entry, how an entry
 * follows a merge and a visit move, how entries are given back, and what a care.timelines record holds.
 */
class TimelineProcessorTest {

    private static final String A = nhs(300);
    private static final String B = nhs(310);
    private static final String C = nhs(320);

    private MockProcessorContext<String, TimelineOutput> context;
    private KeyValueStore<String, Redirects> redirects;
    private KeyValueStore<String, CareItem> items;
    private KeyValueStore<String, String> mergedFrom;

    @BeforeEach
    void start() {
        context = MockTimelineContext.create();
        MockTimelineContext.timelineStores(context);
        redirects = MockTimelineContext.get(context, TimelineStores.MERGED_INTO);
        items = MockTimelineContext.get(context, TimelineStores.ITEMS);
        mergedFrom = MockTimelineContext.get(context, TimelineStores.MERGED_FROM);
    }

    private TimelineProcessor builder() {
        TimelineProcessor processor = new TimelineProcessor(100, Duration.ZERO, 512 * 1024);
        processor.init(context);
        return processor;
    }

    private TimelineProcessor placer() {
        TimelineProcessor processor = TimelineProcessor.forMovedEntries(100, Duration.ZERO, 512 * 1024, "test-placer");
        processor.init(context);
        return processor;
    }

    private static TimelineEntry entry(String nhs, String subject) {
        return TimelineEntries.fromEvent(attendance(nhs, subject, T0, "attendance-" + subject));
    }

    private static Headers moving(int hops, String cause) {
        return MoveHeaders.moving(hops, cause, MockTimelineContext.APPLICATION_ID);
    }

    private static String header(CapturedForward<?, ?> forward, String name) {
        var h = forward.record().headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private double metric(String name) {
        return MockTimelineContext.metric(context, name);
    }

    @Test
    void theBuilderStoresAnEntryWithItsOriginAndAnnouncesItOnce() {
        TimelineProcessor processor = builder();
        processor.process(new Record<>(A, entry(A, "ae-1"), T0.toEpochMilli()));
        assertThat(context.forwarded()).extracting(f -> (String) f.record().key()).containsOnly(A);
        assertThat(context.forwarded()).filteredOn(f -> f.record().value().change() != null).singleElement()
                .satisfies(f -> {
                    assertThat(f.record().value().change().getKind()).isEqualTo(ChangeKind.ADDED);
                    assertThat(f.record().value().change().getChangeId()).endsWith("|ADDED");
                    assertThat(f.record().value().change().getEntry().getOriginNhsNumber()).isEqualTo(A);
                });
        assertThat(context.forwarded()).filteredOn(f -> f.record().value().isTimelineRecord()).hasSize(1);
        assertThat(items.get(A + "|ATTENDANCE|RJ1|ae-1").events()).singleElement()
                .extracting(TimelineEntry::getOriginNhsNumber).isEqualTo(A);

        context.resetForwards();
        processor.process(new Record<>(A, entry(A, "ae-1"), T0.toEpochMilli()));
        assertThat(context.forwarded()).as("a duplicate changes nothing").isEmpty();
        assertThat(metric("unchanged-events-total")).isEqualTo(1.0);
    }

    @Test
    void aCancelOfSomethingNeverShownIsKeptButNotShown() {
        TimelineProcessor processor = builder();
        TimelineEntry cancel = TimelineEntry.newBuilder(entry(A, "ae-1"))
                .setAction(org.caretrail.events.model.Action.CANCEL).setEventId("cancel-1").build();
        processor.process(new Record<>(A, cancel, T0.toEpochMilli()));
        assertThat(context.forwarded()).as("no change, no care.timelines record").isEmpty();
        assertThat(items.get(A + "|ATTENDANCE|RJ1|ae-1")).isNotNull();
        KeyValueStore<String, ?> summaries = MockTimelineContext.get(context, TimelineStores.SUMMARIES);
        assertThat(summaries.get(A)).as("not counted: the patient has no timeline").isNull();
    }

    @Test
    void anEntryForAMergedAwayPatientGoesOnToTheSurvivorCountingTheHopAndNamingTheMerge() {
        redirects.put(A, Redirects.NONE.withSurvivor(B, "merge-a-b"));
        TimelineProcessor processor = placer();
        processor.process(new Record<>(A, TimelineEntries.placedFor(entry(A, "ae-1"), C), T0.toEpochMilli(),
                moving(3, null)));

        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(B);
            assertThat(f.record().value().moved().getOriginNhsNumber()).isEqualTo(C);
            assertThat(header(f, MoveHeaders.HOPS)).isEqualTo("4");
            assertThat(header(f, MoveHeaders.CAUSE)).isEqualTo("merge-a-b");
        });
        assertThat(items.approximateNumEntries()).as("nothing stays on the merged-away patient").isZero();
        assertThat(mergedFrom.get(A + "|" + C)).as("C's entries went on through A").isNotNull();
        assertThat(metric("redirected-merged-events-total")).isEqualTo(1.0);
    }

    @Test
    void anEntryOfAMovedVisitGoesToItsNewPatientAndOthersStay() {
        redirects.put(A, Redirects.NONE.withVisit(new Redirects.VisitMove("RJ1", "V1", B, "a45")));
        TimelineProcessor processor = builder();
        processor.process(new Record<>(A, entry(A, "V1/ae"), T0.toEpochMilli()));
        processor.process(new Record<>(A, entry(A, "V2"), T0.toEpochMilli()));
        assertThat(context.forwarded()).filteredOn(f -> f.record().value().moved() != null).singleElement()
                .satisfies(f -> {
                    assertThat(f.record().key()).isEqualTo(B);
                    assertThat(f.record().value().moved().getSubjectId()).isEqualTo("V1/ae");
                    assertThat(header(f, MoveHeaders.CAUSE)).isEqualTo("a45");
                });
        assertThat(items.get(A + "|ATTENDANCE|RJ1|V2")).isNotNull();
    }

    @Test
    void anEntryThatHasGoneRoundTooManyMergesIsPlacedWhereItIsAndCounted() {
        redirects.put(A, Redirects.NONE.withSurvivor(B, "merge"));
        TimelineProcessor processor = placer();
        processor.process(new Record<>(A, entry(A, "ae-1"), T0.toEpochMilli(),
                moving(TimelineProcessor.MAX_MERGE_HOPS, "merge")));

        assertThat(context.forwarded()).isNotEmpty();
        assertThat(context.forwarded()).extracting(f -> f.record().value().moved()).containsOnlyNulls();
        assertThat(context.forwarded()).extracting(f -> (String) f.record().key()).containsOnly(A);
        assertThat(items.approximateNumEntries()).isEqualTo(1);
        assertThat(metric("merge-cycle-events-total")).isEqualTo(1.0);
        assertThat(metric("redirected-merged-events-total")).isZero();
    }

    @Test
    void thePlacerAnnouncesWithTheNhsNumberAndTheCause() {
        TimelineProcessor processor = placer();
        processor.process(new Record<>(B, TimelineEntries.placedFor(entry(A, "ae-1"), A), T0.toEpochMilli(),
                moving(1, "merge-a-b")));
        assertThat(context.forwarded()).filteredOn(f -> f.record().value().change() != null).singleElement()
                .satisfies(f -> assertThat(f.record().value().change().getChangeId())
                        .endsWith("|ADDED|" + B + "|merge-a-b"));
    }

    @Test
    void recordsAnotherVersionLeftOnTheMovesTopicAreNotPlaced() {
        TimelineProcessor processor = placer();
        processor.process(new Record<>(B, entry(A, "ae-1"), T0.toEpochMilli(), new RecordHeaders()));
        processor.process(new Record<>(B, entry(A, "ae-2"), T0.toEpochMilli(),
                MoveHeaders.moving(1, "x", "caretrail-timeline")));
        assertThat(context.forwarded()).isEmpty();
        assertThat(items.approximateNumEntries()).isZero();
        assertThat(metric("foreign-merge-moves-total")).isEqualTo(2.0);
    }

    @Test
    void aReturnRequestGivesBackTheEventsOfItsOriginsAndLeavesTheRest() {
        TimelineProcessor processor = placer();
        TimelineEntry fromA = TimelineEntries.placedFor(entry(A, "ae-1"), A);
        TimelineEntry fromB = TimelineEntries.placedFor(entry(B, "ae-2"), B);
        processor.process(new Record<>(B, fromA, T0.toEpochMilli(), moving(1, "merge-a-b")));
        processor.process(new Record<>(B, fromB, T0.toEpochMilli(), moving(1, null)));
        context.resetForwards();

        processor.process(new Record<>(B, null, T0.toEpochMilli(),
                MoveHeaders.returning(Set.of(A), 1, "unmerge-a", MockTimelineContext.APPLICATION_ID)));

        List<? extends CapturedForward<? extends String, ? extends TimelineOutput>> out = context.forwarded();
        assertThat(out).filteredOn(f -> f.record().value().moved() != null).singleElement().satisfies(f -> {
            assertThat(f.record().key()).as("keyed by its origin").isEqualTo(A);
            assertThat(f.record().value().moved().getEventId()).isEqualTo(fromA.getEventId());
            assertThat(header(f, MoveHeaders.CAUSE)).isEqualTo("unmerge-a");
        });
        assertThat(out).filteredOn(f -> f.record().value().change() != null).singleElement().satisfies(f -> {
            assertThat(f.record().value().change().getKind()).isEqualTo(ChangeKind.WITHDRAWN);
            assertThat(f.record().value().change().getEntry().getStatus()).isEqualTo(EntryStatus.WITHDRAWN);
            assertThat(f.record().value().change().getChangeId())
                    .isEqualTo(fromA.getEventId() + "|WITHDRAWN|" + B + "|unmerge-a");
        });
        assertThat(items.get(B + "|ATTENDANCE|RJ1|ae-1")).isNull();
        assertThat(items.get(B + "|ATTENDANCE|RJ1|ae-2")).isNotNull();
        assertThat(metric("returned-events-total")).isEqualTo(1.0);
    }

    @Test
    void aReturnRequestToAPatientMergedAwayInTurnGoesOnAlongTheChain() {
        redirects.put(B, Redirects.NONE.withSurvivor(C, "merge-b-c"));
        TimelineProcessor processor = placer();
        processor.process(new Record<>(B, null, T0.toEpochMilli(),
                MoveHeaders.returning(Set.of(A), 1, "unmerge-a", MockTimelineContext.APPLICATION_ID)));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(C);
            assertThat(f.record().value().returnRequest()).isTrue();
            assertThat(header(f, MoveHeaders.RETURN_ORIGINS)).isEqualTo(A);
            assertThat(header(f, MoveHeaders.HOPS)).isEqualTo("2");
        });
    }

    @Test
    void aPatientWhoseEveryEntryIsGivenBackLosesItsTimelineRecord() {
        TimelineProcessor processor = placer();
        processor.process(new Record<>(B, TimelineEntries.placedFor(entry(A, "ae-1"), A), T0.toEpochMilli(),
                moving(1, "merge-a-b")));
        context.resetForwards();
        processor.process(new Record<>(B, null, T0.toEpochMilli(),
                MoveHeaders.returning(Set.of(A), 1, "unmerge-a", MockTimelineContext.APPLICATION_ID)));
        assertThat(context.forwarded()).filteredOn(f -> f.record().value().isTimelineRecord()).singleElement()
                .satisfies(f -> assertThat(f.record().value().removesTimeline()).isTrue());
    }

    @Test
    void aTimelineRecordIsBuiltToItsByteBudgetAndSaysItIsTruncated() {
        TimelineProcessor processor = new TimelineProcessor(100, Duration.ZERO, 64 * 1024);
        processor.init(context);
        String complaint = "c".repeat(4_000);
        for (int i = 0; i < 40; i++) {
            var ae = attendance(A, "ae-" + i, T0.plusSeconds(i * 60L), "big-" + i);
            ae.setChiefComplaint(complaint);
            processor.process(new Record<>(A, TimelineEntries.fromEvent(ae), T0.toEpochMilli()));
        }
        Timeline last = context.forwarded().stream().map(f -> f.record().value().timeline())
                .filter(java.util.Objects::nonNull).reduce((a, b) -> b).orElseThrow();
        long size = org.caretrail.timeline.domain.EncodedSize.of(last);
        assertThat(size).isLessThanOrEqualTo(64 * 1024);
        assertThat(last.getTruncated()).isTrue();
        assertThat(last.getEntries()).isNotEmpty().hasSizeLessThan(40);
        assertThat(last.getEntries().get(last.getEntries().size() - 1).getSubjectId()).as("the newest kept")
                .isEqualTo("ae-39");
    }
}
