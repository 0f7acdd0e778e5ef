package org.caretrail.timeline;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
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
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.IdentityKind;
import org.caretrail.events.model.PatientIdentity;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.events.serde.AvroSerde;
import org.caretrail.events.topic.Topics;
import org.caretrail.timeline.domain.TimelineEntries;
import org.caretrail.timeline.errors.BoundedSerde;
import org.caretrail.timeline.processor.CareItemSerde;
import org.caretrail.timeline.processor.DecodeAndValidate;
import org.caretrail.timeline.processor.Decoded;
import org.caretrail.timeline.processor.HeldEvent;
import org.caretrail.timeline.processor.IdentityItemSerde;
import org.caretrail.timeline.processor.IdentityResolver;
import org.caretrail.timeline.processor.InputPartitions;
import org.caretrail.timeline.processor.PatientMerges;
import org.caretrail.timeline.processor.Redirects;
import org.caretrail.timeline.processor.TimelineOutput;
import org.caretrail.timeline.processor.TimelineProcessor;
import org.caretrail.timeline.processor.TimelineStores;

/**
 * The timeline topology as a pure function of its inputs (as Kafka's
 * {@code WordCountDemo.createWordCountStream}): no I/O, nothing started. Built by short named steps, each
 * one part of the picture:
 *
 * <pre>
 * {@link #decode}     care.admissions, ..., care.patient-identities (bytes)  [care-events-source]
 *                       → decode-and-validate ── rejected ──→ care.dead-letter (original bytes + reason/origin)
 * {@link #identities} local identities (LINK, MERGE of a hospital number) → identity-by-local-id → identity-resolver
 *                       ├ released held events ─────────────────────────────────────────────┐ [identity-links,
 *                       └ merges by hospital number, as merges of the linked NHS number ──┐  │  identity-link-events,
 *                     local-only events → unresolved-by-local-id → hold-or-place ─────────┼──┤  timeline-unresolved]
 *                       └ no link within timeline.unresolved.timeout → care.dead-letter   │  │
 * {@link #timelines}  NHS-keyed events ───────────────────────────────────────────────────┼──┤
 *                       → event-as-entry → timeline-by-patient (repartition) ←────────────┼──┘
 *                       → timeline-builder [timeline-items, -order, -summaries, -spells, -pending,
 *                                           -merged-into, -merges, -merged-from]
 *                     MERGE/SUPERSEDE/unmerge/visit moves of NHS numbers ←────────────────┘
 *                       → merges-by-superseded-patient (repartition) → patient-merges [the builder's stores]
 * {@link #moves}      builder, patient-merges, placer ── entries going to another patient, return requests ──→
 *                       care.timeline-merge-moves → merged-entries-by-survivor (repartition)
 *                       → timeline-merge-placer [the builder's stores, same rules] ── on along a chain ──┘
 * {@link #outputs}    → care.timelines (summary + newest entries within timeline.record.budget; tombstones)
 *                     → care.timeline-changes (one per change)
 * </pre>
 * Everything that goes from one patient's partition to another goes through care.timeline-merge-moves, one
 * path, so what one task sends to one patient arrives in the order sent (a return request never overtakes
 * the entries it asks back).
 *
 * <p>Every stateful piece is named: processor, repartition and store names are part of the contract
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

    /**
     * The topology when the partition count of the input topics is not known: every NHS-keyed event goes through
     * the {@code timeline-by-patient} repartition topic (see {@link InputPartitions}).
     */
    public static void build(StreamsBuilder builder, Topics topics, TimelineSettings settings) {
        build(builder, topics, settings, Clock.systemUTC(), InputPartitions.UNKNOWN);
    }

    /**
     * As {@link #build(StreamsBuilder, Topics, TimelineSettings)}, with the clock that validates occurredAt and the
     * input topics' partitioning: an event keyed by its NHS number in its patient's partition is placed at once.
     */
    public static void build(StreamsBuilder builder, Topics topics, TimelineSettings settings, Clock clock,
            InputPartitions partitions) {
        stores(builder, topics);
        KStream<String, Decoded> valid = decode(builder, topics, settings, clock);
        KStream<String, PatientIdentity> identities = valid
                .filter((key, d) -> d.event() instanceof PatientIdentity, Named.as("identity-events"))
                .mapValues(d -> (PatientIdentity) d.event(), Named.as("identity-event"));
        Resolved resolved = identities(identities, valid, topics, settings);
        KStream<String, TimelineOutput> built = timelines(valid, resolved, identities, topics, settings, partitions);
        KStream<String, TimelineOutput> placed = moves(builder, built, topics, settings);
        outputs(built.merge(placed.filter((key, o) -> !o.goesOn(), Named.as("placed-outputs")),
                Named.as("with-placed-entries")), topics, settings);
    }

    /**
     * The stores; every processor that touches one names it (see {@link TimelineStores}). All are cached (several
     * writes of a key in one commit interval reach RocksDB and the changelog once); only what cannot be
     * recomputed is logged: the derived stores of the timeline are rebuilt from its items when needed.
     */
    static void stores(StreamsBuilder builder, Topics topics) {
        logged(builder, TimelineStores.ITEMS, new CareItemSerde(topics.registry()));
        logged(builder, TimelineStores.PROGRESS, Serdes.Long());
        derived(builder, TimelineStores.ORDER, Serdes.String());
        derived(builder, TimelineStores.SUMMARIES, AvroSerde.of(TimelineSummary.class, topics.registry()));
        derived(builder, TimelineStores.SPELLS, Serdes.String());
        derived(builder, TimelineStores.PENDING, Serdes.String());
        logged(builder, TimelineStores.MERGED_INTO, new Redirects.RedirectsSerde());
        logged(builder, TimelineStores.MERGES, new IdentityItemSerde(topics.registry()));
        logged(builder, TimelineStores.MERGED_FROM, Serdes.String());
        logged(builder, TimelineStores.UNRESOLVED, new HeldEvent.HeldEventSerde());
        logged(builder, TimelineStores.IDENTITY_LINKS, Serdes.String());
        logged(builder, TimelineStores.IDENTITY_EVENTS, new IdentityItemSerde(topics.registry()));
    }

    private static <V> void logged(StreamsBuilder builder, String name, Serde<V> values) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values)
                .withCachingEnabled());
    }

    private static <V> void derived(StreamsBuilder builder, String name, Serde<V> values) {
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values)
                .withCachingEnabled().withLoggingDisabled());
    }

    /** Every input topic, decoded and validated; the rejected go to the dead-letter topic. Returns the valid. */
    static KStream<String, Decoded> decode(StreamsBuilder builder, Topics topics, TimelineSettings settings,
            Clock clock) {
        CareEventValidator validator = new CareEventValidator(clock, settings.maxFutureSkew());
        List<CareEventType> decodable = new ArrayList<>(timelineEventTypes());
        decodable.add(CareEventType.PATIENT_IDENTITY);
        KStream<String, Decoded> decoded = builder
                .stream(decodable.stream().map(CareEventType::topic).toList(),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
                .process(() -> new DecodeAndValidate(topics, validator, decodable), Named.as(DECODE));
        deadLetters(decoded.filter((key, d) -> !d.isValid(), Named.as("rejected-events")), "rejected-original-bytes",
                DEAD_LETTER_SINK, settings);
        return decoded.filter((key, d) -> d.isValid(), Named.as("valid-events"));
    }

    private static void deadLetters(KStream<String, Decoded> rejected, String name, String sink,
            TimelineSettings settings) {
        rejected.map((key, d) -> KeyValue.pair(d.originalKey(), d.originalValue()), Named.as(name))
                .to(settings.deadLetterTopic(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(sink));
    }

    /** What identity resolution puts out: events placed for an NHS number, and merges by hospital number. */
    record Resolved(KStream<String, Decoded> placed, KStream<String, PatientIdentity> derivedMerges) {
    }

    /**
     * Identity resolution, keyed by local identifier: links and merges of hospital numbers, and the events
     * known only by one, held until linked (dead-lettered when no link comes in time).
     */
    static Resolved identities(KStream<String, PatientIdentity> identities, KStream<String, Decoded> valid,
            Topics topics, TimelineSettings settings) {
        KStream<String, IdentityResolver.Output> links = identities
                .filter((key, id) -> id.getLocalId() != null && id.getKind() != IdentityKind.SUPERSEDE,
                        Named.as("local-identity-links"))
                .repartition(Repartitioned.<String, PatientIdentity>as(IDENTITY_REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(AvroSerde.of(PatientIdentity.class, topics.registry())))
                .process(() -> new IdentityResolver.Links(topics), Named.as(IDENTITY_RESOLVER),
                        IdentityResolver.storeNames());
        KStream<String, Decoded> released = links
                .filter((key, o) -> o.released() != null, Named.as("released-events"))
                .mapValues(IdentityResolver.Output::released, Named.as("released-event"));
        KStream<String, PatientIdentity> derived = links
                .filter((key, o) -> o.derivedMerge() != null, Named.as("merges-by-local-identifier"))
                .mapValues(IdentityResolver.Output::derivedMerge, Named.as("merge-of-linked-number"));
        // events known only by a local identifier wait, as they arrived, for their link
        KStream<String, Decoded> placedOrExpired = valid
                .filter((key, d) -> !(d.event() instanceof PatientIdentity) && !NhsNumber.isValid(key),
                        Named.as("local-only-events"))
                .mapValues(Decoded::original, Named.as("local-only-original"))
                .repartition(Repartitioned.<String, HeldEvent>as(UNRESOLVED_REPARTITION)
                        .withKeySerde(Serdes.String()).withValueSerde(new HeldEvent.HeldEventSerde()))
                .process(() -> new IdentityResolver.HoldOrPlace(topics, settings.unresolvedTimeout()),
                        Named.as(HOLD_OR_PLACE), IdentityResolver.storeNames());
        deadLetters(placedOrExpired.filter((key, d) -> !d.isValid(), Named.as("expired-unresolved-events")),
                "expired-original-bytes", EXPIRED_DEAD_LETTER_SINK, settings);
        KStream<String, Decoded> placed = released.merge(placedOrExpired.filter((key, d) -> d.isValid(),
                Named.as("linked-events")), Named.as("with-linked-events"));
        return new Resolved(placed, derived);
    }

    /**
     * The per-patient timelines, keyed by NHS number: every event's entry (its origin filled) to the builder, and
     * merges, unmerges and visit moves to the merge applier in the superseded patient's partition. An event read
     * from its patient's partition (keyed by the canonical NHS number, as the publisher library writes) goes
     * straight to the builder; any other (keyed otherwise, or placed by identity resolution) through the
     * {@code timeline-by-patient} repartition topic.
     */
    static KStream<String, TimelineOutput> timelines(KStream<String, Decoded> valid, Resolved resolved,
            KStream<String, PatientIdentity> identities, Topics topics, TimelineSettings settings,
            InputPartitions partitions) {
        AvroSerde<TimelineEntry> entrySerde = AvroSerde.of(TimelineEntry.class, topics.registry());
        KStream<String, Decoded> nhsKeyed = valid
                .filter((key, d) -> !(d.event() instanceof PatientIdentity) && NhsNumber.isValid(key),
                        Named.as("nhs-events"));
        KStream<String, TimelineEntry> inPlace = nhsKeyed
                .filter((nhs, d) -> partitions.holds(nhs, d.original().partition()), Named.as("events-in-place"))
                .mapValues((nhs, d) -> TimelineEntries.fromEvent(d.event(), nhs),
                        Named.as("event-as-entry"));
        KStream<String, TimelineEntry> repartitioned = nhsKeyed
                .filterNot((nhs, d) -> partitions.holds(nhs, d.original().partition()),
                        Named.as("events-elsewhere"))
                .merge(resolved.placed(), Named.as("with-released-events"))
                .mapValues((nhs, d) -> TimelineEntries.fromEvent(d.event(), nhs),
                        Named.as("moved-event-as-entry"))
                .repartition(Repartitioned.<String, TimelineEntry>as(REPARTITION)
                        .withKeySerde(Serdes.String()).withValueSerde(entrySerde));
        KStream<String, TimelineOutput> built = inPlace
                .merge(repartitioned, Named.as("events-by-patient"))
                .process(() -> new TimelineProcessor(settings.maxTimelineEntries(), settings.timelineEmitInterval(),
                        settings.recordBudget()), Named.as(BUILDER), TimelineProcessor.storeNames());
        // merges of NHS numbers, in the superseded patient's partition (the applier shares the builder's stores,
        // so both run in one task per partition)
        KStream<String, TimelineOutput> merged = identities
                .filter((key, id) -> PatientMerges.mergesNhsNumbers(id), Named.as("nhs-number-merges"))
                .selectKey((key, id) -> PatientMerges.superseded(id), Named.as("merge-by-superseded"))
                .merge(resolved.derivedMerges(), Named.as("with-merges-by-local-identifier"))
                .repartition(Repartitioned.<String, PatientIdentity>as(MERGE_REPARTITION)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(AvroSerde.of(PatientIdentity.class, topics.registry())))
                .process(() -> new PatientMerges(settings.maxTimelineEntries(), settings.recordBudget()),
                        Named.as(MERGE_APPLIER), TimelineProcessor.storeNames());
        return built.merge(merged, Named.as("built-or-merged"));
    }

    /**
     * What goes from one patient to another (entries following a merge or a visit move, entries given back
     * by an unmerge, requests to give them back) goes round through the merge-moves topic (a DSL topology
     * cannot loop a stream back into itself, a topic can) to the placer in the receiving patient's partition,
     * as often as a merge chain is long. Returns the placer's outputs.
     */
    static KStream<String, TimelineOutput> moves(StreamsBuilder builder, KStream<String, TimelineOutput> built,
            Topics topics, TimelineSettings settings) {
        AvroSerde<TimelineEntry> entrySerde = AvroSerde.of(TimelineEntry.class, topics.registry());
        KStream<String, TimelineOutput> placed = builder.stream(settings.mergeMovesTopic(),
                        Consumed.with(Serdes.String(), entrySerde).withName(MERGE_MOVES_SOURCE))
                .repartition(Repartitioned.<String, TimelineEntry>as(MOVED_REPARTITION)
                        .withKeySerde(Serdes.String()).withValueSerde(entrySerde))
                .process(() -> TimelineProcessor.forMovedEntries(settings.maxTimelineEntries(),
                        settings.timelineEmitInterval(), settings.recordBudget(), MERGE_PLACER),
                        Named.as(MERGE_PLACER), TimelineProcessor.storeNames());
        built.merge(placed, Named.as("built-or-placed"))
                .filter((key, o) -> o.goesOn(), Named.as("moving-records"))
                .mapValues(TimelineOutput::moved, Named.as("moving-entry"))
                .to(settings.mergeMovesTopic(), Produced.with(Serdes.String(), entrySerde).withName(MERGE_MOVES_SINK));
        return placed;
    }

    /**
     * care.timelines and care.timeline-changes. Their serializers refuse a record over
     * {@code timeline.max.record.bytes} ({@link BoundedSerde}): it goes to the dead-letter topic instead.
     */
    static void outputs(KStream<String, TimelineOutput> outputs, Topics topics, TimelineSettings settings) {
        int limit = settings.maxRecordBytes();
        Serde<Timeline> timelineSerde = new BoundedSerde<>(topics.timelines().valueSerde(), limit);
        Serde<TimelineChange> changeSerde = new BoundedSerde<>(topics.timelineChanges().valueSerde(), limit);
        outputs.filter((key, o) -> o.isTimelineRecord(), Named.as("timeline-records"))
                .mapValues(TimelineOutput::timeline, Named.as("timeline-record"))
                .to(settings.timelinesTopic(), Produced.with(topics.timelines().keySerde(), timelineSerde)
                        .withName(TIMELINES_SINK));
        outputs.filter((key, o) -> o.change() != null, Named.as("timeline-change-records"))
                .mapValues(TimelineOutput::change, Named.as("timeline-change"))
                .to(settings.changesTopic(), Produced.with(topics.timelineChanges().keySerde(), changeSerde)
                        .withName(CHANGES_SINK));
    }
}
