package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.timeline.CareEventFixtures;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineEntries;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The merge applier on its own ({@link MockProcessorContext}, in-memory stores): merges, unmerges, visit moves. */
class PatientMergesTest {

    private static final String OLD = nhs(400);
    private static final String SURVIVOR = nhs(410);
    private static final String OTHER = nhs(420);

    private MockProcessorContext<String, TimelineOutput> context;
    private KeyValueStore<String, Redirects> redirects;
    private KeyValueStore<String, CareItem> items;
    private KeyValueStore<String, String> mergedFrom;
    private PatientMerges merges;

    @BeforeEach
    void start() {
        context = MockTimelineContext.create();
        MockTimelineContext.timelineStores(context);
        redirects = MockTimelineContext.get(context, TimelineStores.MERGED_INTO);
        items = MockTimelineContext.get(context, TimelineStores.ITEMS);
        mergedFrom = MockTimelineContext.get(context, TimelineStores.MERGED_FROM);
        // OLD's timeline, built by the builder in the same task
        TimelineProcessor builder = new TimelineProcessor(100, Duration.ZERO, 512 * 1024);
        builder.init(context);
        builder.process(new Record<>(OLD, TimelineEntries.fromEvent(attendance(OLD, "ae-1", T0, "old-ae")), 0L));
        builder.process(new Record<>(OLD, TimelineEntries.placedFor(TimelineEntries.fromEvent(
                attendance(OTHER, "ae-2", T0.plusSeconds(60), "other-ae")), OTHER), 0L));
        context.resetForwards();
        merges = new PatientMerges();
        merges.init(context);
    }

    private static PatientIdentity merge(Action action, String eventName, String supersedes) {
        PatientIdentity id = PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(SURVIVOR, "RJ1", ProviderKind.ACUTE, "merge/" + OLD, action, 1, T0,
                        eventName))
                .setKind(IdentityKind.MERGE).setNhsNumber(SURVIVOR).setSupersededNhsNumber(OLD).build();
        id.getHeader().setSupersedes(supersedes == null ? null : id(supersedes));
        return id;
    }

    private static String header(CapturedForward<?, ?> f, String name) {
        var h = f.record().headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aMergeMovesEveryEventWithdrawsWhatWasCurrentAndRemovesTheTimeline() {
        merges.process(new Record<>(OLD, merge(Action.NEW, "a40", null), 0L));
        List<? extends CapturedForward<? extends String, ? extends TimelineOutput>> out = context.forwarded();
        assertThat(out).filteredOn(f -> f.record().value().moved() != null)
                .allSatisfy(f -> {
                    assertThat(f.record().key()).isEqualTo(SURVIVOR);
                    assertThat(header(f, MoveHeaders.CAUSE)).isEqualTo(id("a40"));
                    assertThat(header(f, MoveHeaders.APPLICATION)).isEqualTo(MockTimelineContext.APPLICATION_ID);
                })
                .extracting(f -> f.record().value().moved().getOriginNhsNumber()).containsExactlyInAnyOrder(OLD, OTHER);
        assertThat(out).filteredOn(f -> f.record().value().change() != null)
                .extracting(f -> f.record().value().change().getKind()).containsOnly(ChangeKind.WITHDRAWN).hasSize(2);
        assertThat(out).filteredOn(f -> f.record().value().removesTimeline()).hasSize(1);
        assertThat(items.approximateNumEntries()).isZero();
        assertThat(redirects.get(OLD)).isEqualTo(Redirects.NONE.withSurvivor(SURVIVOR, id("a40")));
        assertThat(mergedFrom.get(OLD + "|" + OTHER)).as("OTHER's entries went on through OLD").isNotNull();

        context.resetForwards();
        merges.process(new Record<>(OLD, merge(Action.NEW, "a40", null), 0L));
        assertThat(context.forwarded()).as("the same merge again").isEmpty();
    }

    @Test
    void anUnmergeAsksTheSurvivorForEverythingThatWentThroughTheNumber() {
        merges.process(new Record<>(OLD, merge(Action.NEW, "a40", null), 0L));
        context.resetForwards();
        merges.process(new Record<>(OLD, merge(Action.CANCEL, "a37", "a40"), 0L));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(SURVIVOR);
            assertThat(f.record().value().returnRequest()).isTrue();
            assertThat(header(f, MoveHeaders.RETURN_ORIGINS)).isEqualTo(String.join(",",
                    new java.util.TreeSet<>(List.of(OLD, OTHER))));
            assertThat(header(f, MoveHeaders.CAUSE)).isEqualTo(id("a37"));
        });
        assertThat(redirects.get(OLD)).isNull();
        assertThat(MockTimelineContext.metric(context, "unmerged-patients-total")).isEqualTo(1.0);
    }

    @Test
    void anUnmergeBeforeItsMergeLeavesTheNumberWhereItIs() {
        merges.process(new Record<>(OLD, merge(Action.CANCEL, "a37", "a40"), 0L));
        merges.process(new Record<>(OLD, merge(Action.NEW, "a40", null), 0L));
        assertThat(context.forwarded()).isEmpty();
        assertThat(redirects.get(OLD)).isNull();
        assertThat(items.approximateNumEntries()).isEqualTo(2);
    }

    @Test
    void aVisitMoveMovesOnlyThatVisitsItemsAndRemembersTheRule() {
        TimelineProcessor builder = new TimelineProcessor(100, Duration.ZERO, 512 * 1024);
        builder.init(context);
        builder.process(new Record<>(OLD, TimelineEntries.fromEvent(attendance(OLD, "V7/ae", T0, "v7-ae")), 0L));
        context.resetForwards();
        PatientIdentity a45 = merge(Action.NEW, "a45", null);
        a45.setVisit("V7");
        merges.process(new Record<>(OLD, a45, 0L));
        assertThat(context.forwarded()).filteredOn(f -> f.record().value().moved() != null).singleElement()
                .satisfies(f -> assertThat(f.record().value().moved().getSubjectId()).isEqualTo("V7/ae"));
        assertThat(redirects.get(OLD).visits()).singleElement()
                .isEqualTo(new Redirects.VisitMove("RJ1", "V7", SURVIVOR, id("a45")));
        assertThat(redirects.get(OLD).survivor()).isNull();
        assertThat(items.approximateNumEntries()).isEqualTo(2);
    }

    @Test
    void aMergeIntoItselfOrOfAnInvalidNumberIsCountedNotApplied() {
        PatientIdentity self = merge(Action.NEW, "self", null);
        self.setNhsNumber(OLD);
        merges.process(new Record<>(OLD, self, 0L));
        assertThat(context.forwarded()).isEmpty();
        assertThat(MockTimelineContext.metric(context, "unsupported-identity-events-total")).isEqualTo(1.0);
    }
}
