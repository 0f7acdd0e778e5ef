package org.caretrail.timeline.processor;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.NhsNumber;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineChanges;
import org.caretrail.timeline.domain.TimelineEntries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-patient timeline builder, fed entries keyed by NHS number. For each entry: add it to its care
 * item's set of events ({@link CareItem}), and when what the item shows changed, keep the stores in step
 * ({@link PatientTimelines#replace}), emit one {@link TimelineChange} and mark the patient's {@link Timeline}
 * record due. A duplicate changes no store and emits nothing; an entry for a patient merged away (or for a
 * visit moved to another patient) goes on to the survivor ({@link Redirects}).
 *
 * <p>The builder fills each entry's {@code originNhsNumber} with the number it was published for or linked
 * to (its key here), before any redirect.
 */
public final class TimelineProcessor implements Processor<String, TimelineEntry, String, TimelineOutput> {

    private static final Logger LOG = LoggerFactory.getLogger(TimelineProcessor.class);

    /** Header counting how many merges an entry has followed: a guard against merge cycles (A → B → A). */
    public static final String MERGE_HOPS_HEADER = MoveHeaders.HOPS;
    /** Hops after which an entry is placed where it is: only a cycle of merges gets this far. */
    public static final int MAX_MERGE_HOPS = 32;

    private final int maxEntries;
    private final Duration emitInterval;
    private final long recordBudget;
    private final boolean placer;
    private final String entity;
    private ProcessorContext<String, TimelineOutput> context;
    private PatientTimelines timelines;
    private KeyValueStore<String, Redirects> redirects;
    private KeyValueStore<String, String> mergedFrom;
    private Sensor unchanged;
    private Sensor redirected;
    private Sensor cycles;
    private Sensor returned;
    private Sensor foreign;

    /**
     * The timeline builder: entries keyed by their patient's NHS number.
     *
     * @param maxEntries most recent entries in a care.timelines record
     * @param emitInterval how often due care.timelines records are written (zero: after every change)
     * @param recordBudget bytes a care.timelines record is built to
     */
    public TimelineProcessor(int maxEntries, Duration emitInterval, long recordBudget) {
        this(maxEntries, emitInterval, recordBudget, false, "timeline-builder");
    }

    private TimelineProcessor(int maxEntries, Duration emitInterval, long recordBudget, boolean placer,
            String entity) {
        this.maxEntries = maxEntries;
        this.emitInterval = emitInterval;
        this.recordBudget = recordBudget;
        this.placer = placer;
        this.entity = entity;
    }

    /**
     * The placer of moved entries: entries moved from a merged-away patient (or arriving for it after the
     * merge, or given back by the survivor of an undone merge), keyed by the patient they go to. Same rules as
     * the builder; its changes' ids carry the NHS number and the cause ({@code eventId|KIND|nhs|cause}), since
     * the patient they came from may already have announced {@code eventId|ADDED}. It shares the builder's
     * stores and task (the builder's punctuation writes its due care.timelines records).
     *
     * <p>When the patient has itself been merged away since (a merge chain, A → B → C → ...), the entry goes
     * on again, as often as the chain is long; the {@value #MERGE_HOPS_HEADER} header counts the hops, and an
     * entry that has followed {@value #MAX_MERGE_HOPS} merges can only be going round a cycle (A → B → A, which
     * contradictory merges make): it is placed where it is, with a warning and the {@code merge-cycle-events}
     * metric. A record without a value asks for entries back (see {@link MoveHeaders}).
     *
     * @param name the processor's name (its metrics' entity)
     */
    public static TimelineProcessor forMovedEntries(int maxEntries, Duration emitInterval, long recordBudget,
            String name) {
        return new TimelineProcessor(maxEntries, emitInterval, recordBudget, true, name);
    }

    /** The stores this processor needs connected. */
    public static String[] storeNames() {
        return TimelineStores.timelineStores();
    }

    @Override
    public void init(ProcessorContext<String, TimelineOutput> context) {
        this.context = context;
        this.timelines = new PatientTimelines(context);
        this.redirects = context.getStateStore(TimelineStores.MERGED_INTO);
        this.mergedFrom = context.getStateStore(TimelineStores.MERGED_FROM);
        this.unchanged = sensor("unchanged-events");
        this.redirected = sensor("redirected-merged-events");
        this.cycles = sensor("merge-cycle-events");
        this.returned = sensor("returned-events");
        this.foreign = sensor("foreign-merge-moves");
        if (!placer) {
            rebuildDerivedStores();
            if (!emitInterval.isZero()) {
                context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, now -> emitDue(now));
            }
        }
    }

    /**
     * The derived stores (order index, spells, summaries, due marks) have no changelog: after a crash (under
     * exactly-once the task's stores are wiped and the items restored), after the task ran elsewhere, or when a
     * standby becomes active, they are rebuilt from the items here, before the first record. Under at_least_once
     * the stores may hold writes the changelogs do not, so they are rebuilt at every start.
     */
    private void rebuildDerivedStores() {
        boolean always = !StreamsConfig.EXACTLY_ONCE_V2.equals(
                String.valueOf(context.appConfigs().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
        long start = System.nanoTime();
        int patients = timelines.rebuildIfNeeded(always, now());
        if (patients > 0) {
            LOG.info("Rebuilt the derived timeline stores of task {} from its care items: {} patients in {} ms",
                    context.taskId(), patients, (System.nanoTime() - start) / 1_000_000);
        }
    }

    private Sensor sensor(String name) {
        return context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, entity, name,
                Sensor.RecordingLevel.INFO);
    }

    @Override
    public void process(Record<String, TimelineEntry> record) {
        String nhs = record.key();
        if (nhs == null || !NhsNumber.isValid(nhs)) {
            // cannot happen: the topology sends only NHS-keyed entries here (local ones are resolved first)
            LOG.error("A timeline record reached {} without an NHS number as its key; ignored", entity);
            return;
        }
        if (placer && !MoveHeaders.ours(record.headers(), context.applicationId())) {
            foreign.record(); // left on the moves topic by another version of the stream processor
            return;
        }
        if (record.value() == null) {
            if (placer && MoveHeaders.isReturnRequest(record.headers())) {
                giveBack(record);
            } else {
                LOG.warn("Ignoring a timeline record without value for {}", nhs);
            }
            return;
        }
        TimelineEntry entry = placer ? record.value() : TimelineEntries.placedFor(record.value(), nhs);
        Redirects r = redirects.get(nhs);
        Optional<Redirects.Target> target = r == null ? Optional.empty() : r.target(entry);
        if (target.isPresent()) {
            int hops = MoveHeaders.hops(record.headers(), MAX_MERGE_HOPS);
            if (hops < MAX_MERGE_HOPS) {
                redirected.record();
                if (entry.getOriginNhsNumber() != null && !entry.getOriginNhsNumber().equals(nhs)) {
                    mergedFrom.put(nhs + "|" + entry.getOriginNhsNumber(), "");
                }
                context.forward(new Record<>(target.get().nhsNumber(), TimelineOutput.moved(entry),
                        record.timestamp(), MoveHeaders.moving(hops + 1,
                                MoveHeaders.then(MoveHeaders.cause(record.headers()), target.get().cause()),
                                context.applicationId())));
                return;
            }
            cycles.record();
            LOG.warn("Entry {} has followed {} merges and reached {}, which goes on to {}: the merges form a cycle; "
                    + "it is placed on {}", entry.getEventId(), hops, nhs, target.get().nhsNumber(), nhs);
        }
        place(record, nhs, entry);
    }

    private void place(Record<String, TimelineEntry> record, String nhs, TimelineEntry entry) {
        CareItem old = timelines.item(nhs, entry.getEntryId());
        CareItem updated = old == null ? CareItem.of(entry) : old.with(entry);
        if (updated == old) {
            unchanged.record();
            return; // a duplicate: nothing changes
        }
        PatientTimelines.ItemChange change = timelines.replace(nhs, old, updated, now());
        if (change.shown()) {
            announce(nhs, change, placer ? suffix(nhs, MoveHeaders.cause(record.headers())) : "", record.timestamp());
            due(nhs, record.timestamp());
        }
    }

    /** Gives back the events of the origins a return request names (or passes the request on along a chain). */
    private void giveBack(Record<String, TimelineEntry> record) {
        String nhs = record.key();
        Set<String> origins = MoveHeaders.origins(record.headers());
        String cause = MoveHeaders.cause(record.headers());
        int hops = MoveHeaders.hops(record.headers(), MAX_MERGE_HOPS);
        Redirects r = redirects.get(nhs);
        if (r != null && r.survivor() != null) {
            if (hops < MAX_MERGE_HOPS) {
                context.forward(new Record<>(r.survivor(), TimelineOutput.askingBack(), record.timestamp(),
                        MoveHeaders.returning(origins, hops + 1, cause, context.applicationId())));
                return;
            }
            cycles.record();
            LOG.warn("A request to give back the entries of {} has followed {} merges and reached {}: the merges "
                    + "form a cycle; what is here is given back", origins, hops, nhs);
        }
        boolean hadTimeline = timelines.summary(nhs).isPresent();
        int given = 0;
        for (String entryId : timelines.entryIds(nhs)) {
            CareItem item = timelines.item(nhs, entryId);
            CareItem rest = item.without(e -> origins.contains(e.getOriginNhsNumber()));
            if (rest == item) {
                continue;
            }
            List<TimelineEntry> leaving = item.events().stream()
                    .filter(e -> origins.contains(e.getOriginNhsNumber())).toList();
            PatientTimelines.ItemChange change = timelines.replace(nhs, item, rest, now());
            if (change.shown()) {
                announce(nhs, change, suffix(nhs, cause), record.timestamp());
            }
            for (TimelineEntry e : leaving) {
                context.forward(new Record<>(e.getOriginNhsNumber(), TimelineOutput.moved(e), record.timestamp(),
                        MoveHeaders.moving(0, cause, context.applicationId())));
                returned.record();
                given++;
            }
        }
        if (given > 0) {
            LOG.info("Gave back {} events of {} from {} (identity event {})", given, origins, nhs, cause);
            // written at once, not marked due: items that left leave no stamp to find them by after a crash
            if (hadTimeline || timelines.summary(nhs).isPresent()) {
                emit(nhs, record.timestamp());
            }
        }
    }

    private static String suffix(String nhs, String cause) {
        return "|" + nhs + (cause == null ? "" : "|" + cause);
    }

    private void announce(String nhs, PatientTimelines.ItemChange change, String idSuffix, long timestamp) {
        change.kind().ifPresent(kind -> {
            TimelineEntry entry = change.announced();
            TimelineSummary summary = change.summary();
            TimelineChange c = TimelineChange.newBuilder()
                    .setChangeId(TimelineChanges.changeId(entry, kind) + idSuffix)
                    .setNhsNumber(nhs)
                    .setKind(kind)
                    .setEntry(entry)
                    .setChangedAt(now())
                    .setRegisteredPracticeOdsCode(summary == null ? null : summary.getRegisteredPracticeOdsCode())
                    .build();
            context.forward(new Record<>(nhs, TimelineOutput.of(c), timestamp));
        });
    }

    private void due(String nhs, long timestamp) {
        if (emitInterval.isZero()) {
            emit(nhs, timestamp);
        } else {
            timelines.due(nhs);
        }
    }

    private void emit(String nhs, long timestamp) {
        Timeline timeline = timelines.record(nhs, now(), maxEntries, recordBudget);
        context.forward(new Record<>(nhs, timeline == null ? TimelineOutput.tombstone() : TimelineOutput.of(timeline),
                timestamp));
    }

    private void emitDue(long now) {
        // each mark goes before its record is made: a patient whose record cannot be made (its failure is
        // dead-lettered) is not retried every second, and the rest stay due for the next time
        for (String nhs : timelines.due()) {
            timelines.written(nhs);
            emit(nhs, now);
        }
        timelines.emitted();
    }

    private Instant now() {
        return Instant.ofEpochMilli(context.currentSystemTimeMs());
    }
}
