package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.ACUTE;
import static org.caretrail.timeline.CareEventFixtures.GP_PRACTICE;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.appointment;
import static org.caretrail.timeline.CareEventFixtures.death;
import static org.caretrail.timeline.CareEventFixtures.discharge;
import static org.caretrail.timeline.CareEventFixtures.nhs;
import static org.caretrail.timeline.CareEventFixtures.prescription;
import static org.caretrail.timeline.CareEventFixtures.referral;
import static org.caretrail.timeline.CareEventFixtures.registration;
import static org.caretrail.timeline.CareEventFixtures.transfer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.domain.TimelineSummaries;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The order index, spells, summaries and due marks are kept without a changelog (issue 11's write budget). Under
 * exactly-once a crash wipes a task's stores and restores only the logged ones, and a task that moves to another
 * instance (or a standby made active) finds no derived stores there: before the first record they are rebuilt from
 * the care items, and every patient whose care.timelines record was due when they were lost is written again.
 */
class DerivedStoresRebuildTest {

    private final String a = nhs(101);
    private final String b = nhs(202);
    private MockProcessorContext<String, TimelineOutput> context;

    @BeforeEach
    void start() {
        context = MockTimelineContext.create(StreamsConfig.EXACTLY_ONCE_V2);
        MockTimelineContext.timelineStores(context);
    }

    /**
     * What the derived stores feed: the whole history in order, current entries, the summary and its views (also as
     * text: Avro's generated equals cannot compare the instants inside its lists).
     */
    private record Seen(List<TimelineEntry> history, List<TimelineEntry> current, TimelineSummary summary,
            String summaryText) {
        Seen(List<TimelineEntry> history, List<TimelineEntry> current, TimelineSummary summary) {
            this(history, current, summary, summary.toString());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Seen s && history.equals(s.history) && current.equals(s.current)
                    && summaryText.equals(s.summaryText);
        }

        @Override
        public int hashCode() {
            return summaryText.hashCode();
        }
    }

    private TimelineReader reader() {
        return new TimelineReader(MockTimelineContext.get(context, TimelineStores.ITEMS),
                MockTimelineContext.get(context, TimelineStores.ORDER),
                MockTimelineContext.get(context, TimelineStores.SUMMARIES));
    }

    private Seen seen(String nhs) {
        TimelineReader r = reader();
        return new Seen(r.walk(nhs, null, null, false, true, t -> true, 0, 1000),
                r.walk(nhs, null, null, false, false, t -> true, 0, 1000), r.summary(nhs).orElseThrow());
    }

    private TimelineProcessor builder(Duration emitInterval) {
        TimelineProcessor p = new TimelineProcessor(100, emitInterval, 512 * 1024);
        p.init(context);
        return p;
    }

    private static void place(TimelineProcessor p, SpecificRecord... events) {
        for (SpecificRecord e : events) {
            TimelineEntry entry = TimelineEntries.fromEvent(e);
            p.process(new Record<>(entry.getOriginNhsNumber() != null ? entry.getOriginNhsNumber()
                    : org.caretrail.events.CareEvents.patientKey(e), entry, 0L));
        }
    }

    private void story(TimelineProcessor p) {
        place(p, registration(a, GP_PRACTICE, T0, "REGISTERED", "reg"),
                admission(a, "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(1)), "AMU", "adm"),
                transfer(a, "tr-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(2)), "AMU", "Ward 7", "tr"),
                discharge(a, "dis-1", "spell-1", Action.NEW, 1, T0.plus(Duration.ofDays(3)), "HOME", "dis"),
                admission(a, "spell-2", Action.NEW, 1, T0.plus(Duration.ofDays(10)), "AMU", "adm2"),
                referral(a, "ref-1", Action.NEW, 1, T0.plus(Duration.ofDays(4)), "OPEN", "ref"),
                prescription(a, "rx-1", Action.NEW, 1, T0.plus(Duration.ofDays(5)), null, "rx"),
                appointment(a, GP_PRACTICE, ProviderKind.GP, "appt-1", Action.NEW, 1, T0.plus(Duration.ofDays(6)), "ap"),
                appointment(a, GP_PRACTICE, ProviderKind.GP, "appt-1", Action.CANCEL, 2, T0.plus(Duration.ofDays(6)),
                        "ap-cancel"),
                admission(b, "spell-9", Action.NEW, 1, T0, "AMU", "b-adm"),
                death(b, T0.plus(Duration.ofDays(2)), "b-death"),
                appointment(b, ACUTE, ProviderKind.ACUTE, "appt-9", Action.NEW, 1, T0.plus(Duration.ofDays(3)), "b-ap"));
    }

    /** What a crash under exactly-once leaves: the logged stores (restored from their changelogs) only. */
    private void loseDerivedStores() {
        for (String name : TimelineStores.derivedStores()) {
            KeyValueStore<String, Object> store = MockTimelineContext.get(context, name);
            List<String> keys = new ArrayList<>();
            try (KeyValueIterator<String, Object> it = store.all()) {
                it.forEachRemaining(kv -> keys.add(kv.key));
            }
            keys.forEach(store::delete);
        }
    }

    @Test
    void lostDerivedStoresAreRebuiltFromTheCareItemsAsTheyWere() {
        story(builder(Duration.ZERO));
        Seen beforeA = seen(a);
        Seen beforeB = seen(b);
        // the views are what the rules say, so that "the same after the rebuild" means something
        assertThat(beforeA.current()).hasSize(7);
        assertThat(beforeA.summary().getSpells()).hasSize(2);
        assertThat(beforeA.summary().getWithdrawnEntries()).isEqualTo(1);
        assertThat(beforeA.summary().getOpenReferrals()).hasSize(1);
        assertThat(beforeB.summary().getDeceased()).isTrue();
        assertThat(beforeB.summary().getActivityAfterDeath()).hasSize(1);

        loseDerivedStores();
        assertThat(reader().summary(a)).isEmpty();
        TimelineProcessor restarted = builder(Duration.ZERO);
        assertThat(seen(a)).isEqualTo(beforeA);
        assertThat(seen(b)).isEqualTo(beforeB);

        // and kept in step from there on
        place(restarted, discharge(a, "dis-2", "spell-2", Action.NEW, 1, T0.plus(Duration.ofDays(12)), "HOME", "dis2"));
        TimelineSummary after = reader().summary(a).orElseThrow();
        assertThat(after.getCurrentEntries()).isEqualTo(8);
        assertThat(after.getSpells()).allMatch(s -> s.getDischargedAt() != null);
        assertThat(after.getLastOccurredAt()).isEqualTo(T0.plus(Duration.ofDays(12)));
    }

    @Test
    void derivedStoresThatShowTheLatestChangeAreKeptAsTheyAreAndOthersAreRebuilt() {
        story(builder(Duration.ZERO));
        KeyValueStore<String, TimelineSummary> summaries = MockTimelineContext.get(context, TimelineStores.SUMMARIES);
        String stranger = nhs(999);
        summaries.put(stranger, TimelineSummaries.empty()); // a mark only a rebuild would remove
        builder(Duration.ZERO); // a clean restart: the derived stores show the items' last change
        assertThat(summaries.get(stranger)).as("not rebuilt").isNotNull();

        // the task ran elsewhere meanwhile: its items changed, these derived stores did not
        KeyValueStore<String, Long> progress = MockTimelineContext.get(context, TimelineStores.PROGRESS);
        progress.put(TimelineStores.SEQUENCE, progress.get(TimelineStores.SEQUENCE) + 5);
        builder(Duration.ZERO);
        assertThat(summaries.get(stranger)).as("rebuilt from the items").isNull();
        assertThat(seen(a).current()).hasSize(7);
    }

    @Test
    void underAtLeastOnceTheDerivedStoresAreRebuiltAtEveryStart() {
        context = MockTimelineContext.create(StreamsConfig.AT_LEAST_ONCE);
        MockTimelineContext.timelineStores(context);
        story(builder(Duration.ZERO));
        KeyValueStore<String, TimelineSummary> summaries = MockTimelineContext.get(context, TimelineStores.SUMMARIES);
        summaries.put(nhs(999), TimelineSummaries.empty());
        builder(Duration.ZERO);
        assertThat(summaries.get(nhs(999))).isNull();
        assertThat(seen(b).summary().getDeceased()).isTrue();
    }

    @Test
    void patientsWhoseTimelineRecordWasDueWhenTheStoresWereLostGetItWritten() {
        TimelineProcessor first = builder(Duration.ofSeconds(1));
        story(first);
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0.toEpochMilli());
        assertThat(timelineRecords()).extracting(r -> r.getNhsNumber()).containsExactlyInAnyOrder(a, b);
        context.resetForwards();
        // a changes again, and the processor stops before a's record is written
        place(first, referral(a, "ref-2", Action.NEW, 1, T0.plus(Duration.ofDays(20)), "OPEN", "ref2"));
        assertThat(timelineRecords()).isEmpty();

        loseDerivedStores();
        context = restartedWithTheSameStores();
        builder(Duration.ofSeconds(1));
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(T0.toEpochMilli() + 1000);
        List<Timeline> written = timelineRecords();
        assertThat(written).extracting(Timeline::getNhsNumber).containsExactly(a); // b's was written before
        assertThat(written.get(0).getSummary().getOpenReferrals()).hasSize(2);
        assertThat(written.get(0).getEntries()).extracting(TimelineEntry::getSubjectId).contains("ref-2");
    }

    /** A new context (no punctuators, no forwards) over the same stores, as a restarted task has. */
    private MockProcessorContext<String, TimelineOutput> restartedWithTheSameStores() {
        MockProcessorContext<String, TimelineOutput> next = MockTimelineContext.create(StreamsConfig.EXACTLY_ONCE_V2);
        for (String name : TimelineStores.timelineStores()) {
            next.addStateStore(context.getStateStore(name));
        }
        return next;
    }

    private List<Timeline> timelineRecords() {
        return context.forwarded().stream().map(f -> f.record().value()).filter(o -> o.timeline() != null)
                .map(TimelineOutput::timeline).toList();
    }
}
