package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.admission;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.EntryStatus;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.timeline.CareEventFixtures;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.IdentityItem;
import org.caretrail.timeline.domain.TimelineEntries;
import org.junit.jupiter.api.Test;

/** Store value formats round-trip, and state written by the earlier version never stops a start. */
class StoreFormatsTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

    private static TimelineEntry entry(Action action, long version, String ward, String name) {
        return TimelineEntries.fromEvent(admission(nhs(1), "spell-1", action, version, T0, ward, name));
    }

    @Test
    void aCareItemRoundTripsAsTheSetOfItsEvents() {
        CareItemSerde serde = new CareItemSerde(registry);
        CareItem item = CareItem.of(List.of(entry(Action.NEW, 1, "AMU", "a"), entry(Action.CANCEL, 2, "AMU", "b")));
        CareItem back = serde.deserialize("t", serde.serialize("t", item));
        assertThat(back).isEqualTo(item);
        assertThat(back.displayed()).isEqualTo(item.displayed());
    }

    @Test
    void aCareItemKeepsItsStampAndTheUnstampedListOfTheLastVersionIsStillRead() {
        CareItemSerde serde = new CareItemSerde(registry);
        CareItem item = CareItem.of(List.of(entry(Action.NEW, 1, "AMU", "a"), entry(Action.UPDATE, 2, "Ward 7", "b")))
                .stamped(41);
        byte[] bytes = serde.serialize("t", item);
        assertThat(bytes[0]).isEqualTo(CareItemSerde.STAMPED);
        CareItem back = serde.deserialize("t", bytes);
        assertThat(back.stamp()).isEqualTo(41);
        assertThat(back).isEqualTo(item);
        assertThat(back.winner()).isEqualTo(item.winner());
        assertThat(back.displayed().getDetails()).containsEntry("ward", "Ward 7");
        // the previous version's format: the list alone, no stamp
        byte[] list = new EventListSerde<>(TimelineEntry.class, registry, CareItemSerde.SUBJECT_TOPIC)
                .serialize("t", item.events());
        CareItem unstamped = serde.deserialize("t", list);
        assertThat(unstamped).isEqualTo(item);
        assertThat(unstamped.stamp()).isZero();
    }

    @Test
    void aCareItemInTheEarlierFormatIsReadAsItsWinnerAndStatedEvents() {
        AvroSerde<TimelineEntry> entries = AvroSerde.of(TimelineEntry.class, registry);
        TimelineEntry stated = entry(Action.NEW, 1, "AMU", "stated");
        TimelineEntry winner = entry(Action.CANCEL, 2, "AMU", "winner");
        byte[] w = entries.serialize(CareItemSerde.SUBJECT_TOPIC, winner);
        byte[] s = entries.serialize(CareItemSerde.SUBJECT_TOPIC, stated);
        byte[] old = ByteBuffer.allocate(5 + w.length + s.length).put((byte) 0).putInt(w.length).put(w).put(s).array();
        CareItem item = new CareItemSerde(registry).deserialize("t", old);
        assertThat(item.events()).hasSize(2);
        assertThat(item.displayed().getStatus()).isEqualTo(EntryStatus.WITHDRAWN);
        assertThat(item.displayed().getDetails()).containsEntry("ward", "AMU");
        byte[] same = ByteBuffer.allocate(5 + s.length).put((byte) 1).putInt(s.length).put(s).array();
        assertThat(new CareItemSerde(registry).deserialize("t", same).events()).singleElement().isEqualTo(stated);
        assertThatThrownBy(() -> new CareItemSerde(registry).deserialize("t", new byte[] {9, 9}))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void redirectsRoundTripAndTheEarlierPlainSurvivorIsRead() {
        Redirects.RedirectsSerde serde = new Redirects.RedirectsSerde();
        Redirects r = Redirects.NONE.withSurvivor(nhs(2), "merge-1")
                .withVisit(new Redirects.VisitMove("RJ1", "V1", nhs(3), "a45"));
        assertThat(serde.deserialize("t", serde.serialize("t", r))).isEqualTo(r);
        assertThat(serde.deserialize("t", nhs(2).getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Redirects(nhs(2), null, List.of()));
    }

    @Test
    void anIdentityItemRoundTrips() {
        IdentityItemSerde serde = new IdentityItemSerde(registry);
        PatientIdentity link = PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(nhs(4), "RJ1", ProviderKind.ACUTE, "link", Action.NEW, 1, T0, "l"))
                .setKind(IdentityKind.LINK).setNhsNumber(nhs(4))
                .setLocalId(new org.caretrail.events.model.LocalIdentifier("RJ1-MRN", "M1"))
                .setBirthDate(java.time.LocalDate.of(1948, 2, 29)).build();
        IdentityItem item = IdentityItem.of(List.of(link));
        IdentityItem back = serde.deserialize("t", serde.serialize("t", item));
        assertThat(back.linkedTo()).contains(nhs(4));
        assertThat(back.with(link)).isSameAs(back);
    }
}
