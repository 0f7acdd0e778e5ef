package org.caretrail.timeline.processor;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.caretrail.events.NhsNumber;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.caretrail.events.model.ChangeKind;
import org.caretrail.events.model.EventType;
import org.caretrail.events.model.Timeline;
import org.caretrail.events.model.TimelineChange;
import org.caretrail.events.model.TimelineEntry;
import org.caretrail.events.model.TimelineSummary;
import org.caretrail.timeline.domain.CareItem;
import org.caretrail.timeline.domain.TimelineChanges;
import org.caretrail.timeline.domain.TimelineOrder;
import org.caretrail.timeline.domain.TimelineSummaries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-patient timeline builder, fed entries keyed by NHS number. For each entry: merge it into
 * its care item ({@link CareItem}: highest version wins, CANCEL withdraws), and when the item's
 * displayed entry changed, move it in the order index, adjust the summary, emit one
 * {@link TimelineChange} and mark the patient's {@link Timeline} record due. A duplicate or a lower
 * version changes no store and emits nothing.
 *
 */
public final class TimelineProcessor implements Processor<String, TimelineEntry, String, TimelineOutput> {

    private static final Logger LOG = LoggerFactory.getLogger(TimelineProcessor.class);

    private final int maxEntries;
    private final Duration emitInterval;
    /** Header counting how many merges an entry has followed: a guard against merge cycles (A → B → A). */
    public static final String MERGE_HOPS_HEADER = "caretrail-merge-hops";
    /** Hops after which an entry is placed where it is: only a cycle of merges gets this far. */
    public static final int MAX_MERGE_HOPS = 32;

    private final boolean mergedEntries;
    private final String entity;
    private ProcessorContext<String, TimelineOutput> context;
    private KeyValueStore<String, CareItem> items;
    private KeyValueStore<String, String> order;
    private KeyValueStore<String, TimelineSummary> summaries;
    private KeyValueStore<String, String> pending;
    private KeyValueStore<String, String> spells;
    private KeyValueStore<String, TimelineEntry> events;
    private KeyValueStore<String, String> mergedInto;
    private TimelineReader reader;
    private Sensor unchanged;
    private Sensor redirected;
    private Sensor cycles;

    /** The timeline builder: entries keyed by their patient's NHS number. */
    public TimelineProcessor(int maxEntries, Duration emitInterval) {
        this(maxEntries, emitInterval, false, "timeline-builder");
    }

    private TimelineProcessor(int maxEntries, Duration emitInterval, boolean mergedEntries, String entity) {
        this.maxEntries = maxEntries;
        this.emitInterval = emitInterval;
        this.mergedEntries = mergedEntries;
        this.entity = entity;
    }

    /**
     * The placer of merged entries: entries moved from a merged-away patient (or arriving for it
     * after the merge), keyed by the surviving NHS number. Same rules as the builder; its changes'
     * ids carry the survivor's NHS number ({@code eventId|KIND|nhs}), since the merged-away patient
     * may already have announced {@code eventId|ADDED}. It shares the builder's stores and task
     * (the builder's punctuation writes its due care.timelines records).
     *
     * <p>When the survivor has itself been merged away since (a merge chain, A → B → C → ...), the
     * entry is forwarded again, keyed by the next survivor, as often as the chain is long. The
     * {@value #MERGE_HOPS_HEADER} header counts the hops; an entry that has followed
     * {@value #MAX_MERGE_HOPS} merges can only be going round a cycle (A → B → A, which contradictory
     * merges make), and is placed where it is, with a warning and the {@code merge-cycle-events} metric.
     *
     * @param name the processor's name (its metrics' entity)
     */
    public static TimelineProcessor forMergedEntries(int maxEntries, Duration emitInterval, String name) {
        return new TimelineProcessor(maxEntries, emitInterval, true, name);
    }

    /** The stores this processor needs connected. */
    public static String[] storeNames() {
        return new String[] {TimelineStores.ITEMS, TimelineStores.ORDER, TimelineStores.SUMMARIES,
            TimelineStores.PENDING, TimelineStores.SPELLS, TimelineStores.EVENTS, TimelineStores.MERGED_INTO};
    }

