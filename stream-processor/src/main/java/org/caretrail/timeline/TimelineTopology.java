package org.caretrail.timeline;

import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;
import org.caretrail.events.CareEventType;
import org.caretrail.events.CareEventValidator;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.topic.Topics;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.processor.CareItemSerde;
import org.caretrail.timeline.processor.HeldEvent;
import org.caretrail.timeline.processor.IdentityResolver;
import org.caretrail.timeline.processor.DecodeAndValidate;
import org.caretrail.timeline.processor.Decoded;
import org.caretrail.timeline.processor.PatientMerges;
import org.caretrail.timeline.processor.TimelineOutput;
import org.caretrail.timeline.processor.TimelineProcessor;
import org.caretrail.timeline.processor.TimelineStores;

/**
 * The timeline topology as a pure function of its inputs (as Kafka's
 * {@code WordCountDemo.createWordCountStream}): no I/O, nothing started.
 *
 * <pre>
 * care.admissions, care.transfers, ..., care.patient-identities (bytes)  [source: care-events-source]
 *   → decode-and-validate ── rejected ──→ care.dead-letter (original bytes + reason/origin headers)
 *   ├ identity events → identity-by-local-id (repartition) → identity-resolver ──┐ releases held events
 *   ├ local-only events (original bytes) → unresolved-by-local-id → hold-or-place ┤ [identity-links,
 *   │     └ no link within timeline.unresolved.timeout → care.dead-letter          │  timeline-unresolved]
 *   └ NHS-keyed events ────────────────────────────────────────────────────────────┤
 *       → event-as-entry → timeline-by-patient (repartition by NHS number) ←──────┘
 *       → timeline-builder [stores timeline-items, timeline-order, timeline-summaries, timeline-spells,
 *                           timeline-event-history, timeline-pending, timeline-merged-into]
 *   ├ MERGE/SUPERSEDE of NHS numbers → merges-by-superseded-patient (repartition) → patient-merges
 *   │     (same stores: withdraws and deletes the superseded timeline, records the redirect)
 *   │ timeline-builder / patient-merges ── entries for a merged-away patient, keyed by the survivor ──→
 *   │     merged-entries-by-survivor (repartition) → timeline-merge-placer (same stores, same rules)
 *   │     └ survivor merged away in turn → care.timeline-merge-moves → back into merged-entries-by-survivor
 *   │       (as many times as the chain is long; a hop-count header stops a cycle of merges)
 *           → care.timelines (summary + most recent entries; tombstone for a merged-away patient)
 *           → care.timeline-changes (one per change)
 *             (output names: timeline.timelines.topic, timeline.changes.topic)
 * </pre>
 *
 * Every stateful piece is named: processor, repartition and store names are part of the contract
 * (changelog and repartition topic names derive from them); renaming one breaks rolling upgrades.
 */
public final class TimelineTopology {

    public static final String SOURCE = "care-events-source";
    public static final String DECODE = "decode-and-validate";
    public static final String REPARTITION = "timeline-by-patient";
    public static final String IDENTITY_REPARTITION = "identity-by-local-id";
    public static final String UNRESOLVED_REPARTITION = "unresolved-by-local-id";
    public static final String IDENTITY_RESOLVER = "identity-resolver";
    public static final String HOLD_OR_PLACE = "hold-or-place";
    public static final String BUILDER = "timeline-builder";
    public static final String MERGE_REPARTITION = "merges-by-superseded-patient";
    public static final String MERGE_APPLIER = "patient-merges";
    public static final String MOVED_REPARTITION = "merged-entries-by-survivor";
    public static final String MERGE_PLACER = "timeline-merge-placer";
    public static final String MERGE_MOVES_SOURCE = "merge-moves-source";
    public static final String MERGE_MOVES_SINK = "merge-moves-sink";
    public static final String DEAD_LETTER_SINK = "dead-letter-sink";
    public static final String EXPIRED_DEAD_LETTER_SINK = "expired-unresolved-dead-letter-sink";
    public static final String TIMELINES_SINK = "timelines-sink";
    public static final String CHANGES_SINK = "timeline-changes-sink";

    private TimelineTopology() {
    }

