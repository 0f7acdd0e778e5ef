package org.caretrail.timeline.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.caretrail.timeline.CareEventFixtures.T0;
import static org.caretrail.timeline.CareEventFixtures.attendance;
import static org.caretrail.timeline.CareEventFixtures.id;
import static org.caretrail.timeline.CareEventFixtures.nhs;

import java.time.Duration;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.CareEventType;
import org.caretrail.events.model.Action;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.LocalIdentifier;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.ProviderKind;
import org.caretrail.events.serde.InMemorySchemaRegistry;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.CareEventFixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Identity resolution on its own ({@link MockProcessorContext}, in-memory stores): links, merges by MRN, holds. */
class IdentityResolverTest {

    private static final String NHS = nhs(500);
    private static final String SURVIVOR = nhs(510);
    private static final LocalIdentifier MRN = new LocalIdentifier("RJ1-MRN", "M1");
    private static final String KEY = "RJ1-MRN|M1";

    private final Topics topics = new Topics(new InMemorySchemaRegistry());
    private MockProcessorContext<String, IdentityResolver.Output> context;
    private MockProcessorContext<String, Decoded> holdContext;
    private IdentityResolver.Links links;
    private IdentityResolver.HoldOrPlace hold;
    private KeyValueStore<String, String> linked;

    @BeforeEach
    void start() {
        context = MockTimelineContext.create();
        MockTimelineContext.identityStores(context);
        links = new IdentityResolver.Links(topics);
        links.init(context);
        linked = MockTimelineContext.get(context, TimelineStores.IDENTITY_LINKS);
        holdContext = MockTimelineContext.create();
        // the two processors share their stores, as in the topology's one task
        holdContext.addStateStore(MockTimelineContext.get(context, TimelineStores.IDENTITY_LINKS));
        holdContext.addStateStore(MockTimelineContext.get(context, TimelineStores.IDENTITY_EVENTS));
        holdContext.addStateStore(MockTimelineContext.get(context, TimelineStores.UNRESOLVED));
        hold = new IdentityResolver.HoldOrPlace(topics, Duration.ofDays(7));
        hold.init(holdContext);
    }

    private static PatientIdentity identity(IdentityKind kind, Action action, String nhs, String eventName) {
        return PatientIdentity.newBuilder()
                .setHeader(CareEventFixtures.header(nhs, "RJ1", ProviderKind.ACUTE, kind + "/M1", action, 1, T0,
                        eventName))
                .setKind(kind).setNhsNumber(nhs).setLocalId(MRN).build();
    }

    private HeldEvent held(String eventName) {
        var event = CareEventFixtures.localOnly(attendance(NHS, "ae-" + eventName, T0, eventName), "RJ1-MRN", "M1");
        byte[] bytes = topics.events(CareEventType.ATTENDANCE).valueSerde().serializer().serialize("care.attendances",
                event);
        return new HeldEvent("care.attendances", 0, 1, 0, null, bytes);
    }

    @Test
    void aLinkReleasesWhatWasHeldAndLaterEventsGoStraightThrough() {
        hold.process(new Record<>(KEY, held("early"), 0L));
        assertThat(holdContext.forwarded()).isEmpty();
        links.process(new Record<>(KEY, identity(IdentityKind.LINK, Action.NEW, NHS, "link"), 0L));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(NHS);
            assertThat(f.record().value().released().isValid()).isTrue();
        });
        hold.process(new Record<>(KEY, held("later"), 0L));
        assertThat(holdContext.forwarded()).singleElement().satisfies(f -> assertThat(f.record().key()).isEqualTo(NHS));
    }

    @Test
    void aCancelledLinkUnlinksWhateverTheArrivalOrder() {
        PatientIdentity link = identity(IdentityKind.LINK, Action.NEW, NHS, "link");
        PatientIdentity a29 = identity(IdentityKind.LINK, Action.CANCEL, NHS, "a29");
        a29.getHeader().setSupersedes(id("link"));
        links.process(new Record<>(KEY, a29, 0L));
        links.process(new Record<>(KEY, link, 0L));
        assertThat(linked.get(KEY)).isNull();
        hold.process(new Record<>(KEY, held("after-unlink"), 0L));
        assertThat(holdContext.forwarded()).as("held again").isEmpty();
    }

    @Test
    void aMergeByHospitalNumberIsPassedOnAsAMergeOfTheLinkedNhsNumber() {
        links.process(new Record<>(KEY, identity(IdentityKind.LINK, Action.NEW, NHS, "link"), 0L));
        context.resetForwards();
        PatientIdentity a40 = identity(IdentityKind.MERGE, Action.NEW, SURVIVOR, "a40");
        links.process(new Record<>(KEY, a40, 0L));
        assertThat(context.forwarded()).singleElement().satisfies(f -> {
            assertThat(f.record().key()).isEqualTo(NHS);
            PatientIdentity derived = f.record().value().derivedMerge();
            assertThat(derived.getSupersededNhsNumber()).isEqualTo(NHS);
            assertThat(derived.getNhsNumber()).isEqualTo(SURVIVOR);
            assertThat(derived.getHeader().getEventId()).isEqualTo(id("a40"));
        });
        assertThat(linked.get(KEY)).as("the MRN's events now go to the survivor").isEqualTo(SURVIVOR);
    }

    @Test
    void aLinkArrivingAfterTheMergePassesTheMergeOnThen() {
        links.process(new Record<>(KEY, identity(IdentityKind.MERGE, Action.NEW, SURVIVOR, "a40"), 0L));
        assertThat(context.forwarded()).isEmpty();
        links.process(new Record<>(KEY, identity(IdentityKind.LINK, Action.NEW, NHS, "link"), 0L));
        assertThat(context.forwarded()).singleElement()
                .satisfies(f -> assertThat(f.record().value().derivedMerge().getSupersededNhsNumber()).isEqualTo(NHS));
    }
}
