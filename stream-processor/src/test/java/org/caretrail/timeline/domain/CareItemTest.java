package org.caretrail.timeline.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.Sensitivity;
import org.caretrail.events.model.Source;
import org.caretrail.events.model.TimelineEntry;
import org.junit.jupiter.api.Test;

/** The care-item rules (design rule 3, with corrections that name what they follow) without Kafka. */
class CareItemTest {

    static TimelineEntry event(String eventId, Action action, long version, String ward) {
        return event(eventId, action, version, ward, null);
    }

    static TimelineEntry event(String eventId, Action action, long version, String ward, String supersedes) {
        return TimelineEntry.newBuilder()
                .setEntryId("ADMISSION|RJ1|spell-1").setEventId(eventId).setType(EventType.ADMISSION)
                .setAction(action).setSubjectId("spell-1").setVersion(version)
                .setOccurredAt(Instant.parse("2026-11-01T08:00:00Z")).setRecordedAt(Instant.parse("2026-11-01T08:01:00Z"))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, null)).setSensitivity(Sensitivity.NORMAL)
                .setStatus(EntryStatus.CURRENT).setSummary("Admitted").setDetails(Map.of("ward", ward))
                .setLocalId(null).setSupersedes(supersedes).build();
    }

    @Test
    void givenAnItemWhenALowerVersionArrivesThenItIsKeptButNothingShownChanges() {
        CareItem item = CareItem.of(event("b", Action.UPDATE, 2, "Ward 2"));
        CareItem after = item.with(event("a", Action.NEW, 1, "Ward 1"));
        assertThat(after.events()).hasSize(2);
        assertThat(after.displayed()).isEqualTo(item.displayed());
        assertThat(after.with(event("a", Action.NEW, 1, "Ward 1"))).as("the same event again").isSameAs(after);
    }

    @Test
    void givenACancelFirstWhenTheItemArrivesThenItIsWithdrawnShowingWhatItStated() {
        CareItem item = CareItem.of(event("c", Action.CANCEL, 2, "?")).with(event("a", Action.NEW, 1, "Ward 1"));
        TimelineEntry shown = item.displayed();
        assertThat(shown.getStatus()).isEqualTo(EntryStatus.WITHDRAWN);
        assertThat(shown.getDetails()).containsEntry("ward", "Ward 1");
        assertThat(shown.getEventId()).isEqualTo("c");
    }

    @Test
    void givenACancelWhenAHigherVersionArrivesThenTheItemIsReinstated() {
        CareItem item = CareItem.of(event("c", Action.CANCEL, 2, "?")).with(event("d", Action.UPDATE, 3, "Ward 3"));
        assertThat(item.displayed().getStatus()).isEqualTo(EntryStatus.CURRENT);
        assertThat(item.displayed().getDetails()).containsEntry("ward", "Ward 3");
    }

    @Test
    void aCancelWhoseClockIsBehindStillWithdrawsTheEventItNames() {
        // HL7 A02 at MSH-7 13:30 (version 1330), then A12 cancelling it at MSH-7 12:45 (version 1245)
        TimelineEntry transfer = event("a02", Action.NEW, 1330, "Ward 9");
        TimelineEntry cancel = event("a12", Action.CANCEL, 1245, "Ward 9", "a02");
        for (CareItem item : List.of(CareItem.of(transfer).with(cancel), CareItem.of(cancel).with(transfer))) {
            assertThat(item.withdrawn()).isTrue();
            assertThat(item.displayed().getStatus()).isEqualTo(EntryStatus.WITHDRAWN);
            assertThat(item.displayed().getEventId()).isEqualTo("a12");
            assertThat(item.displayed().getSupersedes()).isEqualTo("a02");
            assertThat(item.displayed().getDetails()).containsEntry("ward", "Ward 9");
        }
    }

    @Test
    void aCorrectionChainEndsWhereTheSenderEndedItWhateverTheVersions() {
        TimelineEntry admitted = event("new", Action.NEW, 9, "AMU");
        TimelineEntry corrected = event("update", Action.UPDATE, 3, "Ward 7", "new");
        TimelineEntry cancelled = event("cancel", Action.CANCEL, 1, "Ward 7", "update");
        TimelineEntry reissued = event("reissue", Action.NEW, 2, "Ward 8", "cancel");
        assertThat(CareItem.of(List.of(admitted, corrected)).displayed().getDetails()).containsEntry("ward", "Ward 7");
        CareItem withdrawn = CareItem.of(List.of(cancelled, corrected, admitted));
        assertThat(withdrawn.withdrawn()).isTrue();
        assertThat(withdrawn.stated().getEventId()).as("what it last stated: the correction").isEqualTo("update");
        CareItem back = CareItem.of(List.of(reissued, cancelled, admitted, corrected));
        assertThat(back.withdrawn()).isFalse();
        assertThat(back.displayed().getEventId()).isEqualTo("reissue");
        // cancelled again, naming the re-issue: what it last stated is the re-issue, not the NEW of version 9
        CareItem again = back.with(event("cancel-2", Action.CANCEL, 1, "Ward 8", "reissue"));
        assertThat(again.withdrawn()).isTrue();
        assertThat(again.displayed().getDetails()).containsEntry("ward", "Ward 8");
    }

    @Test
    void eventsWithoutLinksKeepTheVersionRule() {
        CareItem item = CareItem.of(List.of(event("x", Action.NEW, 1, "A"), event("y", Action.CANCEL, 1, "A"),
                event("z", Action.UPDATE, 2, "B")));
        assertThat(item.displayed().getEventId()).isEqualTo("z");
        assertThat(CareItem.of(List.of(event("x", Action.NEW, 1, "A"), event("y", Action.CANCEL, 1, "A")))
                .withdrawn()).as("at equal version a cancel wins").isTrue();
    }

    @Test
    void aForgedCycleOfLinksFallsBackToTheVersionRule() {
        CareItem item = CareItem.of(List.of(event("p", Action.NEW, 1, "A", "q"), event("q", Action.CANCEL, 2, "A", "p")));
        assertThat(item.winner().getEventId()).isEqualTo("q");
        assertThat(item.withdrawn()).isTrue();
    }

    @Test
    void onlyCancellationsKnownMeansInvisible() {
        CareItem item = CareItem.of(event("a11", Action.CANCEL, 1, "AMU", "a01-of-another-class"));
        assertThat(item.visible()).isFalse();
        assertThat(item.displayed()).isNull();
        CareItem stated = item.with(event("a01", Action.NEW, 2, "AMU"));
        assertThat(stated.visible()).isTrue();
        assertThat(stated.displayed().getStatus()).as("the cancel names another event: the NEW wins by version")
                .isEqualTo(EntryStatus.CURRENT);
    }

    @Test
    void oneEventIdIsOneEventKeptWithItsLowestVersion() {
        CareItem item = CareItem.of(event("e", Action.NEW, 5, "A")).with(event("e", Action.NEW, 3, "A"));
        assertThat(item.events()).singleElement().extracting(TimelineEntry::getVersion).isEqualTo(3L);
        assertThat(item.with(event("e", Action.NEW, 7, "A"))).isSameAs(item);
    }

    @Test
    void theCapKeepsTheWinnerAndWhatItStatesAndDropsTheOldestSupersededFirst() {
        List<TimelineEntry> chain = new ArrayList<>();
        chain.add(event("e00", Action.NEW, 1, "W0"));
        for (int i = 1; i < CareItem.MAX_EVENTS + 10; i++) {
            chain.add(event(String.format("e%02d", i), i % 2 == 0 ? Action.UPDATE : Action.UPDATE, 1, "W" + i,
                    String.format("e%02d", i - 1)));
        }
        CareItem item = CareItem.of(chain);
        assertThat(item.events()).hasSize(CareItem.MAX_EVENTS);
        assertThat(item.displayed().getEventId()).isEqualTo(String.format("e%02d", CareItem.MAX_EVENTS + 9));
        assertThat(item.events()).extracting(TimelineEntry::getEventId).doesNotContain("e00", "e01");
    }

    @Test
    void theByteCapHoldsForEventsAtTheirSizeLimits() {
        String big = "x".repeat(30_000);
        List<TimelineEntry> events = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            events.add(event("big-" + i, Action.UPDATE, i, big + i));
        }
        CareItem item = CareItem.of(events);
        long bytes = item.events().stream().mapToLong(EncodedSize::of).sum();
        assertThat(bytes).isLessThanOrEqualTo(CareItem.MAX_BYTES);
        assertThat(item.displayed().getEventId()).isEqualTo("big-19");
    }

    @Provide
    Arbitrary<List<TimelineEntry>> events() {
        return Combinators.combine(Arbitraries.strings().withCharRange('a', 'f').ofLength(2),
                        Arbitraries.of(Action.values()), Arbitraries.longs().between(1, 3),
                        Arbitraries.strings().withCharRange('1', '4').ofLength(1),
                        Arbitraries.strings().withCharRange('a', 'f').ofLength(2).injectNull(0.6))
                .as((id, action, version, ward, link) -> event(id, action, version, "Ward " + ward, link))
                .list().ofMinSize(1).ofMaxSize(10);
    }

    @Property(tries = 500)
    void theItemDependsOnlyOnTheSetOfEvents(@ForAll("events") List<TimelineEntry> events, @ForAll long seed) {
        List<TimelineEntry> shuffled = new ArrayList<>(events);
        shuffled.addAll(events.subList(0, new Random(seed).nextInt(events.size())));
        Collections.shuffle(shuffled, new Random(seed));
        assertThat(fold(shuffled).events()).isEqualTo(fold(events).events());
        assertThat(fold(shuffled).displayed()).isEqualTo(fold(events).displayed());
        assertThat(CareItem.of(shuffled).events()).isEqualTo(fold(events).events());
    }

    private static CareItem fold(List<TimelineEntry> events) {
        CareItem item = null;
        for (TimelineEntry e : events) {
            item = item == null ? CareItem.of(e) : item.with(e);
        }
        return item;
    }
}
