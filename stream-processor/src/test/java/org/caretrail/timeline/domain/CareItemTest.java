package org.caretrail.timeline.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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

/** The care-item rules (design rule 3) without Kafka. */
class CareItemTest {

    static TimelineEntry event(String eventId, Action action, long version, String ward) {
        return TimelineEntry.newBuilder()
                .setEntryId("ADMISSION|RJ1|spell-1").setEventId(eventId).setType(EventType.ADMISSION)
                .setAction(action).setSubjectId("spell-1").setVersion(version)
                .setOccurredAt(Instant.parse("2026-11-01T08:00:00Z")).setRecordedAt(Instant.parse("2026-11-01T08:01:00Z"))
                .setSource(new Source("RJ1", null, ProviderKind.ACUTE, null)).setSensitivity(Sensitivity.NORMAL)
                .setStatus(EntryStatus.CURRENT).setSummary("Admitted").setDetails(java.util.Map.of("ward", ward))
                .setLocalId(null).build();
    }

    @Test
    void givenAnItemWhenALowerVersionArrivesThenNothingChanges() {
        CareItem item = CareItem.of(event("b", Action.UPDATE, 2, "Ward 2"));
        assertThat(item.with(event("a", Action.NEW, 1, "Ward 1"))).isSameAs(item);
        assertThat(item.with(event("b", Action.UPDATE, 2, "Ward 2"))).isSameAs(item);
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

    @Provide
    Arbitrary<List<TimelineEntry>> events() {
        return Combinators.combine(Arbitraries.strings().withCharRange('a', 'f').ofLength(2),
                        Arbitraries.of(Action.values()), Arbitraries.longs().between(1, 3),
                        Arbitraries.strings().withCharRange('1', '4').ofLength(1))
                .as((id, action, version, ward) -> event(id, action, version, "Ward " + ward))
                .list().ofMinSize(1).ofMaxSize(10);
    }

    @Property(tries = 500)
    void theItemDependsOnlyOnTheSetOfEvents(@ForAll("events") List<TimelineEntry> events, @ForAll long seed) {
        // same eventId must mean same event: keep the first of each id
        List<TimelineEntry> unique = new ArrayList<>();
        events.stream().filter(e -> unique.stream().noneMatch(u -> u.getEventId().equals(e.getEventId())))
                .forEach(unique::add);
        List<TimelineEntry> shuffled = new ArrayList<>(unique);
        shuffled.addAll(unique.subList(0, new Random(seed).nextInt(unique.size())));
        Collections.shuffle(shuffled, new Random(seed));
        assertThat(fold(shuffled).displayed()).isEqualTo(fold(unique).displayed());
    }

    private static CareItem fold(List<TimelineEntry> events) {
        CareItem item = null;
        for (TimelineEntry e : events) {
            item = item == null ? CareItem.of(e) : item.with(e);
        }
        return item;
    }
}