    @Override
    public void init(ProcessorContext<String, TimelineOutput> context) {
        this.context = context;
        this.items = context.getStateStore(TimelineStores.ITEMS);
        this.order = context.getStateStore(TimelineStores.ORDER);
        this.summaries = context.getStateStore(TimelineStores.SUMMARIES);
        this.pending = context.getStateStore(TimelineStores.PENDING);
        this.spells = context.getStateStore(TimelineStores.SPELLS);
        this.events = context.getStateStore(TimelineStores.EVENTS);
        this.mergedInto = context.getStateStore(TimelineStores.MERGED_INTO);
        this.reader = new TimelineReader(items, order, summaries);
        this.unchanged = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, entity,
                "unchanged-events", Sensor.RecordingLevel.INFO);
        this.redirected = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, entity,
                "redirected-merged-events", Sensor.RecordingLevel.INFO);
        this.cycles = context.metrics().addRateTotalSensor(DecodeAndValidate.METRICS_SCOPE, entity,
                "merge-cycle-events", Sensor.RecordingLevel.INFO);
        if (!emitInterval.isZero() && !mergedEntries) {
            context.schedule(emitInterval, PunctuationType.WALL_CLOCK_TIME, now -> emitPending());
        }
    }

    @Override
    public void process(Record<String, TimelineEntry> record) {
        String nhs = record.key();
        TimelineEntry entry = record.value();
        if (nhs == null || entry == null) {
            LOG.warn("Ignoring a timeline record without key or value");
            return;
        }
        if (!NhsNumber.isValid(nhs)) {
            // cannot happen: the topology sends only NHS-keyed entries here (local ones are resolved first)
            LOG.error("Timeline entry {} reached the timeline builder without an NHS number; ignored",
                    entry.getEventId());
            return;
        }
        String survivor = mergedInto.get(nhs);
        if (survivor != null) {
            int hops = hops(record.headers());
            if (hops < MAX_MERGE_HOPS) {
                // the patient was merged away: the entry follows to the survivor's timeline
                redirected.record();
                Headers headers = new RecordHeaders(record.headers().toArray());
                headers.remove(MERGE_HOPS_HEADER);
                headers.add(MERGE_HOPS_HEADER, Integer.toString(hops + 1).getBytes(StandardCharsets.UTF_8));
                context.forward(new Record<>(survivor, TimelineOutput.moved(entry), record.timestamp(), headers));
                return;
            }
            cycles.record();
            LOG.warn("Entry {} has followed {} merges and reached {}, merged into {}: the merges form a cycle; it is "
                    + "placed on {}", entry.getEventId(), hops, nhs, survivor, nhs);
        }
        // the history, for as-of queries (a lower version may have been the winner at some moment); the
        // key separates what a reused eventId could hide, so the history too depends only on the set
        String eventKey = nhs + "|" + entry.getEntryId() + "|" + entry.getEventId() + "|" + entry.getAction() + "|"
                + entry.getVersion();
        TimelineEntry known = events.get(eventKey);
        if (known == null || CareItem.PRECEDENCE.compare(entry, known) > 0) {
            events.put(eventKey, entry);
        }
        String itemKey = nhs + "|" + entry.getEntryId();
        CareItem old = items.get(itemKey);
        CareItem updated = old == null ? CareItem.of(entry) : old.with(entry);
        if (updated == old) {
            unchanged.record();
            return; // a duplicate, a lower version or a losing tie: nothing changes
        }
        TimelineEntry before = old == null ? null : old.displayed();
        TimelineEntry after = updated.displayed();
        items.put(itemKey, updated);
        if (before != null) {
            order.delete(nhs + "|" + TimelineOrder.sortKey(before));
        }
        order.put(nhs + "|" + TimelineOrder.sortKey(after), (current(after) ? "C|" : "W|") + after.getEntryId());

        TimelineSummary summary = summaries.get(nhs);
        if (summary == null) {
            summary = TimelineSummaries.empty();
        }
        indexSpellMember(nhs, before, after);
        if (!after.equals(before)) {
            Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
            TimelineSummaries.count(summary, before, after);
            TimelineSummaries.update(summary, before, after, viewSource(nhs), now);
            List<TimelineEntry> first = reader.walk(nhs, null, null, false, false, t -> true, 0, 1);
            List<TimelineEntry> last = reader.walk(nhs, null, null, true, false, t -> true, 0, 1);
            summary.setFirstOccurredAt(first.isEmpty() ? null : first.get(0).getOccurredAt());
            summary.setLastOccurredAt(last.isEmpty() ? null : last.get(0).getOccurredAt());
            summaries.put(nhs, summary);
        }

        TimelineChanges.between(before, after).ifPresent(kind -> emitChange(record, nhs, kind, after));
        if (emitInterval.isZero()) {
            emitTimeline(record.withValue((TimelineOutput) null), nhs);
        } else {
            pending.put(nhs, "");
        }
    }

    private static int hops(Headers headers) {
        Header header = headers.lastHeader(MERGE_HOPS_HEADER);
        if (header == null) {
            return 0;
        }
        try {
            return Integer.parseInt(new String(header.value(), StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
            return MAX_MERGE_HOPS;
        }
    }

    /** Keeps {@link TimelineStores#SPELLS} in step: which items belong to which spell. */
    private void indexSpellMember(String nhs, TimelineEntry before, TimelineEntry after) {
        if (after.getType() != EventType.ADMISSION && after.getType() != EventType.TRANSFER
                && after.getType() != EventType.DISCHARGE) {
            return;
        }
        if (before != null) {
            spells.delete(spellKey(nhs, before));
        }
        if (TimelineSummaries.spellId(after) != null) {
            spells.put(spellKey(nhs, after), "");
        }
    }

    private static String spellKey(String nhs, TimelineEntry e) {
        return nhs + "|" + e.getSource().getOdsCode() + "|" + TimelineSummaries.spellId(e) + "|" + e.getEntryId();
    }

    private TimelineSummaries.ViewSource viewSource(String nhs) {
        return new TimelineSummaries.ViewSource() {
            @Override
            public java.util.Collection<TimelineEntry> itemsOfType(EventType type) {
                return reader.itemsOfType(nhs, type);
            }

            @Override
            public java.util.Collection<TimelineEntry> spellMembers(String odsCode, String spellId) {
                List<TimelineEntry> members = new ArrayList<>();
                try (KeyValueIterator<String, String> it = spells.prefixScan(
                        nhs + "|" + odsCode + "|" + spellId + "|", Serdes.String().serializer())) {
                    while (it.hasNext()) {
                        String key = it.next().key;
                        String entryId = key.substring((nhs + "|" + odsCode + "|" + spellId + "|").length());
                        reader.entry(nhs, entryId).ifPresent(members::add);
                    }
                }
                return members;
            }

            @Override
            public List<TimelineEntry> entriesAfter(Instant t, int limit) {
                return reader.walk(nhs, t.plusMillis(1), null, false, false, type -> true, 0, limit);
            }
        };
    }

    private void emitChange(Record<String, TimelineEntry> record, String nhs, ChangeKind kind, TimelineEntry after) {
        TimelineSummary summary = summaries.get(nhs);
        String changeId = TimelineChanges.changeId(after, kind);
        TimelineChange change = TimelineChange.newBuilder()
                .setChangeId(mergedEntries ? changeId + "|" + nhs : changeId)
                .setNhsNumber(nhs)
                .setKind(kind)
                .setEntry(after)
                .setChangedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .setRegisteredPracticeOdsCode(summary == null ? null : summary.getRegisteredPracticeOdsCode())
                .build();
        context.forward(record.withValue(TimelineOutput.of(change)));
    }

    private void emitTimeline(Record<String, ?> like, String nhs) {
        TimelineSummary summary = summaries.get(nhs);
        if (summary == null) {
            return;
        }
        List<TimelineEntry> latest = reader.latest(nhs, maxEntries);
        Timeline timeline = Timeline.newBuilder()
                .setNhsNumber(nhs)
                .setUpdatedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
                .setSummary(summary)
                .setEntries(latest)
                .setTruncated(summary.getCurrentEntries() > latest.size())
                .build();
        context.forward(new Record<>(nhs, TimelineOutput.of(timeline), like.timestamp(), like.headers()));
    }

    private void emitPending() {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, String> it = pending.all()) {
            while (it.hasNext()) {
                KeyValue<String, String> kv = it.next();
                due.add(kv.key);
            }
        }
        long now = context.currentSystemTimeMs();
        for (String nhs : due) {
            emitTimeline(new Record<>(nhs, null, now), nhs);
            pending.delete(nhs);
        }
    }

    private static boolean current(TimelineEntry e) {
        return e.getStatus() == org.caretrail.events.model.EntryStatus.CURRENT;
    }
}