    /** The care event types that make up a timeline (every type with a timeline entry type). */
    public static List<CareEventType> timelineEventTypes() {
        return Arrays.stream(CareEventType.values()).filter(t -> t.timelineType().isPresent()).toList();
    }

    public static void build(StreamsBuilder builder, Topics topics, TimelineSettings settings) {
        build(builder, topics, settings, Clock.systemUTC());
    }

    /** As {@link #build(StreamsBuilder, Topics, TimelineSettings)}, with the clock that validates occurredAt. */
    public static void build(StreamsBuilder builder, Topics topics, TimelineSettings settings, Clock clock) {
        List<CareEventType> types = timelineEventTypes();
        CareEventValidator validator = new CareEventValidator(clock, settings.maxFutureSkew());
        AvroSerde<TimelineEntry> entrySerde = AvroSerde.of(TimelineEntry.class, topics.registry());

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.ITEMS),
                Serdes.String(), new CareItemSerde(topics.registry())));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.ORDER),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.SUMMARIES),
                Serdes.String(), AvroSerde.of(TimelineSummary.class, topics.registry())));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.EVENTS),
                Serdes.String(), entrySerde));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.SPELLS),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.PENDING),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TimelineStores.UNRESOLVED),
                Serdes.String(), new HeldEvent.HeldEventSerde()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TimelineStores.IDENTITY_LINKS), Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(TimelineStores.MERGED_INTO), Serdes.String(), Serdes.String()));

        List<String> sources = new java.util.ArrayList<>(types.stream().map(CareEventType::topic).toList());
        sources.add(CareEventType.PATIENT_IDENTITY.topic());
        List<CareEventType> decodable = new java.util.ArrayList<>(types);
        decodable.add(CareEventType.PATIENT_IDENTITY);
        KStream<String, Decoded> decoded = builder
                .stream(sources, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
                .process(() -> new DecodeAndValidate(topics, validator, decodable), Named.as(DECODE));

        decoded.filter((key, d) -> !d.isValid(), Named.as("rejected-events"))
                .map((key, d) -> KeyValue.pair(d.originalKey(), d.originalValue()), Named.as("rejected-original-bytes"))
                .to(settings.deadLetterTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(DEAD_LETTER_SINK));

        KStream<String, Decoded> valid = decoded.filter((key, d) -> d.isValid(), Named.as("valid-events"));

        // identity: links of local identifiers (LINK, or MERGE of a local identity), keyed by the local identifier
        KStream<String, PatientIdentity> identities = valid
                .filter((key, d) -> d.event() instanceof PatientIdentity, Named.as("identity-events"))
                .mapValues(d -> (PatientIdentity) d.event(), Named.as("identity-event"));
        KStream<String, Decoded> releasedByLinks = identities
                .filter((key, id) -> id.getLocalId() != null && id.getKind() != IdentityKind.SUPERSEDE,
                        Named.as("local-identity-links"))
                .repartition(Repartitioned.<String, PatientIdentity>as(IDENTITY_REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(AvroSerde.of(PatientIdentity.class, topics.registry())))
                .process(() -> new IdentityResolver.Links(topics), Named.as(IDENTITY_RESOLVER),
                        IdentityResolver.storeNames());
        // events known only by a local identifier wait, as they arrived, for their link
        KStream<String, Decoded> placedOrExpired = valid
                .filter((key, d) -> !(d.event() instanceof PatientIdentity) && !NhsNumber.isValid(key),
                        Named.as("local-only-events"))
                .mapValues(Decoded::original, Named.as("local-only-original"))
                .repartition(Repartitioned.<String, HeldEvent>as(UNRESOLVED_REPARTITION)
                        .withKeySerde(Serdes.String()).withValueSerde(new HeldEvent.HeldEventSerde()))
                .process(() -> new IdentityResolver.HoldOrPlace(topics, settings.unresolvedTimeout()),
                        Named.as(HOLD_OR_PLACE), IdentityResolver.storeNames());
        placedOrExpired.filter((key, d) -> !d.isValid(), Named.as("expired-unresolved-events"))
                .map((key, d) -> KeyValue.pair(d.originalKey(), d.originalValue()), Named.as("expired-original-bytes"))
                .to(settings.deadLetterTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray())
                        .withName(EXPIRED_DEAD_LETTER_SINK));

        KStream<String, TimelineEntry> entries = valid
                .filter((key, d) -> !(d.event() instanceof PatientIdentity) && NhsNumber.isValid(key),
                        Named.as("nhs-events"))
                .merge(releasedByLinks, Named.as("with-released-events"))
                .merge(placedOrExpired.filter((key, d) -> d.isValid(), Named.as("linked-events")),
                        Named.as("with-linked-events"))
                .mapValues(d -> TimelineEntries.fromEvent(d.event()), Named.as("event-as-entry"));

        KStream<String, TimelineOutput> built = entries
                .repartition(Repartitioned.<String, TimelineEntry>as(REPARTITION)
                        .withKeySerde(Serdes.String()).withValueSerde(entrySerde))
                .process(() -> new TimelineProcessor(settings.maxTimelineEntries(), settings.timelineEmitInterval()),
                        Named.as(BUILDER), TimelineProcessor.storeNames());

        // merges of two NHS numbers (MERGE, SUPERSEDE), in the superseded patient's partition: its entries and
        // later events go on to the survivor's partition (the applier and the placer share the builder's stores,
        // so all three run in one task per partition)
        KStream<String, TimelineOutput> mergedAway = identities
                .filter((key, id) -> PatientMerges.mergesNhsNumbers(id), Named.as("nhs-number-merges"))
                .selectKey((key, id) -> PatientMerges.superseded(id), Named.as("merge-by-superseded"))
                .repartition(Repartitioned.<String, PatientIdentity>as(MERGE_REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(AvroSerde.of(PatientIdentity.class, topics.registry())))
                .process(PatientMerges::new, Named.as(MERGE_APPLIER), TimelineProcessor.storeNames());
        KStream<String, TimelineOutput> builtOrMerged = built.merge(mergedAway, Named.as("built-or-merged"));
        // entries for merged-away patients go to the survivor's partition; one that finds the survivor merged away
        // in turn goes round again through the merge-moves topic (a DSL topology cannot loop a stream back into
        // itself, a topic can), as often as the chain is long
        KStream<String, TimelineEntry> chainMoves = builder.stream(settings.mergeMovesTopic(),
                Consumed.with(Serdes.String(), entrySerde).withName(MERGE_MOVES_SOURCE));
        KStream<String, TimelineOutput> placed = builtOrMerged
                .filter((key, o) -> o.moved() != null, Named.as("moved-entries"))
                .mapValues(TimelineOutput::moved, Named.as("moved-entry"))
                .merge(chainMoves, Named.as("with-chain-moves"))
                .repartition(Repartitioned.<String, TimelineEntry>as(MOVED_REPARTITION)
                        .withKeySerde(Serdes.String()).withValueSerde(entrySerde))
                .process(() -> TimelineProcessor.forMergedEntries(settings.maxTimelineEntries(),
                        settings.timelineEmitInterval(), MERGE_PLACER), Named.as(MERGE_PLACER),
                        TimelineProcessor.storeNames());
        placed.filter((key, o) -> o.moved() != null, Named.as("chain-moved-entries"))
                .mapValues(TimelineOutput::moved, Named.as("chain-moved-entry"))
                .to(settings.mergeMovesTopic(), Produced.with(Serdes.String(), entrySerde).withName(MERGE_MOVES_SINK));
        KStream<String, TimelineOutput> outputs = builtOrMerged
                .merge(placed.filter((key, o) -> o.moved() == null, Named.as("placed-outputs")),
                        Named.as("with-placed-entries"));

        outputs.filter((key, o) -> o.isTimelineRecord(), Named.as("timeline-records"))
                .mapValues(TimelineOutput::timeline, Named.as("timeline-record"))
                .to(settings.timelinesTopic(), Produced.with(topics.timelines().keySerde(),
                        topics.timelines().valueSerde()).withName(TIMELINES_SINK));
        outputs.filter((key, o) -> o.change() != null, Named.as("timeline-change-records"))
                .mapValues(TimelineOutput::change, Named.as("timeline-change"))
                .to(settings.changesTopic(), Produced.with(topics.timelineChanges().keySerde(),
                        topics.timelineChanges().valueSerde()).withName(CHANGES_SINK));
    }
}
